#pragma once
// An HTTP/2 client connection (RFC 9113) driven by an nghttp2 server
// session: frames in, streams out, each stream an exchange (h2_stream.h).
// The HTTP/1.1 session that accepted the connection hands it over after
// ALPN chose "h2" or the client opened with the h2c preface, and keeps
// owning the socket; this object only reads and writes through it.
//
// Output is sent from a uv_check handle after the loop's I/O callbacks, not
// from inside an exchange's call: nghttp2 then closes streams and reports
// it while no exchange is on the stack, and a batch of responses leaves in
// one write.
#include <nghttp2/nghttp2.h>
#include <uv.h>

#include <map>
#include <memory>
#include <string>

#include "exchange/downstream.h"
#include "net/conn.h"
#include "runtime/snapshot.h"
#include "runtime/worker_context.h"

namespace gantry::downstream {

class H2Stream;

// What the connection asks of the session that owns the socket.
class H2Owner {
 public:
  virtual ~H2Owner() = default;
  // The idle deadline (no stream open); 0 disarms it.
  virtual void h2_arm(uint64_t ms) = 0;
  // The session is over: close once what is queued is sent.
  virtual void h2_finished() = 0;
};

class H2Connection {
 public:
  H2Connection(H2Owner* owner, net::Conn* conn, runtime::WorkerContext& wc,
               std::shared_ptr<const runtime::Snapshot> snap, const exchange::ClientFacts& facts);
  ~H2Connection();
  H2Connection(const H2Connection&) = delete;
  H2Connection& operator=(const H2Connection&) = delete;

  // Sends our SETTINGS; false if nghttp2 could not start.
  bool start();
  void on_data(const char* p, size_t n);
  void on_drained() { schedule(); }
  void on_eof();
  void on_timeout();
  // Graceful end (reload, shutdown): GOAWAY with the last stream id; the
  // streams in flight finish.
  void drain();
  bool idle() const { return streams_.empty(); }

  // --- for streams -----------------------------------------------------
  nghttp2_session* session() const { return session_; }
  runtime::WorkerContext& wc() { return wc_; }
  const runtime::Snapshot& snap() const { return *snap_; }
  const exchange::ClientFacts& facts() const { return facts_; }
  net::Conn* conn() const { return conn_; }
  // Output is waiting: send it after the current I/O callbacks.
  void schedule();
  // Response bytes held by all streams plus the socket's queue.
  size_t buffered() const { return conn_->queued() + held_; }
  // Streams report what they hold, so buffered() costs the same with 1 or
  // 100 streams open (it is asked on every response chunk).
  void hold(size_t n) { held_ += n; }
  void release(size_t n) { held_ -= n; }
  bool over_budget() const;
  // Stream refused at its head (a bad field, the header list too large).
  void refuse_stream(int32_t id, uint32_t error_code);
  uint64_t max_header_list_size() const { return snap_->cfg->http2.max_header_list_size; }

 private:
  // nghttp2 callbacks.
  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* f, void* ud);
  static int on_header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t nlen,
                       const uint8_t* value, size_t vlen, uint8_t flags, void* ud);
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* f, void* ud);
  static int on_data_chunk(nghttp2_session*, uint8_t flags, int32_t id, const uint8_t* data,
                           size_t len, void* ud);
  static int on_stream_close(nghttp2_session*, int32_t id, uint32_t error_code, void* ud);
  static int on_frame_send(nghttp2_session*, const nghttp2_frame* f, void* ud);
  static int on_invalid_frame(nghttp2_session*, const nghttp2_frame* f, int error, void* ud);
  // A stream reset by either side, or a frame nghttp2 refused: past
  // max_resets_per_second the connection ends (Rapid Reset, MadeYouReset).
  void count_reset(const char* what);
  static void on_check(uv_check_t* h);

  H2Stream* stream(int32_t id) const;
  // Sends what nghttp2 has, tells streams what happened, frees finished
  // ones, and ends the session when neither side has more to say.
  void process();
  void send_output();
  void reap();
  // A flood: GOAWAY ENHANCE_YOUR_CALM and close.
  void calm_down(const char* what);
  bool count_control_frame();
  void fail(const char* why);

  H2Owner* owner_;
  net::Conn* conn_;
  runtime::WorkerContext& wc_;
  std::shared_ptr<const runtime::Snapshot> snap_;
  const exchange::ClientFacts& facts_;
  nghttp2_session* session_ = nullptr;
  uv_check_t* check_ = nullptr;  // freed by its close callback
  std::map<int32_t, std::unique_ptr<H2Stream>> streams_;
  size_t held_ = 0;  // response bytes held by the streams
  uint64_t requests_ = 0;
  // Flood accounting: per one-second window of the loop's clock.
  uint64_t window_start_ms_ = 0;
  uint32_t resets_in_window_ = 0;
  uint32_t control_in_window_ = 0;
  enum class State : uint8_t {
    kOpen,      // serving streams
    kDraining,  // GOAWAY sent; the streams in flight finish
    kDone,      // over: the owner closes the socket
  } state_ = State::kOpen;
  bool scheduled_ = false;
  bool in_process_ = false;
};

}  // namespace gantry::downstream
