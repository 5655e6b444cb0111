#pragma once
// A connection moves bytes and nothing else: one TCP socket, an optional
// transport session (TLS module) on top of it, at most one timer, and
// back-pressure signals. HTTP lives above it (downstream/, upstream/), which implements ConnHandler.
#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>

#include "gantry/module.h"

namespace gantry::loop {
class Worker;
}

namespace gantry::net {

class Conn;

class ConnHandler {
 public:
  virtual ~ConnHandler() = default;
  // Plaintext bytes; they live in the worker's scratch buffer only until return.
  virtual void on_conn_data(Conn* c, const char* p, size_t n) = 0;
  virtual void on_conn_eof(Conn* c) = 0;
  virtual void on_conn_error(Conn* c, int err) = 0;  // a uv error code
  virtual void on_conn_timeout(Conn* c) = 0;
  // Outgoing connection (and its TLS handshake) finished; status 0 or a uv error.
  virtual void on_conn_connected(Conn*, int /*status*/) {}
  // Server-side TLS handshake finished.
  virtual void on_conn_handshake(Conn*) {}
  // The write queue fell below the low watermark after having been above it.
  virtual void on_conn_drained(Conn*) {}
  // Both handles closed: the owner may now free the Conn.
  virtual void on_conn_closed(Conn* c) = 0;
};

class Conn {
 public:
  // Above this many queued bytes a producer should stop reading its source.
  static constexpr size_t kHighWater = 256 * 1024;
  static constexpr size_t kLowWater = 64 * 1024;

  Conn(loop::Worker* worker, ConnHandler* handler);
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn();

  // Client side: accept a pending connection from a listening handle.
  int accept_from(uv_stream_t* server);
  // Upstream side: make a socket; the caller may set options on fd() before
  // connect() starts the connection.
  int open_socket(int family);
  int connect(const sockaddr* sa);
  // Put a transport session (TLS) between the socket and the handler.
  int set_transport(const gantry_transport_t* t, void* tctx, const gantry_sess_params_t& params);
  bool has_transport() const { return transport_ != nullptr; }
  gantry_status_t transport_info(gantry_tls_info_t* out) const;

  void set_handler(ConnHandler* h) { handler_ = h; }
  // Bytes read from the socket, through the transport if there is one. For
  // an owner that read a preamble (a PROXY header) off the raw bytes before
  // setting the transport, and hands the rest of that read back here.
  void receive(const char* p, size_t n);
  void start_read();
  void stop_read();
  bool reading() const { return reading_; }

  // Bytes that go before the transport's (a PROXY header ahead of a TLS
  // handshake): written raw, in order with everything queued after.
  bool write_preamble(const char* p, size_t n) {
    uv_buf_t b = uv_buf_init(const_cast<char*>(p), static_cast<unsigned>(n));
    return raw_writev(&b, 1);
  }
  // Queue plaintext for the peer; false if the connection is failing.
  bool write(const char* p, size_t n);
  bool writev(const uv_buf_t* bufs, int nbufs);
  size_t queued() const;
  bool above_high_water() const { return queued() > kHighWater; }
  // Half-close after everything queued is sent (TLS: close_notify first).
  void shutdown_write();
  // Idempotent; on_conn_closed follows from the loop.
  void close();
  bool closing() const { return closing_; }

  // One timer per connection; the owner decides what it means. It is made on
  // first use: a tunnel keeps a single timer for its two connections.
  void set_timer(uint64_t ms);  // 0 stops it
  void stop_timer();
  // Frees the timer until the next set_timer: for a connection whose
  // timeouts another one now keeps.
  void release_timer();

  int fd() const;
  uint64_t id() const { return id_; }
  int addr(int which, sockaddr_storage* out, socklen_t* len) const;
  loop::Worker* worker() const { return worker_; }
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_connect(uv_connect_t* req, int status);
  static void on_shutdown(uv_shutdown_t* req, int status);
  static void on_timer(uv_timer_t* t);
  static void on_handle_closed(uv_handle_t* h);
  static void on_timer_released(uv_handle_t* h);
  bool ensure_timer();

  bool raw_writev(const uv_buf_t* bufs, int nbufs);
  bool seal(const char* data, size_t n);
  // TLS's largest record payload.
  static constexpr size_t kMaxSealedTogether = 16384;
  bool flush_cipher();
  void pump_plain();
  void fail(int err);
  void after_handshake();

  loop::Worker* worker_;
  ConnHandler* handler_;
  uv_tcp_t tcp_;
  // Made when needed: an idle tunnel holds neither a connect nor a shutdown
  // request, and at most one timer for its two connections.
  uv_timer_t* timer_ = nullptr;
  const gantry_transport_t* transport_ = nullptr;
  void* sess_ = nullptr;
  uint64_t id_;
  uint64_t bytes_read_ = 0;
  uint64_t bytes_written_ = 0;
  int open_handles_ = 0;
  int pending_error_ = 0;  // reported from the timer, outside the caller's stack
  bool tcp_open_ = false;
  bool reading_ = false;
  bool closing_ = false;
  bool was_high_ = false;
  bool handshake_seen_ = false;
  bool is_client_tls_ = false;   // we started the handshake (upstream TLS)
  bool connect_pending_ = false;
  bool shutdown_pending_ = false;
  bool shutdown_started_ = false;
};

}  // namespace gantry::net
