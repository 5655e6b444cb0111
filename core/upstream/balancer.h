#pragma once
// Server selection for one backend on one worker (no locks: each worker owns
// its BalancerState). Servers that cannot take a request (down, ejected, in
// maintenance, draining for new requests) are skipped.
#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "upstream/retry_policy.h"
#include "upstream/server.h"

namespace gantry::upstream {

// A request waiting for a server to fall under max_connections.
class SlotWaiter {
 public:
  virtual ~SlotWaiter() = default;
  // A slot is free: the waiter has left the queue and may pick now.
  virtual void on_slot_free() = 0;
};

class BalancerState {
 public:
  BalancerState(const config::Backend* backend, std::shared_ptr<const ServerSet> set,
                uint32_t worker = 0, uint32_t workers = 1);

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

  // max_connections, as this worker's share: a request holds a slot of its
  // server from its attempt until its leg lets go.
  void take_slot(Server& s);
  void free_slot(Server& s);
  // Some server could take a request but for max_connections.
  bool saturated() const;
  // The bounded queue of requests waiting for a slot (false: full).
  bool enqueue(SlotWaiter* w);
  void dequeue(SlotWaiter* w);

 private:
  int pick_round_robin(const std::vector<const Server*>& avoid, uint64_t now);
  int pick_hash(std::string_view key, const std::vector<const Server*>& avoid, uint64_t now);
  bool eligible(size_t i, const std::vector<const Server*>& avoid, uint64_t now) const;
  bool full(const Server& s) const;
  int pick_one(std::string_view key, const std::vector<const Server*>& avoid, uint64_t now);
  int pick_least(const std::vector<const Server*>& avoid, uint64_t now);
  int pick_two_random(const std::vector<const Server*>& avoid, uint64_t now);
  bool less_busy(size_t a, size_t b) const;
  uint64_t random() {
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return rng_;
  }

  const config::Backend* backend_;
  std::shared_ptr<const ServerSet> set_;
  std::vector<int64_t> current_;  // smooth weighted round robin (nginx's scheme)
  uint64_t rng_;                  // random: xorshift state, per worker, no lock
  size_t next_ = 0;               // leastconn: where ties start
  bool has_backups_ = false;
  bool backups_ = false;          // pick() is choosing among the backups
  uint32_t worker_;
  uint32_t slot_limit_;  // this worker's share of max_connections; 0: none
  std::deque<SlotWaiter*> queue_;
};

}  // namespace gantry::upstream
