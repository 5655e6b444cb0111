#include "admin/api.h"

#include <nlohmann/json.hpp>

#include "config/address.h"
#include "module_loader/loaded_module.h"
#include "metrics/module_metrics.h"
#include "metrics/series.h"
#include "util/log.h"

namespace gantry::admin {
namespace {

using nlohmann::json;

uint64_t active_of(const upstream::Server& s) {
  uint64_t n = 0;
  for (const auto& slot : s.per_worker) n += slot.active.load(std::memory_order_relaxed);
  return n;
}

json counters_json(const metrics::WorkerMetrics& m, uint32_t id) {
  json j = json::object();
  const char* names[metrics::kClasses] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  uint64_t total = 0;
  for (int c = 0; c < metrics::kClasses; ++c) {
    uint64_t v = id < m.series.size() ? m.series[id].requests[c] : 0;
    j[names[c]] = v;
    total += v;
  }
  j["total"] = total;
  return j;
}

// Finds backend and server by name in the running generation.
struct Found {
  int backend = -1;
  std::shared_ptr<upstream::Server> server;
};
Found find(const runtime::Snapshot& snap, const std::string& backend, const std::string& server) {
  Found f;
  f.backend = snap.cfg->backend_index(backend);
  if (f.backend < 0) return f;
  const upstream::ServerSet& set = *snap.servers[f.backend];
  int i = set.find(server);
  if (i >= 0) f.server = set.servers[i];
  return f;
}

}  // namespace

Response json_response(int status, const std::string& body) {
  return {status, "application/json", body + "\n"};
}

Response json_error(int status, const std::string& message) {
  return json_response(status, json{{"error", message}}.dump());
}

std::string backends_json(const runtime::Snapshot& snap, const metrics::WorkerMetrics& m) {
  json out = json::array();
  uint64_t now = upstream::now_ms();
  for (size_t b = 0; b < snap.cfg->backends.size(); ++b) {
    const config::Backend& be = snap.cfg->backends[b];
    json servers = json::array();
    for (const auto& s : snap.servers[b]->servers) {
      uint64_t changed = s->last_change_ms.load(std::memory_order_relaxed);
      json j = {{"name", s->name},
                {"address", s->address.text},
                {"state", upstream::admin_state_name(s->admin())},
                {"weight", s->weight()},
                {"config_weight", s->config_weight},
                {"active", active_of(*s)},
                {"health", !be.health.enabled ? "none" : s->healthy() ? "up" : "down"},
                {"ejected", s->ejected(now)},
                {"health_transitions", s->health_transitions.load(std::memory_order_relaxed)},
                {"requests", counters_json(m, s->metrics_series)}};
      j["last_change_seconds_ago"] =
          changed == 0 ? json(nullptr) : json((now - changed) / 1000.0);
      servers.push_back(std::move(j));
    }
    out.push_back({{"name", be.name},
                   {"balance", be.balance == config::Balance::kRoundRobin ? "roundrobin"
                               : be.balance == config::Balance::kSourceHash ? "source"
                                                                            : "cookie"},
                   {"requests", counters_json(m, snap.backend_series[b])},
                   {"servers", std::move(servers)}});
  }
  return json{{"generation", snap.generation_id}, {"backends", std::move(out)}}.dump();
}

namespace {

// The value of `key` in Prometheus label pairs (`a="x",b="y\"z"`), unescaped.
std::string label_of(const std::string& labels, const std::string& key) {
  std::string want = key + "=\"";
  size_t at = 0;
  while ((at = labels.find(want, at)) != std::string::npos) {
    if (at == 0 || labels[at - 1] == ',') break;
    at += want.size();
  }
  if (at == std::string::npos) return "";
  std::string out;
  for (size_t i = at + want.size(); i < labels.size() && labels[i] != '"'; ++i) {
    if (labels[i] == '\\' && i + 1 < labels.size()) {
      ++i;
      out += labels[i] == 'n' ? '\n' : labels[i];
    } else {
      out += labels[i];
    }
  }
  return out;
}

// The certificates TLS modules serve, from the gauge they publish
// (tls_certificate_expiry_timestamp_seconds): the core reads no certificate
// itself, whatever the TLS library.
json certificates_json() {
  json out = json::array();
  std::vector<metrics::ModuleMetric> list = metrics::module_metric_list();
  for (size_t id = 0; id < list.size(); ++id) {
    const metrics::ModuleMetric& m = list[id];
    if (m.name != "tls_certificate_expiry_timestamp_seconds") continue;
    out.push_back({{"module", m.module},
                   {"cert", label_of(m.labels, "cert")},
                   {"not_after", metrics::module_metric_sum(static_cast<int32_t>(id))}});
  }
  return out;
}

}  // namespace

std::string generation_json(const runtime::Snapshot& snap) {
  json mods = json::array();
  for (const modules::Instance& i : snap.gen->instances) {
    const gantry_module_desc_t& d = i.module->desc;
    mods.push_back({{"name", i.name},
                    {"module", d.name != nullptr ? d.name : ""},
                    {"version", d.version != nullptr ? d.version : ""},
                    {"path", i.module->path}});
  }
  json listeners = json::array();
  for (const config::Listener& l : snap.cfg->listeners)
    listeners.push_back({{"name", l.name}, {"bind", l.bind.text}, {"tls", l.tls.provider}});
  return json{{"generation", snap.generation_id},
              {"version", GANTRY_VERSION},
              {"config", snap.cfg->file},
              {"modules", std::move(mods)},
              {"listeners", std::move(listeners)},
              {"certificates", certificates_json()}}
      .dump();
}

Response change_server(Controller* ctl, const std::string& backend, const std::string& server,
                       const std::string& what, const std::string& body) {
  std::shared_ptr<const runtime::Snapshot> snap = ctl->current();
  Found f = find(*snap, backend, server);
  if (f.backend < 0) return json_error(404, "no backend '" + backend + "'");
  if (f.server == nullptr) return json_error(404, "no server '" + server + "' in " + backend);
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return json_error(400, "the body must be a JSON object");
  upstream::Server& s = *f.server;
  if (what == "state") {
    upstream::AdminState st;
    if (!j.contains("state") || !j["state"].is_string() ||
        !upstream::parse_admin_state(j["state"].get<std::string>(), &st))
      return json_error(400, "\"state\" must be \"ready\", \"drain\" or \"maint\"");
    if (s.admin() != st) {
      s.set_admin(st);
      s.note_change();
    }
    GLOG_INFO("admin: %s/%s state set to %s", backend.c_str(), server.c_str(),
              upstream::admin_state_name(st));
  } else {
    if (!j.contains("weight") || !j["weight"].is_number_integer() || j["weight"].get<int64_t>() < 1 ||
        j["weight"].get<int64_t>() > 256)
      return json_error(400, "\"weight\" must be an integer from 1 to 256");
    s.set_weight(static_cast<uint32_t>(j["weight"].get<int64_t>()));
    s.note_change();
    GLOG_INFO("admin: %s/%s weight set to %u", backend.c_str(), server.c_str(), s.weight());
  }
  return json_response(200, json{{"backend", backend},
                                 {"server", server},
                                 {"state", upstream::admin_state_name(s.admin())},
                                 {"weight", s.weight()}}
                                .dump());
}

Response add_server(Controller* ctl, const std::string& backend, const std::string& body) {
  std::shared_ptr<const runtime::Snapshot> snap = ctl->current();
  int b = snap->cfg->backend_index(backend);
  if (b < 0) return json_error(404, "no backend '" + backend + "'");
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("address") || !j["address"].is_string())
    return json_error(400, "the body must be {\"address\": \"host:port\", \"name\"?, \"weight\"?}");
  config::Address addr;
  std::string why;
  if (!config::parse_address(j["address"].get<std::string>(), false, &addr, &why))
    return json_error(400, why);
  std::string name = j.value("name", addr.text);
  int64_t weight = j.contains("weight") && j["weight"].is_number_integer() ? j["weight"].get<int64_t>() : 1;
  if (weight < 1 || weight > 256) return json_error(400, "\"weight\" must be from 1 to 256");
  const upstream::ServerSet& old = *snap->servers[b];
  if (old.find(name) >= 0) return json_error(409, "server '" + name + "' exists");
  auto set = std::make_shared<upstream::ServerSet>(old);
  set->servers.push_back(snap->make_server(b, name, addr, static_cast<uint32_t>(weight)));
  ctl->publish_servers(b, set);
  GLOG_INFO("admin: server %s (%s) added to %s", name.c_str(), addr.text.c_str(), backend.c_str());
  return json_response(200, json{{"backend", backend}, {"server", name}, {"added", true}}.dump());
}

