#pragma once
// Which server of a backend serves a request: the balancer's pick, bent by
// persistence (a module's key, the client's stickiness cookie, the client
// address), and the pick of another server after a failure.
#include <memory>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "upstream/balancer.h"

namespace gantry::upstream {

// What may pin a request to a server.
struct Affinity {
  std::string_view module_key;  // set by a module (host->set_balance_key)
  std::string_view cookie;      // value of the backend's cookie, if the request had one
  std::string_view client;      // client address, for source hashing
  std::string_view hash;        // balance = "hash": the request's hash_key value
};

struct Choice {
  std::shared_ptr<Server> server;  // null: no server can take the request
  bool insert_cookie = false;      // cookie balancing: tell the client its server
};

Choice choose(BalancerState& bal, const config::Backend& backend, const Affinity& a);
// Another server than those in `tried`, or null.
std::shared_ptr<Server> choose_other(BalancerState& bal, const std::vector<const Server*>& tried);

}  // namespace gantry::upstream
