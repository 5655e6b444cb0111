#pragma once
// Active health checks, run from the main loop: per server, a TCP connect and
// (with a path) an HTTP GET whose status must be 2xx or 3xx. rise/fall
// consecutive results flip the server's health, which workers read.
#include <uv.h>

#include <memory>
#include <vector>

#include "config/config.h"
#include "upstream/server.h"

namespace gantry::upstream {

class HealthChecker {
 public:
  // sets[b]: the servers of cfg->backends[b] to check.
  HealthChecker(uv_loop_t* loop, const config::Config* cfg,
                std::vector<std::shared_ptr<const ServerSet>> sets);
  ~HealthChecker();
  void start();
  void stop();  // closes every handle; safe to delete after the loop ran once

 private:
  struct Probe;
  struct Target;
  static void on_tick(uv_timer_t* t);
  void run_probe(Target* t);

  uv_loop_t* loop_;
  const config::Config* cfg_;
  std::vector<std::shared_ptr<const ServerSet>> sets_;
  std::vector<std::unique_ptr<Target>> targets_;
};

}  // namespace gantry::upstream
