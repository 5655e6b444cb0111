#include "loop/worker.h"

#include <signal.h>

#include <utility>

namespace gantry::loop {
namespace {
thread_local Worker* t_current = nullptr;
}

Worker::Worker(uint32_t index)
    : index_(index), read_buf_(kReadBufferSize), plain_buf_(kReadBufferSize) {
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &wake_, on_wake);
  wake_.data = this;
}

Worker::~Worker() {
  if (thread_.joinable()) thread_.join();
  uv_loop_close(&loop_);
}

Worker* Worker::current() { return t_current; }

void Worker::start() {
  thread_ = std::thread([this] { run(); });
}

void Worker::run() {
  // Signals belong to the main thread's loop.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  t_current = this;
  uv_run(&loop_, UV_RUN_DEFAULT);
  t_current = nullptr;
}

void Worker::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return;
    queue_.push_back(std::move(fn));
  }
  uv_async_send(&wake_);
}

void Worker::on_wake(uv_async_t* h) {
  auto* self = static_cast<Worker*>(h->data);
  std::vector<std::function<void()>> work;
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    work.swap(self->queue_);
  }
  for (auto& fn : work) fn();
}

void Worker::stop_when_idle() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return;
    closing_ = true;
  }
  on_wake(&wake_);  // run what is still queued
  uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace gantry::loop
