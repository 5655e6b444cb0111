#include "upstream/server.h"

#include <uv.h>

namespace gantry::upstream {

const char* admin_state_name(AdminState s) {
  switch (s) {
    case AdminState::kReady: return "ready";
    case AdminState::kDrain: return "drain";
    case AdminState::kMaint: return "maint";
  }
  return "ready";
}

bool parse_admin_state(std::string_view text, AdminState* out) {
  for (AdminState s : {AdminState::kReady, AdminState::kDrain, AdminState::kMaint}) {
    if (text == admin_state_name(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

uint64_t now_ms() { return uv_hrtime() / 1000000; }

Server::Server(std::string server_name, config::Address addr, uint32_t w, uint32_t workers)
    : name(std::move(server_name)),
      address(std::move(addr)),
      config_weight(w),
      per_worker(workers),
      weight_(w) {}

int ServerSet::find(std::string_view server_name) const {
  for (size_t i = 0; i < servers.size(); ++i)
    if (servers[i]->name == server_name) return static_cast<int>(i);
  return -1;
}

bool Server::warn_due(uint32_t w, uint64_t now, uint32_t* suppressed) {
  constexpr uint64_t kWarnIntervalMs = 1000;
  WorkerSlot& slot = per_worker[w];
  if (now < slot.warn_next_ms) {
    ++slot.warn_suppressed;
    return false;
  }
  *suppressed = slot.warn_suppressed;
  slot.warn_suppressed = 0;
  slot.warn_next_ms = now + kWarnIntervalMs;
  return true;
}

}  // namespace gantry::upstream
