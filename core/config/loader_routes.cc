// [[route]] entries: a backend named by a route must exist, and a route
// either names a backend or answers with [route.respond].
#include "config/cfg_node.h"
#include "config/loader_parts.h"

namespace gantry::config::detail {

void read_routes(const Value& v, Config* cfg) {
  for_each_entry(v, [&](const toml::table& t, size_t i) {
    Section s(t, entry_path("route", i, ""));
    Route r;
    schema::apply(schema::kRoute, s, *cfg, &r);
    bool backend = s.node("backend") != nullptr;
    if (backend && r.has_respond) {
      s.fail_here("set either 'backend' or a [route.respond] table, not both");
    }
    if (!backend && !r.has_respond) s.fail_here("needs a 'backend' or a [route.respond] table");
    r.pos = pos_of(t);
    cfg->routes.push_back(std::move(r));
  });
}

// Backends are read before routes (schema order), so every name is known here.
void read_route_backend(const Value& v, Route* r) {
  r->backend = v.cfg.backend_index(v.text);
  if (r->backend < 0) v.fail("unknown backend \"" + v.text + "\"");
}

void read_respond(const Value& v, Route* r) {
  r->has_respond = true;
  schema::apply(schema::kRespond, v.section(), v.cfg, &r->respond);
}

void read_respond_headers(const Value& v, Respond* out) {
  for (auto&& [k, h] : *v.node.as_table()) {
    if (!h.is_string()) {
      fail(h.source(), v.path + "." + std::string(k.str()),
           std::string("expected a string, got ") + toml_type_name(h.type()));
    }
    out->headers.emplace_back(std::string(k.str()), *h.value_exact<std::string>());
  }
}

void read_path_prefix(const Value& v, Route* r) {
  if (v.text.empty() || v.text.front() != '/') v.fail("must start with '/'");
  r->path_prefix = v.text;
}

}  // namespace gantry::config::detail
