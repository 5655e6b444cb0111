#pragma once
// What a config asks of the kernel: connection counts, listen backlogs,
// fastopen use. Derived once, read by every check.
#include <cstdint>

#include "config/config.h"

namespace gantry::doctor {

struct Demand {
  uint32_t workers = 1;
  bool unlimited = false;            // max_connections = 0
  uint64_t client_connections = 0;   // max_connections x workers (planning figure if unlimited)
  uint64_t file_descriptors = 0;     // two per proxied connection (client + backend) + slack
  int max_backlog = 0;               // largest listener backlog
  bool listener_fastopen = false;    // some [listener.socket_tuning] tcp_fastopen > 0
  bool backend_fastopen = false;     // some [backend.socket_tuning] tcp_fastopen = true
  bool backends_all_loopback = true; // every server on 127/8 or ::1
  size_t listeners = 0, tuned_listeners = 0;
  size_t backends = 0, tuned_backends = 0;
};

// Per-worker connections assumed when max_connections is 0 (unlimited).
constexpr uint64_t kUnlimitedPlanningConnections = 65536;

Demand demand_of(const config::Config& cfg);

}  // namespace gantry::doctor
