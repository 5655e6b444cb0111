#pragma once
// What a worker needs from one config generation: the Generation (config and
// module state) plus runtime state built for it: server health shared with
// the health checker, one balancer row per worker, the pool keys of the
// servers, the access log sink.
#include <memory>
#include <string>
#include <vector>

#include "module_loader/generation.h"
#include "runtime/access_sink.h"
#include "http/serializer.h"
#include "upstream/balancer.h"
#include "upstream/connector.h"
#include "upstream/server.h"

namespace gantry::runtime {

struct Snapshot {
  std::shared_ptr<modules::Generation> gen;
  const config::Config* cfg = nullptr;
  // servers[backend]: the current set, as the main thread sees it. Changes
  // at run time (admin API, DNS) publish a new set here and to every
  // worker's balancer row; only the main thread touches this vector.
  mutable std::vector<std::shared_ptr<const upstream::ServerSet>> servers;
  // balancers[worker][backend]; a worker touches only its own row.
  mutable std::vector<std::vector<upstream::BalancerState>> balancers;
  uint32_t workers = 0;
  http::ForwardOptions forward;  // [proxy]
  AccessSink access;  // the access log ([log])
  uint64_t generation_id = 0;
  std::vector<uint32_t> backend_series;   // metric series of each backend
  std::vector<uint32_t> listener_series;  // ... and of each listener
  // Exchanges are counted only when something can read the counts (an
  // admin listener is configured): with none, metrics cost nothing.
  bool count_exchanges = false;

  ~Snapshot();
  int listener_index(const std::string& bind_text) const;
  // A server for backend `b` of this generation, ready to connect to: its
  // pool key names the address, plus the transport context when connections
  // to it are encrypted (a connection made for one TLS context is never
  // reused for another).
  std::shared_ptr<upstream::Server> make_server(size_t b, std::string name, config::Address address,
                                                uint32_t weight) const;
};

// A reload keeps what operators and checks learnt about servers that stay:
// admin state, a weight set at run time, health, an ejection in force. The
// match is by backend and server name. (Servers added at run time are not
// carried: the config file says what the next generation has.)
void carry_server_state(const Snapshot& from, const Snapshot& to);

// Builds the runtime part around a generation (opens the access log).
Result<std::shared_ptr<const Snapshot>> make_snapshot(std::shared_ptr<modules::Generation> gen,
                                                      uint64_t id, uint32_t workers);

}  // namespace gantry::runtime
