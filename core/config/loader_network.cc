// [[listener]], [[backend]] and [[route]] sections.
#include "config/address.h"
#include "config/cfg_node.h"
#include "config/loader_parts.h"

namespace gantry::config::detail {
namespace {

Address read_address(const Section& s, const toml::node& n, std::string_view key,
                     bool allow_port_zero) {
  if (!n.is_string()) {
    s.fail_at(n, key, std::string("expected an address string, got ") + toml_type_name(n.type()));
  }
  Address a;
  std::string why;
  if (!parse_address(*n.value_exact<std::string_view>(), allow_port_zero, &a, &why)) {
    s.fail_at(n, key, why);
  }
  return a;
}

// [listener.tls] / [backend.tls]: the host reads `provider` (and, toward
// servers, `server_name`); the transport module's declared keys are checked
// in build_generation once the provider is known.
void read_tls(const Section& parent, TlsRef* tls, std::string* server_name) {
  const toml::table* t = parent.subtable("tls");
  if (t == nullptr) return;
  Section s(*t, parent.key_path("tls"));
  tls->provider = s.required_str("provider");
  tls->table = to_cfg(t);
  tls->pos = pos_of(*t);
  if (server_name != nullptr) {
    if (auto sn = s.str("server_name")) *server_name = *sn;
  }
}

std::string entry_name(const toml::table& t, std::string_view what, size_t i) {
  Section s(t, entry_path(what, i, ""));
  auto name = s.str("name");
  if (name && name->empty()) s.fail_at(*s.node("name"), "name", "must not be empty");
  return name.value_or("");
}

void read_listener(const toml::table& t, size_t i, Config* cfg) {
  Listener l;
  std::string name = entry_name(t, "listener", i);
  Section s(t, entry_path("listener", i, name));
  s.allow_only({"name", "bind", "backlog", "tls"},
               [&](std::string_view k) { return is_module_name(*cfg, k); });
  const toml::node* bind = s.node("bind");
  if (bind == nullptr) s.fail_here("missing required key 'bind'");
  l.bind = read_address(s, *bind, "bind", true);
  l.name = name.empty() ? l.bind.text : name;
  for (const Listener& other : cfg->listeners) {
    if (other.name == l.name) {
      s.fail_at(name.empty() ? *bind : *s.node("name"), name.empty() ? "bind" : "name",
                "duplicate listener name \"" + l.name + "\" (first at " + other.pos.str() + ")");
    }
  }
  if (auto b = s.integer("backlog", 1, 65535)) l.backlog = static_cast<int>(*b);
  read_tls(s, &l.tls, nullptr);
  read_module_scopes(s, *cfg, &l.module_scopes);
  l.pos = pos_of(t);
  cfg->listeners.push_back(std::move(l));
}

Server read_server(const Section& b, const toml::node& n, size_t j) {
  std::string key = "servers[" + std::to_string(j) + "]";
  Server srv;
  srv.pos = pos_of(n);
  if (n.is_string()) {
    srv.address = read_address(b, n, key, false);
  } else if (const toml::table* t = n.as_table()) {
    Section s(*t, b.key_path(key));
    s.allow_only({"address", "weight", "name"});
    const toml::node* addr = s.node("address");
    if (addr == nullptr) s.fail_here("missing required key 'address'");
    srv.address = read_address(s, *addr, "address", false);
    if (auto w = s.integer("weight", 1, 256)) srv.weight = static_cast<uint32_t>(*w);
    if (auto nm = s.str("name")) srv.name = *nm;
  } else {
    b.fail_at(n, key,
              std::string("expected \"host:port\" or { address = ..., weight = ... }, got ") +
                  toml_type_name(n.type()));
  }
  if (srv.name.empty()) srv.name = srv.address.text;
  return srv;
}

void read_health(const Section& b, Backend* be) {
  const toml::table* t = b.subtable("health");
  if (t == nullptr) return;
  Section s(*t, b.key_path("health"));
  s.allow_only({"enabled", "path", "interval", "timeout", "rise", "fall"});
  HealthCheck& h = be->health;
  h.enabled = s.boolean("enabled").value_or(true);
  if (auto p = s.str("path")) {
    if (!p->empty() && p->front() != '/') {
      s.fail_at(*s.node("path"), "path", "must start with '/' (or be empty for TCP checks)");
    }
    h.path = *p;
  }
  if (auto d = s.duration_ms("interval")) h.interval = *d;
  if (auto d = s.duration_ms("timeout")) h.timeout = *d;
  if (h.interval == 0) s.fail_at(*s.node("interval"), "interval", "must be greater than 0");
  if (auto n = s.integer("rise", 1, 1000)) h.rise = static_cast<uint32_t>(*n);
  if (auto n = s.integer("fall", 1, 1000)) h.fall = static_cast<uint32_t>(*n);
}

void read_backend(const toml::table& t, size_t i, Config* cfg) {
  Backend be;
  be.name = entry_name(t, "backend", i);
  Section s(t, entry_path("backend", i, be.name));
  s.allow_only({"name", "balance", "servers", "cookie_name", "keepalive", "connect_timeout",
                "server_timeout", "health", "tls"},
               [&](std::string_view k) { return is_module_name(*cfg, k); });
  if (be.name.empty()) s.fail_here("missing required key 'name'");
  for (const Backend& other : cfg->backends) {
    if (other.name == be.name) {
      s.fail_at(*s.node("name"), "name",
                "duplicate backend name \"" + be.name + "\" (first at " + other.pos.str() + ")");
    }
  }
  if (auto bal = s.str("balance")) {
    if (*bal == "roundrobin") {
      be.balance = Balance::kRoundRobin;
    } else if (*bal == "source") {
      be.balance = Balance::kSourceHash;
    } else if (*bal == "cookie") {
      be.balance = Balance::kCookie;
    } else {
      s.fail_at(*s.node("balance"), "balance",
                "unknown balance \"" + *bal + "\" (roundrobin, source, cookie)");
    }
  }
  if (auto c = s.str("cookie_name")) {
    if (c->empty()) s.fail_at(*s.node("cookie_name"), "cookie_name", "must not be empty");
    be.cookie_name = *c;
  }
  const toml::array* servers = s.array("servers");
  if (servers == nullptr) s.fail_here("missing required key 'servers'");
  if (servers->empty()) s.fail_at(*servers, "servers", "a backend needs at least one server");
  for (size_t j = 0; j < servers->size(); ++j) {
    be.servers.push_back(read_server(s, *servers->get(j), j));
  }
  if (auto k = s.integer("keepalive", 0, 100000)) be.keepalive = static_cast<uint32_t>(*k);
  if (auto d = s.duration_ms("connect_timeout")) be.connect_timeout = *d;
  if (auto d = s.duration_ms("server_timeout")) be.server_timeout = *d;
  read_health(s, &be);
  read_tls(s, &be.tls, &be.tls_server_name);
  read_module_scopes(s, *cfg, &be.module_scopes);
  be.pos = pos_of(t);
  cfg->backends.push_back(std::move(be));
}

void read_respond(const Section& r, const toml::table& t, Respond* out) {
  Section s(t, r.key_path("respond"));
  s.allow_only({"status", "headers", "body"});
  if (auto st = s.integer("status", 100, 599)) out->status = static_cast<int>(*st);
  if (const toml::table* h = s.subtable("headers")) {
    Section hs(*h, s.key_path("headers"));
    for (auto&& [k, v] : *h) {
      if (!v.is_string()) {
        hs.fail_at(v, k.str(), std::string("expected a string, got ") + toml_type_name(v.type()));
      }
      out->headers.emplace_back(std::string(k.str()), *v.value_exact<std::string>());
    }
  }
  if (auto b = s.str("body")) out->body = *b;
}

void read_route(const toml::table& t, size_t i, Config* cfg) {
  Route r;
  Section s(t, entry_path("route", i, ""));
  s.allow_only({"backend", "respond", "path_prefix", "host"});
  auto backend = s.str("backend");
  const toml::table* respond = s.subtable("respond");
  if (backend && respond) s.fail_here("set either 'backend' or a [route.respond] table, not both");
  if (!backend && !respond) s.fail_here("needs a 'backend' or a [route.respond] table");
  if (backend) {
    r.backend = cfg->backend_index(*backend);
    if (r.backend < 0) {
      s.fail_at(*s.node("backend"), "backend", "unknown backend \"" + *backend + "\"");
    }
  } else {
    r.has_respond = true;
    read_respond(s, *respond, &r.respond);
  }
  if (auto p = s.str("path_prefix")) {
    if (p->empty() || p->front() != '/') {
      s.fail_at(*s.node("path_prefix"), "path_prefix", "must start with '/'");
    }
    r.path_prefix = *p;
  }
  if (auto h = s.str("host")) {
    if (h->empty()) s.fail_at(*s.node("host"), "host", "must not be empty");
    r.host = *h;
  }
  r.pos = pos_of(t);
  cfg->routes.push_back(std::move(r));
}

}  // namespace

void read_listeners(const Section& top, Config* cfg) {
  for_each_entry(top, "listener", [&](const toml::table& t, size_t i) {
    read_listener(t, i, cfg);
  });
  if (cfg->listeners.empty()) {
    fail(top.table().source(), "listener", "at least one [[listener]] is required");
  }
}

void read_backends(const Section& top, Config* cfg) {
  for_each_entry(top, "backend", [&](const toml::table& t, size_t i) {
    read_backend(t, i, cfg);
  });
}

void read_routes(const Section& top, Config* cfg) {
  for_each_entry(top, "route", [&](const toml::table& t, size_t i) {
    read_route(t, i, cfg);
  });
}

}  // namespace gantry::config::detail
