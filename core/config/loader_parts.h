#pragma once
// The readers schema.cc points at: keys whose value needs more than a type
// and a range (lookups, checks across keys, entries of [[arrays]]). Internal
// to core/config; each throws Invalid like the rest of the loader.
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/schema.h"
#include "config/section.h"

namespace gantry::config::detail {

using schema::Value;

// loader.cc
void read_access_log(const Value& v, Config* cfg);
void read_access_template(const Value& v, Config* cfg);
void read_limits(const Value& v, Config* cfg);

// loader_admin.cc
void read_admin(const Value& v, Config* cfg);
void read_admin_bind(const Value& v, Admin* a);

// loader_identity.cc: top-level `user` and `group`, and the check across them
// once both are read.
void read_user(const Value& v, Config* cfg);
void read_group(const Value& v, Config* cfg);
void check_run_as(const Section& top, const Config& cfg);

// loader_modules.cc
void read_modules(const Value& v, Config* cfg);
void read_module_path(const Value& v, ModuleEntry* m);
void read_module_config(const Value& v, ModuleEntry* m);

// loader_network.cc
void read_listeners(const Value& v, Config* cfg);
void read_listener_tls(const Value& v, Listener* l);
void read_proxy_protocol_from(const Value& v, Listener* l);
void read_backends(const Value& v, Config* cfg);
void read_servers(const Value& v, Backend* be);
void read_server_address(const Value& v, Server* s);
void read_nameservers(const Value& v, Resolver* r);
void read_health(const Value& v, Backend* be);
void read_retry_on(const Value& v, Backend* be);
void read_outlier(const Value& v, Backend* be);
void read_hash_key(const Value& v, Backend* be);
void read_health_path(const Value& v, HealthCheck* h);
void read_backend_tls(const Value& v, Backend* be);

// loader_routes.cc
void read_routes(const Value& v, Config* cfg);
void read_route_backend(const Value& v, Route* r);
void read_respond(const Value& v, Route* r);
void read_respond_headers(const Value& v, Respond* out);
void read_path_prefix(const Value& v, Route* r);

// Calls fn(entry, index) for each table of an array of tables such as
// [[listener]]; the array is `v`, already checked to be an array.
void for_each_entry(const Value& v, const std::function<void(const toml::table&, size_t)>& fn);

// "listener[public]" once the name is known, "listener[0]" before.
std::string entry_path(std::string_view what, size_t index, const std::string& name);

// The `name` of an entry, checked against its table; "" when absent and optional.
template <class T>
std::string entry_name(const schema::Table<T>& t, const Section& s, const Config& cfg) {
  const schema::Spec& spec = schema::spec_of(t, "name");
  const toml::node* n = s.node("name");
  if (n == nullptr) {
    if (spec.def.kind == schema::Default::kRequired) schema::internal::fail_missing(s, spec);
    return "";
  }
  return schema::read_value(spec, *n, s.key_path("name"), cfg).text;
}

// Collects [listener.<module>] / [backend.<module>] tables. Their keys are
// checked by build_generation against what the module declares.
void read_module_scopes(const Section& s, const Config& cfg, std::vector<ScopeTable>* out);

}  // namespace gantry::config::detail
