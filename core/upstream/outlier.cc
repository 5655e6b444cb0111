#include "upstream/outlier.h"

#include <algorithm>

#include "util/log.h"

namespace gantry::upstream {
namespace {

// Whether one more ejection keeps the backend within max_ejection_percent
// (so a backend of one server, under 100%, never ejects it).
bool room_to_eject(const ServerSet& set, uint32_t max_percent, uint64_t now) {
  if (max_percent == 0) return false;
  size_t out = 0;
  for (const auto& s : set.servers) out += s->ejected(now);
  size_t allowed = set.servers.size() * max_percent / 100;
  return out + 1 <= allowed;
}

}  // namespace

void report_outcome(Server& s, const ServerSet& set, const config::Backend& backend, Outcome o,
                    std::string_view cause) {
  const config::Outlier& cfg = backend.outlier;
  if (cfg.consecutive_5xx == 0) return;
  if (o == Outcome::kGood) {
    // Read first: a healthy server's counter stays 0 and its cache line clean.
    if (s.consecutive_failures.load(std::memory_order_relaxed) != 0)
      s.consecutive_failures.store(0, std::memory_order_relaxed);
    return;
  }
  uint32_t streak = s.consecutive_failures.fetch_add(1, std::memory_order_relaxed) + 1;
  if (streak < cfg.consecutive_5xx) return;
  uint64_t now = now_ms();
  uint64_t until = s.ejected_until();
  if (until > now) return;  // out already
  if (!room_to_eject(set, cfg.max_ejection_percent, now)) {
    GLOG_DEBUG("backend %s server %s: not ejected, max_ejection_percent reached",
               backend.name.c_str(), s.name.c_str());
    return;
  }
  uint32_t n = s.ejections.load(std::memory_order_relaxed) + 1;
  uint64_t length = std::min<uint64_t>(cfg.base_ejection_time * n, cfg.max_ejection_time);
  // Two workers may cross the threshold together: one ejects.
  if (!s.eject_until_if(until, now + length)) return;
  s.ejections.store(n, std::memory_order_relaxed);
  s.consecutive_failures.store(0, std::memory_order_relaxed);
  s.ejection_open.store(true, std::memory_order_relaxed);
  s.note_change();
  GLOG_WARN("backend %s server %s ejected for %llums (ejection %u): %u failures in a row, "
            "the last %.*s",
            backend.name.c_str(), s.name.c_str(), static_cast<unsigned long long>(length), n,
            streak, static_cast<int>(cause.size()), cause.data());
}

void note_return(Server& s, std::string_view backend, std::string_view why) {
  if (!s.ejection_open.exchange(false, std::memory_order_relaxed)) return;
  s.back_since_ms.store(now_ms(), std::memory_order_relaxed);
  s.note_change();
  GLOG_INFO("backend %.*s server %s returns from ejection: %.*s",
            static_cast<int>(backend.size()), backend.data(), s.name.c_str(),
            static_cast<int>(why.size()), why.data());
}

}  // namespace gantry::upstream
