#pragma once
// Turns one resolution of a named server entry into a new ServerSet for its
// backend. Each address becomes one server named "<entry>#<address>"; a
// server that was already there stays the same object, so its health,
// ejection and counters carry over, and one that is gone is simply left out
// of the new set: requests in flight keep it alive until they finish, and no
// new request can pick it (it drains).
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "upstream/server.h"

namespace gantry::discovery {

// "<entry>#<address text>", e.g. "svc.test#127.0.0.2:8080".
std::string discovered_name(const std::string& entry, const config::Address& a);

// Makes a new server (the running snapshot's metric series, workers, weight).
using MakeServer =
    std::function<std::shared_ptr<upstream::Server>(const std::string& name, const config::Address& a)>;

struct SetChange {
  std::shared_ptr<upstream::ServerSet> set;  // the new set
  size_t added = 0;
  size_t removed = 0;
  size_t kept = 0;
  bool changed() const { return added != 0 || removed != 0; }
};

// The servers of `old` that do not belong to `entry` stay as they are, in
// their order; those of `entry` are replaced by one per address in `addrs`.
// An empty `addrs` removes them all: keeping the last good set on a failed
// or empty answer is the caller's decision.
SetChange replace_entry(const upstream::ServerSet& old, const std::string& entry,
                        const std::vector<config::Address>& addrs, const MakeServer& make);

}  // namespace gantry::discovery
