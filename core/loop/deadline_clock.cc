#include "loop/deadline_clock.h"

#include <algorithm>
#include <cstdlib>

namespace gantry::loop {

DeadlineClock::DeadlineClock(uv_loop_t* loop) : loop_(loop) {
  list_.prev = list_.next = &list_;
}

void DeadlineClock::arm(Entry* e, uint64_t ms) {
  if (ms == 0) {
    disarm(e);
    return;
  }
  if (closed_) return;
  if (e->deadline == 0) {
    e->prev = list_.prev;
    e->next = &list_;
    list_.prev->next = e;
    list_.prev = e;
    ++count_;
  }
  // Never 0 (0 means "not armed"), even on a loop clock that just started.
  e->deadline = uv_now(loop_) + ms;
  uint64_t tick = std::clamp<uint64_t>(ms / 4, 10, 1000);
  if (tick_ != 0 && tick >= tick_) return;
  if (timer_ == nullptr) {
    timer_ = static_cast<uv_timer_t*>(std::malloc(sizeof(uv_timer_t)));
    if (timer_ == nullptr) std::abort();
    uv_timer_init(loop_, timer_);
    timer_->data = this;
  }
  tick_ = tick;
  uv_timer_start(timer_, on_tick, tick, tick);
}

void DeadlineClock::disarm(Entry* e) {
  if (e->deadline == 0) return;
  e->prev->next = e->next;
  e->next->prev = e->prev;
  e->prev = e->next = nullptr;
  e->deadline = 0;
  if (--count_ == 0 && timer_ != nullptr) {
    uv_timer_stop(timer_);
    tick_ = 0;
  }
}

void DeadlineClock::on_tick(uv_timer_t* t) { static_cast<DeadlineClock*>(t->data)->sweep(); }

void DeadlineClock::sweep() {
  uint64_t now = uv_now(loop_);
  // Expiring one entry ends its owner only: the saved successor stays valid.
  for (Entry* e = list_.next; e != &list_;) {
    Entry* next = e->next;
    if (e->deadline <= now) {
      disarm(e);
      e->expire(e);
    }
    e = next;
  }
}

void DeadlineClock::close() {
  if (closed_) return;
  closed_ = true;
  if (timer_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { std::free(h); });
  timer_ = nullptr;
}

}  // namespace gantry::loop
