// [[listener]] and [[backend]] entries: what their schema tables leave to code
// (names that default to an address, duplicates, server lists, TLS tables).
#include <cctype>

#include "config/address.h"
#include "config/cfg_node.h"
#include "config/loader_parts.h"

namespace gantry::config::detail {
namespace {

void read_listener(const toml::table& t, size_t i, Config* cfg) {
  Section by_index(t, entry_path("listener", i, ""));
  std::string name = entry_name(schema::kListener, by_index, *cfg);
  Section s(t, entry_path("listener", i, name));
  Listener l;
  schema::apply(schema::kListener, s, *cfg, &l);
  if (l.name.empty()) l.name = l.bind.text;
  for (const Listener& other : cfg->listeners) {
    if (other.name == l.name) {
      s.fail_at(name.empty() ? *s.node("bind") : *s.node("name"), name.empty() ? "bind" : "name",
                "duplicate listener name \"" + l.name + "\" (first at " + other.pos.str() + ")");
    }
  }
  read_module_scopes(s, *cfg, &l.module_scopes);
  l.pos = pos_of(t);
  cfg->listeners.push_back(std::move(l));
}

void read_backend(const toml::table& t, size_t i, Config* cfg) {
  Backend be;
  be.name = entry_name(schema::kBackend, Section(t, entry_path("backend", i, "")), *cfg);
  Section s(t, entry_path("backend", i, be.name));
  for (const Backend& other : cfg->backends) {
    if (other.name == be.name) {
      s.fail_at(*s.node("name"), "name",
                "duplicate backend name \"" + be.name + "\" (first at " + other.pos.str() + ")");
    }
  }
  schema::apply(schema::kBackend, s, *cfg, &be);
  read_module_scopes(s, *cfg, &be.module_scopes);
  be.pos = pos_of(t);
  cfg->backends.push_back(std::move(be));
}

// [listener.tls] / [backend.tls]: the host reads `provider` (and, toward
// servers, `server_name`); the transport module's declared keys are checked
// in build_generation once the provider is known.
template <class T>
void read_tls(const Value& v, const schema::Table<T>& table, T* owner, TlsRef* tls) {
  schema::apply(table, v.section(), v.cfg, owner);
  tls->table = to_cfg(&v.node);
  tls->pos = pos_of(v.node);
}

}  // namespace

void read_listeners(const Value& v, Config* cfg) {
  for_each_entry(v, [&](const toml::table& t, size_t i) { read_listener(t, i, cfg); });
  if (cfg->listeners.empty()) v.fail("at least one [[listener]] is required");
}

void read_listener_tls(const Value& v, Listener* l) {
  read_tls(v, schema::kListenerTls, l, &l->tls);
}

void read_proxy_protocol_from(const Value& v, Listener* l) {
  const toml::array& list = *v.node.as_array();
  for (size_t j = 0; j < list.size(); ++j) {
    const toml::node& n = *list.get(j);
    std::string path = v.path + "[" + std::to_string(j) + "]";
    net::Cidr c;
    const std::string* text = n.as_string() ? &n.as_string()->get() : nullptr;
    if (text == nullptr || !net::Cidr::parse(*text, &c)) {
      fail(n.source(), path,
           "expected an address or a prefix such as \"10.0.0.0/8\" (no host bits set)");
    }
    l->proxy_protocol_from.push_back(c);
  }
}

void read_backends(const Value& v, Config* cfg) {
  for_each_entry(v, [&](const toml::table& t, size_t i) { read_backend(t, i, cfg); });
}

namespace {

// "name:port" with a DNS name (letters, digits, '-', '_', '.'): resolved at
// run time. Anything else must be a numeric address.
bool split_host_name(const std::string& text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= text.size()) return false;
  std::string h = text.substr(0, colon);
  bool letter = false;
  for (char c : h) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
    letter = letter || std::isalpha(static_cast<unsigned char>(c));
  }
  if (!letter || h.size() > 253) return false;  // all digits and dots: a bad IPv4 address
  long p = 0;
  for (size_t i = colon + 1; i < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i])) || p > 65535) return false;
    p = p * 10 + (text[i] - '0');
  }
  if (p < 1 || p > 65535) return false;
  *host = h;
  *port = static_cast<uint16_t>(p);
  return true;
}

