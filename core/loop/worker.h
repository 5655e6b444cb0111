#pragma once
// A worker: one thread, one uv_loop_t, and everything created on it. Other
// threads talk to it only through post().
#include <uv.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gantry::loop {

class Worker {
 public:
  static constexpr size_t kReadBufferSize = 64 * 1024;

  explicit Worker(uint32_t index);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  void start();
  // Thread-safe: run fn on this worker's loop.
  void post(std::function<void()> fn);
  // Close the wake handle so the loop ends once every other handle closed.
  void stop_when_idle();  // loop thread only
  void join();

  uv_loop_t* loop() { return &loop_; }
  uint32_t index() const { return index_; }
  // Scratch for reads: consumed or copied before the read callback returns,
  // so idle connections hold no buffer of their own.
  char* read_buffer() { return read_buf_.data(); }
  char* plain_buffer() { return plain_buf_.data(); }
  // The worker whose loop runs on this thread, or null.
  static Worker* current();

  void* user_data = nullptr;  // the proxy's per-worker state

 private:
  static void on_wake(uv_async_t* h);
  void run();

  uint32_t index_;
  uv_loop_t loop_;
  uv_async_t wake_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::function<void()>> queue_;
  bool closing_ = false;
  std::vector<char> read_buf_;
  std::vector<char> plain_buf_;
};

}  // namespace gantry::loop
