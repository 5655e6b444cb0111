#include "upstream/selector.h"

namespace gantry::upstream {

Choice choose(BalancerState& bal, const config::Backend& backend, const Affinity& a) {
  Choice c;
  if (!a.module_key.empty()) {
    // A module named the server, or gave a key to hash.
    c.server = bal.find_up(a.module_key);
    if (c.server < 0) c.server = bal.pick(a.module_key, -1);
    return c;
  }
  switch (backend.balance) {
    case config::Balance::kCookie:
      // A cookie naming a server that is down (or gone) picks afresh, and
      // the client learns its new server.
      if (!a.cookie.empty()) c.server = bal.find_up(a.cookie);
      if (c.server < 0) {
        c.server = bal.pick({}, -1);
        c.insert_cookie = c.server >= 0;
      }
      return c;
    case config::Balance::kSourceHash:
      c.server = bal.pick(a.client, -1);
      return c;
    case config::Balance::kRoundRobin:
      break;
  }
  c.server = bal.pick({}, -1);
  return c;
}

int choose_other(BalancerState& bal, int failed) {
  int next = bal.pick({}, failed);
  return next == failed ? -1 : next;
}

}  // namespace gantry::upstream
