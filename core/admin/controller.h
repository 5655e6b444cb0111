#pragma once
// What the admin listener needs from the process (server/ implements it):
// the running generation, the workers' counters, reloads. The admin code
// sits below server/ and reaches it only through this interface.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "metrics/worker_metrics.h"
#include "runtime/snapshot.h"
#include "upstream/server.h"

namespace gantry::admin {

struct ReloadCounts {
  uint64_t ok = 0;
  uint64_t failed = 0;
};

struct ReloadResult {
  bool ok = false;
  uint64_t generation = 0;
  std::string message;
};

class Controller {
 public:
  virtual ~Controller() = default;
  virtual std::shared_ptr<const runtime::Snapshot> current() const = 0;
  // Sums every worker's counters; `done` runs on the main thread once all
  // answered (never, if the workers stopped meanwhile).
  virtual void collect(std::function<void(metrics::WorkerMetrics)> done) = 0;
  // Applies the config file again, as SIGHUP does, and says how it went.
  virtual ReloadResult reload_now() = 0;
  virtual ReloadCounts reloads() const = 0;
  // A server set changed (added or removed server) for backend b.
  virtual void publish_servers(size_t b, std::shared_ptr<const upstream::ServerSet> set) = 0;
};

}  // namespace gantry::admin
