#pragma once
// Hears when a worker ran out of file descriptors while accepting.
//
// libuv keeps one spare descriptor per loop (uv_loop_t::emfile_fd). When
// accept() fails with EMFILE or ENFILE it closes the spare, accepts and
// closes every pending connection, and opens a spare again, without telling
// the connection callback: clients are dropped and nothing is said. Here
// the spare is the write end of a pipe whose read end the loop polls, so
// libuv closing it makes the read end readable (EOF): that is the event.
// Then a new pipe takes the place of whatever spare libuv opened.
#include <uv.h>

#include <functional>

namespace gantry::worker {

class SpareFdWatch {
 public:
  SpareFdWatch() = default;
  SpareFdWatch(const SpareFdWatch&) = delete;
  SpareFdWatch& operator=(const SpareFdWatch&) = delete;
  ~SpareFdWatch();

  // Loop thread (or before the loop runs). `on_used` runs on the loop each
  // time libuv used the spare.
  void start(uv_loop_t* loop, std::function<void()> on_used);
  void stop();

 private:
  struct Poll {
    uv_poll_t handle;
    int read_fd = -1;
    SpareFdWatch* owner = nullptr;
  };
  bool arm();
  static void on_readable(uv_poll_t* h, int status, int events);
  static void close_poll(Poll* p);

  uv_loop_t* loop_ = nullptr;
  Poll* poll_ = nullptr;
  std::function<void()> on_used_;
  bool stopped_ = false;
};

}  // namespace gantry::worker
