#pragma once
// Server selection for one backend, per worker (no locks: each worker owns its
// own BalancerState). Down servers (health checks) are skipped.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace gantry::upstream {

// Shared across workers: written by the health checker on the main thread.
struct ServerHealth {
  std::atomic<bool> up{true};
};

struct BackendHealth {
  std::vector<std::unique_ptr<ServerHealth>> servers;  // parallel to Backend::servers
};

class BalancerState {
 public:
  explicit BalancerState(const config::Backend* backend, const BackendHealth* health);
  // Index of the chosen server, or -1 if none is up. `key` (client address
  // bytes or a cookie value) is used by hashing balancers; `exclude` is a
  // server already tried for this request (-1: none).
  int pick(std::string_view key, int exclude);
  // Index of the server whose name equals `name` and is up, or -1.
  int find_up(std::string_view name) const;
  bool is_up(int i) const;

 private:
  int pick_round_robin(int exclude);
  int pick_hash(std::string_view key, int exclude);

  const config::Backend* backend_;
  const BackendHealth* health_;
  std::vector<int64_t> current_;  // smooth weighted round robin (nginx's scheme)
};

}  // namespace gantry::upstream
