#pragma once
// Coarse deadlines for one worker. Thousands of idle connections and tunnels
// are the normal case, and a uv_timer_t each (a heap node and a start/stop
// per request) would be a large part of what they cost; instead one timer
// per worker sweeps a list of deadlines. A deadline is checked every tick, so
// it fires up to one tick late; a tick is a quarter of the shortest timeout
// armed since the list was last empty, between 10 ms and 1 s.
#include <uv.h>

#include <cstddef>
#include <cstdint>

namespace gantry::loop {

class DeadlineClock {
 public:
  // Embedded in whatever owns a deadline; the clock never owns entries.
  struct Entry {
    using Expire = void (*)(Entry*);
    explicit Entry(Expire fn) : expire(fn) {}
    Entry* prev = nullptr;
    Entry* next = nullptr;
    uint64_t deadline = 0;  // loop time in ms; 0: not on the clock
    Expire expire;
    bool armed() const { return deadline != 0; }
  };

  explicit DeadlineClock(uv_loop_t* loop);
  DeadlineClock(const DeadlineClock&) = delete;
  DeadlineClock& operator=(const DeadlineClock&) = delete;

  // (Re)arms `e` to expire `ms` from now; 0 takes it off the clock.
  void arm(Entry* e, uint64_t ms);
  void disarm(Entry* e);
  size_t armed() const { return count_; }
  // Closes the timer; call before the loop ends, with no entry armed.
  void close();

 private:
  static void on_tick(uv_timer_t* t);
  void sweep();

  uv_loop_t* loop_;
  uv_timer_t* timer_ = nullptr;  // made on first use; its close callback frees it
  Entry list_{nullptr};          // sentinel of a circular list
  uint64_t tick_ = 0;            // 0: not ticking
  size_t count_ = 0;
  bool closed_ = false;
};

}  // namespace gantry::loop
