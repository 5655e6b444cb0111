#pragma once
// A backend as the balancer and selector see it: servers with names and
// weights, whose health the test flips as the health checker would.
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
      set->servers.push_back(std::make_shared<Server>(name, config::Address{}, weight, 1));
    }
    state = std::make_unique<BalancerState>(&backend, set);
  }

  void set_up(int i, bool up) { set->servers[i]->set_healthy(up); }
  const std::string& name(int i) const { return backend.servers[i].name; }
  // The index of `s` in the set, or -1 for none.
  int index_of(const Server* s) const {
    for (size_t i = 0; i < set->servers.size(); ++i)
      if (set->servers[i].get() == s) return static_cast<int>(i);
    return -1;
  }
  std::vector<const Server*> avoid(int i) const {
    if (i < 0) return {};
    return {set->servers[i].get()};
  }

  config::Backend backend;
  std::shared_ptr<ServerSet> set = std::make_shared<ServerSet>();
  std::unique_ptr<BalancerState> state;
};

}  // namespace gantry::upstream