// Removing takes a server out only once it carries nothing: the operator
// drains it (or sets maint) first, and the call is refused while requests
// are still in flight to it.
Response remove_server(Controller* ctl, const std::string& backend, const std::string& server) {
  std::shared_ptr<const runtime::Snapshot> snap = ctl->current();
  Found f = find(*snap, backend, server);
  if (f.backend < 0) return json_error(404, "no backend '" + backend + "'");
  if (f.server == nullptr) return json_error(404, "no server '" + server + "' in " + backend);
  if (f.server->admin() == upstream::AdminState::kReady)
    return json_error(409, "drain the server (or set maint) before removing it");
  if (active_of(*f.server) != 0)
    return json_error(409, "the server still has requests in flight; try again once drained");
  const upstream::ServerSet& old = *snap->servers[f.backend];
  if (old.servers.size() == 1) return json_error(409, "a backend keeps at least one server");
  auto set = std::make_shared<upstream::ServerSet>();
  for (const auto& s : old.servers)
    if (s != f.server) set->servers.push_back(s);
  ctl->publish_servers(f.backend, set);
  GLOG_INFO("admin: server %s removed from %s", server.c_str(), backend.c_str());
  return json_response(200, json{{"backend", backend}, {"server", server}, {"removed", true}}.dump());
}

}  // namespace gantry::admin