void server_address_from(const Value& v, const std::string& text, Server* s) {
  std::string why;
  if (parse_address(text, false, &s->address, &why)) return;
  if (!split_host_name(text, &s->resolve_host, &s->resolve_port)) v.fail(why);
  s->address = Address{};
  s->address.text = text;
}

}  // namespace

void read_server_address(const Value& v, Server* s) { server_address_from(v, v.text, s); }

void read_nameservers(const Value& v, Resolver* r) {
  const toml::array& list = *v.node.as_array();
  for (size_t j = 0; j < list.size(); ++j) {
    const toml::node& n = *list.get(j);
    std::string path = v.path + "[" + std::to_string(j) + "]";
    const std::string* text = n.as_string() ? &n.as_string()->get() : nullptr;
    Address a;
    std::string why;
    bool ok = text != nullptr &&
              (parse_address(*text, false, &a, &why) || parse_address(*text + ":53", false, &a, &why));
    if (!ok) fail(n.source(), path, "expected a name server address such as \"127.0.0.1:53\"");
    r->nameservers.push_back(*text);
  }
}

void read_servers(const Value& v, Backend* be) {
  const toml::array& servers = *v.node.as_array();
  if (static_cast<int64_t>(servers.size()) < v.spec.range.lo) {
    v.fail("a backend needs at least one server");
  }
  const schema::Spec& address = schema::spec_of(schema::kServer, "address");
  for (size_t j = 0; j < servers.size(); ++j) {
    const toml::node& n = *servers.get(j);
    std::string path = v.path + "[" + std::to_string(j) + "]";
    Server srv;
    if (n.is_string()) {
      auto sv = schema::read_value(address, n, path, v.cfg);
      read_server_address(sv, &srv);
    } else if (const toml::table* t = n.as_table()) {
      schema::apply(schema::kServer, Section(*t, path), v.cfg, &srv);
    } else {
      fail(n.source(), path,
           std::string("expected \"host:port\" or { address = ..., weight = ... }, got ") +
               toml_type_name(n.type()));
    }
    if (srv.name.empty()) srv.name = srv.address.text;
    srv.pos = pos_of(n);
    be->servers.push_back(std::move(srv));
  }
}

// A [backend.health] table turns checks on unless it says enabled = false.
void read_health(const Value& v, Backend* be) {
  be->health.enabled = true;
  schema::apply(schema::kHealth, v.section(), v.cfg, &be->health);
}

void read_retry_on(const Value& v, Backend* be) {
  static constexpr std::pair<std::string_view, uint32_t> kNames[] = {
      {"connect-failure", kRetryConnectFailure}, {"empty-response", kRetryEmptyResponse},
      {"junk-response", kRetryJunkResponse},     {"response-timeout", kRetryResponseTimeout},
      {"502", kRetry502},                        {"503", kRetry503},
      {"504", kRetry504}};
  uint32_t bits = 0;
  const toml::array& a = *v.node.as_array();
  for (size_t j = 0; j < a.size(); ++j) {
    const toml::node& n = *a.get(j);
    std::string name;
    if (const auto* s = n.as_string()) {
      name = s->get();
    } else if (const auto* i = n.as_integer()) {
      name = std::to_string(i->get());
    }
    uint32_t bit = 0;
    for (const auto& [k, b] : kNames) {
      if (k == name) bit = b;
    }
    if (bit == 0) {
      fail(n.source(), v.path + "[" + std::to_string(j) + "]",
           "expected one of connect-failure, empty-response, junk-response, response-timeout, "
           "502, 503, 504");
    }
    bits |= bit;
  }
  be->retry_on = bits;
}

void read_outlier(const Value& v, Backend* be) {
  schema::apply(schema::kOutlier, v.section(), v.cfg, &be->outlier);
}

void read_hash_key(const Value& v, Backend* be) {
  const std::string& k = v.text;
  bool named = (k.rfind("header:", 0) == 0 && k.size() > 7) || (k.rfind("cookie:", 0) == 0 && k.size() > 7);
  if (k != "uri" && !named) v.fail("expected \"uri\", \"header:NAME\" or \"cookie:NAME\"");
  be->hash_key = k;
}

void read_health_path(const Value& v, HealthCheck* h) {
  if (!v.text.empty() && v.text.front() != '/') {
    v.fail("must start with '/' (or be empty for TCP checks)");
  }
  h->path = v.text;
}

void read_backend_tls(const Value& v, Backend* be) {
  read_tls(v, schema::kBackendTls, be, &be->tls);
}

}  // namespace gantry::config::detail
