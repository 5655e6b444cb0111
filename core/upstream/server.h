#pragma once
// One server of one backend, as the proxy runs it. Its identity and
// connect target are fixed when it is made (from the config, the admin API or
// DNS); its state changes at run time. State that every worker reads is
// written by the main thread only (health checks, the admin API, ejections)
// as relaxed atomic stores: no worker takes a lock or makes a shared
// read-modify-write on the request path. What each worker counts for itself
// lives in its own cache line of `per_worker`.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "upstream/connector.h"

namespace gantry::upstream {

enum class AdminState : uint8_t {
  kReady,  // takes requests
  kDrain,  // takes only requests pinned to it (stickiness); the rest go elsewhere
  kMaint,  // takes nothing
};
const char* admin_state_name(AdminState s);
bool parse_admin_state(std::string_view text, AdminState* out);

// Milliseconds on a clock every thread shares (ejection deadlines).
uint64_t now_ms();

struct Server {
  Server(std::string server_name, config::Address addr, uint32_t config_weight, uint32_t workers);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  AdminState admin() const { return static_cast<AdminState>(admin_.load(std::memory_order_relaxed)); }
  void set_admin(AdminState s) { admin_.store(static_cast<uint8_t>(s), std::memory_order_relaxed); }
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }
  void set_healthy(bool up) { healthy_.store(up, std::memory_order_relaxed); }
  bool ejected(uint64_t now) const { return ejected_until_.load(std::memory_order_relaxed) > now; }
  void eject_until(uint64_t ms) { ejected_until_.store(ms, std::memory_order_relaxed); }
  // Sets the ejection deadline if it is still `expected`; false if another
  // thread changed it first.
  bool eject_until_if(uint64_t expected, uint64_t ms) {
    return ejected_until_.compare_exchange_strong(expected, ms, std::memory_order_relaxed);
  }
  uint64_t ejected_until() const { return ejected_until_.load(std::memory_order_relaxed); }
  uint32_t weight() const { return weight_.load(std::memory_order_relaxed); }

  // Passive outlier detection (upstream/outlier.h). Unlike the state above,
  // workers write these, but only when a response fails, when an ejection
  // starts and once when it ends: never on a request that went well.
  std::atomic<uint32_t> consecutive_failures{0};
  std::atomic<uint32_t> ejections{0};        // so far: each ejection lasts longer
  std::atomic<bool> ejection_open{false};    // ejected, and its return not logged yet
  // When the server last came back (UP after a check, or back from an
  // ejection), for slow_start; 0: never away.
  std::atomic<uint64_t> back_since_ms{0};

  // The weight the balancers use, in 1/256ths: `weight` scaled, ramped
  // from 1 to full over `slow_start_ms` after the server came back.
  uint64_t weight_at(uint64_t now, uint64_t slow_start_ms) const {
    uint64_t full = static_cast<uint64_t>(weight()) << 8;
    uint64_t since = back_since_ms.load(std::memory_order_relaxed);
    if (slow_start_ms == 0 || since == 0 || now >= since + slow_start_ms) return full;
    uint64_t w = full * (now - since) / slow_start_ms;
    return w == 0 ? 1 : w;
  }
  void set_weight(uint32_t w) { weight_.store(w, std::memory_order_relaxed); }

  // May take a request that is not pinned to it / one that is.
  bool takes_new(uint64_t now) const {
    return admin() == AdminState::kReady && healthy() && !ejected(now);
  }
  bool takes_pinned(uint64_t now) const {
    return admin() != AdminState::kMaint && healthy() && !ejected(now);
  }

  const std::string name;         // identity within its backend (cookies, hashing, the API)
  const config::Address address;
  const uint32_t config_weight;
  bool backup = false;   // set before the server is published
  std::string pool_key;  // address, plus the transport context when encrypted
  ConnectTarget target;  // what connecting needs (pool_key points here)

  // What one worker counts for this server; written by that worker only.
  struct alignas(64) WorkerSlot {
    std::atomic<uint32_t> active{0};  // requests in flight to it
    // Warnings about the server, collapsed: at most one line a second, which
    // counts the ones left out. Only the owning worker touches these.
    uint64_t warn_next_ms = 0;
    uint32_t warn_suppressed = 0;
  };
  // Whether worker `w` may log a warning about this server now; if so,
  // *suppressed is how many were left out since the last one.
  bool warn_due(uint32_t w, uint64_t now, uint32_t* suppressed);
  std::vector<WorkerSlot> per_worker;

  // Its metric series (metrics/series.h), set when it is made.
  uint32_t metrics_series = UINT32_MAX;
  // State changes and when the last one happened, read by the admin
  // listener. Transitions are written by the main thread only (health
  // checks); the time also by a worker's outlier ejection (a plain store).
  std::atomic<uint64_t> health_transitions{0};
  std::atomic<uint64_t> last_change_ms{0};  // now_ms() clock; 0: never changed
  void note_change() {
    last_change_ms.store(now_ms(), std::memory_order_relaxed);
  }

 private:
  std::atomic<uint8_t> admin_{static_cast<uint8_t>(AdminState::kReady)};
  std::atomic<bool> healthy_{true};
  std::atomic<uint64_t> ejected_until_{0};
  std::atomic<uint32_t> weight_;
};

// The servers of one backend at one moment. Immutable once published: a
// change (a server added or removed) publishes a new set, and workers adopt
// it between requests; a removed server lives on while requests hold it.
struct ServerSet {
  std::vector<std::shared_ptr<Server>> servers;
  int find(std::string_view name) const;
};

}  // namespace gantry::upstream
