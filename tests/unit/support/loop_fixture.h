#pragma once
// What the unit tests of loop-bound code share (net::Conn, the upstream pool
// and connector, the exchange's relay and forwarder): a loop::Worker whose
// loop the test's own thread runs, connections that record every callback,
// and a listener on 127.0.0.1 whose accepted connections record too. They
// follow libuv's own test discipline: count callbacks, close every handle,
// and require uv_loop_close() == 0 at the end.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "loop/worker.h"
#include "net/conn.h"

namespace gantry::unit_test {

// A worker that is never started: its loop runs on the test's thread.
class TestLoop {
 public:
  TestLoop() : worker_(0) {
    // A write to a reset connection must come back as EPIPE, as it does in
    // the server, which ignores SIGPIPE too.
    signal(SIGPIPE, SIG_IGN);
    // Tests post nothing; the wake handle would keep the loop alive forever.
    worker_.stop_when_idle();
    uv_timer_init(loop(), &tick_);
  }
  TestLoop(const TestLoop&) = delete;
  TestLoop& operator=(const TestLoop&) = delete;

  loop::Worker& worker() { return worker_; }
  uv_loop_t* loop() { return worker_.loop(); }

  // Runs the loop until done() holds. The limit (loop time) only keeps a
  // broken test from hanging; nothing asserts on how long it took.
  bool run_until(const std::function<bool()>& done, uint64_t limit_ms = 20000) {
    // A short repeating timer makes every UV_RUN_ONCE return, so done() is
    // looked at even when the event it waits for never comes.
    uv_timer_start(&tick_, on_tick, 5, 5);
    uv_update_time(loop());
    uint64_t end = uv_now(loop()) + limit_ms;
    while (!done() && uv_now(loop()) < end) uv_run(loop(), UV_RUN_ONCE);
    uv_timer_stop(&tick_);
    return done();
  }
  // Runs the loop for `ms` of loop time: for checking that something does
  // NOT happen, against a deadline well before the end.
  void run_for(uint64_t ms) {
    run_until([] { return false; }, ms);
  }
  // A few turns of the loop: lets callbacks already due run.
  void spin(int turns = 3) {
    for (int i = 0; i < turns; ++i) uv_run(loop(), UV_RUN_NOWAIT);
  }

  // Lets pending close callbacks run, then closes the loop: 0 when the test
  // closed every handle it made. The loop is opened again, empty, for the
  // Worker's destructor, which closes it once more.
  int close() {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&tick_)))
      uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    for (int i = 0; i < 100 && uv_loop_alive(loop()); ++i) uv_run(loop(), UV_RUN_NOWAIT);
    int r = uv_loop_close(loop());
    if (r == 0) uv_loop_init(loop());
    return r;
  }

 private:
  static void on_tick(uv_timer_t*) {}

  loop::Worker worker_;
  uv_timer_t tick_;
};

// A connection that records what its handler is told. It owns its Conn;
// delete it only after closed() (or after the loop is closed).
class RecordingConn final : public net::ConnHandler {
 public:
  explicit RecordingConn(loop::Worker* w) : conn_(new net::Conn(w, this)) {}
  RecordingConn(const RecordingConn&) = delete;
  RecordingConn& operator=(const RecordingConn&) = delete;

  net::Conn* conn() { return conn_.get(); }
  bool closed() const { return closed_count > 0; }

  // Client side: a socket connected to 127.0.0.1:port.
  int connect_to(uint16_t port) {
    if (int r = conn_->open_socket(AF_INET); r != 0) return r;
    sockaddr_in sa{};
    uv_ip4_addr("127.0.0.1", port, &sa);
    return conn_->connect(reinterpret_cast<const sockaddr*>(&sa));
  }

  std::string data;
  int eofs = 0;
  std::vector<int> errors;
  int timeouts = 0;
  std::vector<int> connected;  // statuses
  int drained = 0;
  int closed_count = 0;
  // Set by a test around its own calls into the Conn: a callback that finds
  // it set ran inside the caller's stack.
  bool in_caller = false;
  int callbacks_in_caller = 0;
  // Runs after the bytes are recorded, e.g. to answer or to close.
  std::function<void(RecordingConn*)> on_data;

  void on_conn_data(net::Conn*, const char* p, size_t n) override {
    note();
    data.append(p, n);
    if (on_data) on_data(this);
  }
  void on_conn_eof(net::Conn*) override {
    note();
    ++eofs;
  }
  void on_conn_error(net::Conn*, int err) override {
    note();
    errors.push_back(err);
  }
  void on_conn_timeout(net::Conn*) override {
    note();
    ++timeouts;
  }
  void on_conn_connected(net::Conn*, int status) override {
    note();
    connected.push_back(status);
  }
  void on_conn_drained(net::Conn*) override {
    note();
    ++drained;
  }
  void on_conn_closed(net::Conn*) override { ++closed_count; }

 private:
  void note() {
    if (in_caller) ++callbacks_in_caller;
  }
  std::unique_ptr<net::Conn> conn_;
};

// A listener on 127.0.0.1 (port from the kernel). Each accepted connection
// becomes a RecordingConn, reading at once unless told otherwise.
class LoopbackServer {
 public:
  explicit LoopbackServer(loop::Worker* w, bool read = true) : worker_(w), read_(read) {
    uv_tcp_init(w->loop(), &tcp_);
    tcp_.data = this;
    sockaddr_in sa{};
    uv_ip4_addr("127.0.0.1", 0, &sa);
    ok_ = uv_tcp_bind(&tcp_, reinterpret_cast<const sockaddr*>(&sa), 0) == 0 &&
          uv_listen(reinterpret_cast<uv_stream_t*>(&tcp_), 64, on_connection) == 0;
    int len = sizeof addr_;
    uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&addr_), &len);
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  bool ok() const { return ok_; }
  uint16_t port() const { return ntohs(addr_.sin_port); }
  const sockaddr_in& address() const { return addr_; }
  size_t accepted() const { return peers_.size(); }
  RecordingConn& peer(size_t i) { return *peers_.at(i); }

  // Stops listening and closes every accepted connection.
  void close() {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp_)))
      uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), nullptr);
    for (auto& p : peers_) p->conn()->close();
  }

 private:
  static void on_connection(uv_stream_t* s, int status) {
    auto* self = static_cast<LoopbackServer*>(s->data);
    if (status != 0) return;
    auto peer = std::make_unique<RecordingConn>(self->worker_);
    if (peer->conn()->accept_from(s) != 0) {
      peer->conn()->close();
    } else if (self->read_) {
      peer->conn()->start_read();
    }
    self->peers_.push_back(std::move(peer));
  }

  loop::Worker* worker_;
  bool read_;
  bool ok_ = false;
  uv_tcp_t tcp_;
  sockaddr_in addr_{};
  std::vector<std::unique_ptr<RecordingConn>> peers_;
};

// A port on 127.0.0.1 where nobody listens, held (bound, never listening)
// for the object's life so no other test can take it: connecting is refused.
class RefusingPort {
 public:
  RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in sa{};
    uv_ip4_addr("127.0.0.1", 0, &sa);
    socklen_t len = sizeof sa;
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), len) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) == 0)
      port_ = ntohs(sa.sin_port);
  }
  ~RefusingPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;

  uint16_t port() const { return port_; }

 private:
  int fd_;
  uint16_t port_ = 0;
};

}  // namespace gantry::unit_test
