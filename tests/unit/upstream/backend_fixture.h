#pragma once
// A backend as the balancer and selector see it: servers with names and
// weights, and the health flags the health checker would flip.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "upstream/balancer.h"

namespace gantry::upstream {

struct BackendFixture {
  BackendFixture(std::vector<std::pair<std::string, uint32_t>> servers, config::Balance balance) {
    backend.name = "app";
    backend.balance = balance;
    for (auto& [name, weight] : servers) {
      config::Server s;
      s.name = name;
      s.weight = weight;
      backend.servers.push_back(s);
      health.servers.push_back(std::make_unique<ServerHealth>());
    }
    state = std::make_unique<BalancerState>(&backend, &health);
  }

  void set_up(int i, bool up) { health.servers[i]->up.store(up); }
  const std::string& name(int i) const { return backend.servers[i].name; }

  config::Backend backend;
  BackendHealth health;
  std::unique_ptr<BalancerState> state;
};

}  // namespace gantry::upstream
