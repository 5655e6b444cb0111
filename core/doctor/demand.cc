#include "doctor/demand.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "module_loader/generation.h"

namespace gantry::doctor {

namespace {

// Descriptors the process holds besides connections: listeners, logs,
// eventfds, the modules' own files.
constexpr uint64_t kFdSlack = 256;

bool is_loopback(const sockaddr_storage& sa) {
  if (sa.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(&sa);
    return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<const sockaddr_in6*>(&sa);
    return IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
  }
  return false;
}

// The [[module]] entries whose library is socket_tuning, by config name.
bool is_socket_tuning(const config::Config& cfg, const std::string& module_name) {
  for (const auto& m : cfg.modules) {
    if (m.name != module_name) continue;
    std::string base = m.path.substr(m.path.find_last_of('/') + 1);
    return base.rfind("socket_tuning", 0) == 0;
  }
  return false;
}

// tcp_fastopen in a socket_tuning table: an integer queue length or a bool.
bool fastopen_on(const gantry_cfg_t* table) {
  const gantry_host_api_t* host = modules::host_api();
  if (table == nullptr || host == nullptr) return false;
  const gantry_cfg_t* v = host->cfg_get(table, "tcp_fastopen");
  if (v == nullptr) return false;
  int32_t b = 0;
  int64_t n = 0;
  uint32_t type = host->cfg_type(v);
  if (type == GANTRY_CFG_BOOL) return host->cfg_bool(v, &b) == GANTRY_OK && b != 0;
  if (type == GANTRY_CFG_INT) return host->cfg_int(v, &n) == GANTRY_OK && n > 0;
  return false;
}

const config::ScopeTable* tuning_scope(const config::Config& cfg,
                                       const std::vector<config::ScopeTable>& scopes) {
  for (const auto& s : scopes) {
    if (is_socket_tuning(cfg, s.module)) return &s;
  }
  return nullptr;
}

}  // namespace

Demand demand_of(const config::Config& cfg) {
  Demand d;
  d.workers = std::max<uint32_t>(1, cfg.workers);
  d.unlimited = cfg.limits.max_connections == 0;
  uint64_t per_worker =
      d.unlimited ? kUnlimitedPlanningConnections : uint64_t{cfg.limits.max_connections};
  d.client_connections = per_worker * d.workers;
  d.file_descriptors = d.client_connections * 2 + kFdSlack;
  d.max_backlog = config::Listener{}.backlog;
  if (!cfg.listeners.empty()) d.max_backlog = 0;
  for (const auto& l : cfg.listeners) {
    d.max_backlog = std::max(d.max_backlog, l.backlog);
    ++d.listeners;
    if (const auto* s = tuning_scope(cfg, l.module_scopes)) {
      ++d.tuned_listeners;
      d.listener_fastopen = d.listener_fastopen || fastopen_on(s->table);
    }
  }
  for (const auto& b : cfg.backends) {
    ++d.backends;
    for (const auto& srv : b.servers) {
      d.backends_all_loopback = d.backends_all_loopback && is_loopback(srv.address.sa);
    }
    if (const auto* s = tuning_scope(cfg, b.module_scopes)) {
      ++d.tuned_backends;
      d.backend_fastopen = d.backend_fastopen || fastopen_on(s->table);
    }
  }
  return d;
}

}  // namespace gantry::doctor
