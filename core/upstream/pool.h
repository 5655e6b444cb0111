#pragma once
// The idle upstream connections of one worker, per server (keyed by server
// identity and transport context), and the count of every open upstream
// connection, which a draining worker waits to reach zero.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "loop/deadline_clock.h"
#include "loop/worker.h"

namespace gantry::upstream {

class UpstreamConn;

class Pool {
 public:
  // Connection deadlines (connect, server, idle) are kept on `clock`.
  Pool(loop::Worker* worker, loop::DeadlineClock* clock) : worker_(worker), clock_(clock) {}
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  loop::Worker* worker() const { return worker_; }
  loop::DeadlineClock* clock() const { return clock_; }

  // The most recently pooled idle connection for `key` (the least likely to
  // have been closed by its server), or null. It comes back active.
  UpstreamConn* take(const std::string& key);
  // Keep `u` idle: at most `cap` per key (the oldest goes), closed after
  // `idle_timeout_ms`. A draining pool closes it instead.
  void put(UpstreamConn* u, uint32_t cap, uint64_t idle_timeout_ms);
  // Close every idle connection for `key` (the server just failed us).
  void drop(const std::string& key);
  size_t idle(const std::string& key) const;

  // From now on nothing is kept: idle connections close, and `on_empty` runs
  // once no upstream connection is left open.
  void drain(std::function<void()> on_empty);
  size_t open() const { return open_; }
  size_t idle_total() const;  // every key; walks the map (scrapes only)

 private:
  friend class UpstreamConn;
  void opened() { ++open_; }
  void closed();
  void forget(UpstreamConn* u);

  loop::Worker* worker_;
  loop::DeadlineClock* clock_;
  std::unordered_map<std::string, std::vector<UpstreamConn*>> idle_;
  size_t open_ = 0;
  std::function<void()> on_empty_;  // set by drain()
  bool draining_ = false;
};

}  // namespace gantry::upstream
