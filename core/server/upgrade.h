#pragma once
// Binary upgrade, as nginx does it with SIGUSR2, without a refused
// connection: the running process starts the binary found at the path it
// was started from (a new file there is the new version), hands it every
// listening socket over a Unix socket (SCM_RIGHTS), and stops accepting only
// once the new process says it serves. The sockets are the same ones, not
// new ones bound beside them, so the kernel's accept queues carry over.
//
//   old: Upgrade::start -> child on fd 3 <- listeners (SCM_RIGHTS)
//   new: take_inherited (at start) -> serves -> report_ready ("ready PID")
//   old: on "ready": drain and exit (hard_stop_after); on exit or silence
//        of the child: keep serving and say why.
#include <uv.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace gantry::server {

// bind text -> one listening fd per worker.
using ListenerFds = std::map<std::string, std::vector<int>>;

// The path and arguments this process was started with, recorded before
// anything can replace the file (main()).
void remember_command_line(int argc, char** argv);

// New process: the listeners the old one handed over, and the channel to
// tell it "ready". Empty when this start is not an upgrade.
struct Inherited {
  ListenerFds fds;
  int channel = -1;
};
// Reads $GANTRY_UPGRADE_FD's message (once, at start); false with *why if
// the channel is there but broken.
bool take_inherited(Inherited* out, std::string* why);
// Serving now: tells the old process, which then stops accepting.
void report_ready(Inherited* in);
// Closes what the new configuration did not use.
void close_unused(Inherited* in);

class Upgrade {
 public:
  // `done(ok, message)` runs on the main loop once: ok when the new process
  // serves, else why it failed (the old process keeps serving).
  using Done = std::function<void(bool ok, const std::string& message)>;
  explicit Upgrade(uv_loop_t* loop) : loop_(loop) {}
  ~Upgrade();
  Upgrade(const Upgrade&) = delete;
  Upgrade& operator=(const Upgrade&) = delete;

  bool running() const { return state_ == State::kWaiting; }
  // Starts the new binary and sends it `sockets`; false (with done() called)
  // if it could not even start.
  bool start(const ListenerFds& sockets, uint64_t ready_timeout_ms, Done done);

 private:
  enum class State : uint8_t { kIdle, kWaiting, kServing, kFailed } state_ = State::kIdle;
  static void on_exit(uv_process_t* p, int64_t status, int signal);
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void on_timeout(uv_timer_t* t);
  void finish(bool ok, const std::string& message);
  void close_channel();

  uv_loop_t* loop_;
  uv_process_t* child_ = nullptr;  // freed by its close callback
  uv_pipe_t* channel_ = nullptr;   // ours; the child has the other end as fd 3
  uv_timer_t* timer_ = nullptr;
  std::string got_;
  Done done_;
};

}  // namespace gantry::server
