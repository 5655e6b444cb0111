#include "exchange/http_state.h"

#include <vector>

namespace gantry::exchange {
namespace {

// Per thread, and so per worker: no lock. Enough for the exchanges a busy
// worker finishes between two that start, without holding much when idle.
constexpr size_t kCached = 64;
// A block whose buffers grew past this (a large body held before connecting)
// is freed rather than kept.
constexpr size_t kLargeBuffer = 64 * 1024;

thread_local std::vector<std::unique_ptr<HttpState>> t_cache;

}  // namespace

void HttpStateReturn::operator()(HttpState* s) const {
  std::unique_ptr<HttpState> owned(s);
  if (t_cache.size() >= kCached || s->fwd.capacity() > kLargeBuffer) return;
  t_cache.push_back(std::move(owned));
}

HttpStatePtr take_http_state(Downstream* down, RelayEvents* events, const config::Limits& lim) {
  std::unique_ptr<HttpState> s;
  if (t_cache.empty()) {
    s = std::make_unique<HttpState>();
  } else {
    s = std::move(t_cache.back());
    t_cache.pop_back();
    s->arena.reset();
    s->req.clear();
    s->resp.clear();
    s->fwd.clear();
    s->wire = {};
    s->balance_key.clear();
    s->module_answer.reset();
  }
  s->relay.rebind(down, events);
  s->relay.set_limits(lim.max_response_head_bytes, lim.max_response_headers);
  return HttpStatePtr(s.release());
}

}  // namespace gantry::exchange
