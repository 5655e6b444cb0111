#include "loop/main_thread.h"

#include <uv.h>

#include <mutex>
#include <utility>
#include <vector>

#include "loop/main_thread_internal.h"

namespace gantry::loop {
namespace {

struct MainQueue {
  std::mutex mu;
  uv_async_t* async = nullptr;  // null: no main loop running
  std::vector<std::function<void()>> pending;
};

MainQueue& queue() {
  static MainQueue* q = new MainQueue();  // leaked on purpose: used until exit
  return *q;
}

void on_async(uv_async_t*) { drain_main_queue(); }

}  // namespace

void run_on_main(std::function<void()> fn) {
  MainQueue& q = queue();
  {
    std::lock_guard<std::mutex> lock(q.mu);
    if (q.async != nullptr) {
      q.pending.push_back(std::move(fn));
      uv_async_send(q.async);
      return;
    }
  }
  fn();
}

void attach_main_queue(uv_loop_t* loop, uv_async_t* handle) {
  uv_async_init(loop, handle, on_async);
  std::lock_guard<std::mutex> lock(queue().mu);
  queue().async = handle;
}

void detach_main_queue() {
  {
    std::lock_guard<std::mutex> lock(queue().mu);
    queue().async = nullptr;
  }
  drain_main_queue();
}

void drain_main_queue() {
  std::vector<std::function<void()>> work;
  {
    std::lock_guard<std::mutex> lock(queue().mu);
    work.swap(queue().pending);
  }
  for (auto& fn : work) fn();
}

}  // namespace gantry::loop
