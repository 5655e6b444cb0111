#pragma once
// Server selection for one backend on one worker (no locks: each worker owns
// its BalancerState). Servers that cannot take a request (down, ejected, in
// maintenance, draining for new requests) are skipped.
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "upstream/retry_policy.h"
#include "upstream/server.h"

namespace gantry::upstream {

class BalancerState {
 public:
  BalancerState(const config::Backend* backend, std::shared_ptr<const ServerSet> set);

  const ServerSet& set() const { return *set_; }
  const std::shared_ptr<const ServerSet>& set_ptr() const { return set_; }
  // A new set of servers (added or removed at run time).
  void adopt(std::shared_ptr<const ServerSet> set);

  // Index of the chosen server, or -1 if none can take the request. `key`
  // (client address bytes, a module's key) is used by hashing balancers;
  // servers in `avoid` were tried already for this request.
  int pick(std::string_view key, const std::vector<const Server*>& avoid);
  // Index of the server named `name` if it can take a request pinned to it.
  int find_pinned(std::string_view name) const;

  // This worker's retries against its requests to the backend.
  RetryBudget budget;

 private:
  int pick_round_robin(const std::vector<const Server*>& avoid, uint64_t now);
  int pick_hash(std::string_view key, const std::vector<const Server*>& avoid, uint64_t now);
  bool eligible(size_t i, const std::vector<const Server*>& avoid, uint64_t now) const;

  const config::Backend* backend_;
  std::shared_ptr<const ServerSet> set_;
  std::vector<int64_t> current_;  // smooth weighted round robin (nginx's scheme)
};

}  // namespace gantry::upstream
