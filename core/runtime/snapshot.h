#pragma once
// What a worker needs from one config generation: the Generation (config and
// module state) plus runtime state built for it: server health shared with
// the health checker, one balancer row per worker, the pool keys of the
// servers, the access log sink.
#include <memory>
#include <string>
#include <vector>

#include "module_loader/generation.h"
#include "http/serializer.h"
#include "upstream/balancer.h"
#include "upstream/connector.h"

namespace gantry::runtime {

struct Snapshot {
  std::shared_ptr<modules::Generation> gen;
  const config::Config* cfg = nullptr;
  // Per backend; the flags inside are atomics written by the health checker.
  mutable std::vector<upstream::BackendHealth> health;
  // balancers[worker][backend]; a worker touches only its own row.
  mutable std::vector<std::vector<upstream::BalancerState>> balancers;
  // pool_keys[backend][server]: the server's address, plus the transport
  // context when connections to it are encrypted (a connection made for one
  // TLS context is never reused for another).
  std::vector<std::vector<std::string>> pool_keys;
  // targets[backend][server]: what connecting to a server needs, built once.
  std::vector<std::vector<upstream::ConnectTarget>> targets;
  http::ForwardOptions forward;  // [proxy]
  int access_fd = -1;  // -1: access log off
  bool owns_access_fd = false;
  uint64_t generation_id = 0;

  ~Snapshot();
  int listener_index(const std::string& bind_text) const;
};

// Builds the runtime part around a generation (opens the access log).
Result<std::shared_ptr<const Snapshot>> make_snapshot(std::shared_ptr<modules::Generation> gen,
                                                      uint64_t id, uint32_t workers);

}  // namespace gantry::runtime
