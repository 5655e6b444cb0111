#include "upstream/selector.h"

namespace gantry::upstream {
namespace {

std::shared_ptr<Server> at(const BalancerState& bal, int i) {
  return i < 0 ? nullptr : bal.set().servers[i];
}

}  // namespace

Choice choose(BalancerState& bal, const config::Backend& backend, const Affinity& a) {
  static const std::vector<const Server*> kNone;
  Choice c;
  if (!a.module_key.empty()) {
    // A module named the server, or gave a key to hash.
    int i = bal.find_pinned(a.module_key);
    c.server = at(bal, i >= 0 ? i : bal.pick(a.module_key, kNone));
    return c;
  }
  switch (backend.balance) {
    case config::Balance::kCookie: {
      // A cookie naming a server that cannot take it (down, ejected, in
      // maintenance, gone) picks afresh, and the client learns its new server.
      int i = a.cookie.empty() ? -1 : bal.find_pinned(a.cookie);
      if (i < 0) {
        i = bal.pick({}, kNone);
        c.insert_cookie = i >= 0;
      }
      c.server = at(bal, i);
      return c;
    }
    case config::Balance::kSourceHash:
      c.server = at(bal, bal.pick(a.client, kNone));
      return c;
    case config::Balance::kHash:
      c.server = at(bal, bal.pick(a.hash, kNone));
      return c;
    case config::Balance::kRoundRobin:
    case config::Balance::kLeastConn:
    case config::Balance::kRandom:
      break;
  }
  c.server = at(bal, bal.pick({}, kNone));
  return c;
}

std::shared_ptr<Server> choose_other(BalancerState& bal, const std::vector<const Server*>& tried) {
  return at(bal, bal.pick({}, tried));
}

}  // namespace gantry::upstream
