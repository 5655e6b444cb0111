#pragma once
// An HTTP/1.1 client connection: on a proxy_protocol listener first the
// PROXY header (before TLS), then its request parser, one exchange at a time
// (pipelined requests wait their turn), keep-alive, client timeouts, the
// lingering close, and the raw byte relay after an upgrade. It is the
// exchange's Downstream: it turns responses into HTTP/1.1 bytes.
#include <memory>
#include <string>

#include "downstream/client_conn.h"
#include "downstream/h2_connection.h"
#include "exchange/downstream.h"
#include "exchange/exchange.h"
#include "http/parser.h"
#include "http/serializer.h"
#include "loop/deadline_clock.h"

namespace gantry::downstream {

class Http1Session final : public ClientConn,
                           public net::ConnHandler,
                           public http::ParserEvents,
                           public exchange::Downstream,
                           private H2Owner,
                           private loop::DeadlineClock::Entry {
 public:
  Http1Session(runtime::WorkerContext& wc, std::shared_ptr<const runtime::Snapshot> snap,
               int listener, ConnList* list);
  ~Http1Session() override;

  bool start(uv_stream_t* server) override;
  void on_drain() override;
  void shed() override { abort(); }
  bool idle() const override {
    return state_ == State::kIdle || (state_ == State::kH2 && h2_->idle());
  }

 private:
  // Where the connection is.
  enum class State : uint8_t {
    kProxyHeader,  // a proxy_protocol listener: the PROXY header has not ended
    kIdle,       // between requests
    kRequest,    // a request (head or body) is arriving
    kWaiting,    // the request is in; its response is not done
    kTunnel,     // after a 101
    kH2,         // HTTP/2 (ALPN h2 or the h2c preface): h2_ reads and writes
    kLingering,  // our FIN is sent; reading and dropping until the peer closes
    kClosed,     // close() was called; on_conn_closed frees the session
  };
  // Why reading from the client may be off.
  enum class Reading : uint8_t { kOn, kPausedByServer, kEof };
  // An exchange that ended while the parser was still inside its callbacks
  // is completed once the parser returns.
  enum class Ended : uint8_t { kNo, kReusable, kClose };
  // How the response body goes out.
  enum class Output : uint8_t { kNone, kHeadHeld, kBody };

  // net::ConnHandler
  void on_conn_data(net::Conn* c, const char* p, size_t n) override;
  void on_conn_eof(net::Conn* c) override;
  void on_conn_error(net::Conn* c, int err) override;
  void on_conn_timeout(net::Conn* c) override;
  void on_conn_handshake(net::Conn* c) override;
  void on_conn_drained(net::Conn* c) override;
  void on_conn_closed(net::Conn* c) override;
  // http::ParserEvents (requests)
  int on_head(http::Head& head) override;
  void on_body(const char* p, size_t n) override;
  void on_message_end() override;
  // exchange::Downstream
  const exchange::ClientFacts& client() const override { return facts(); }
  uint64_t bytes_sent() const override { return conn_->bytes_written(); }
  gantry_status_t tls_info(gantry_tls_info_t* out) const override {
    return conn_->transport_info(out);
  }
  void send_interim(const http::Head& head) override;
  void send_head(const exchange::OutgoingResponse& r) override;
  void send_body(const char* p, size_t n) override;
  void end_body() override;
  void flush() override;
  bool unsend_head() override;
  bool congested() const override { return conn_->above_high_water(); }
  void pause_request() override;
  void resume_request() override;
  void send_switching(const http::Head& head) override;
  std::string begin_tunnel() override;
  void tunnel_send(const char* p, size_t n) override { conn_->write(p, n); }
  void tunnel_shutdown() override { conn_->shutdown_write(); }
  void exchange_done(bool reusable) override;
  void abort() override;

  // H2Owner
  void h2_arm(uint64_t ms) override;
  void h2_finished() override { close_gracefully(); }

  // The connection speaks HTTP/2 from here on; `p` holds what the client
  // already sent (the h2c preface and what followed).
  void start_h2(const char* p, size_t n);
  // A plain h2c listener's first bytes: true if they were taken (HTTP/2,
  // or a preface still incomplete).
  bool take_h2c_preface(const char* p, size_t n);
  void read_proxy_header(const char* p, size_t n);
  void parse(const char* p, size_t n);
  void parse_some(const char* p, size_t n);
  void drive();
  void go_idle();
  bool complete_exchange(bool reusable);
  bool client_wants_close() const;
  void reject(int status, const char* why);
  void close_gracefully();
  bool can_close_at_once() const;
  void arm(uint64_t ms) { wc_.clock.arm(this, ms); }
  static void on_deadline(loop::DeadlineClock::Entry* e);
  void on_timeout();
  bool open() const { return state_ != State::kClosed && state_ != State::kLingering; }

  static constexpr size_t kMaxBacklog = 64 * 1024;  // pipelined bytes held per connection
  static constexpr uint64_t kLingerMs = 2000;
  static constexpr uint64_t kDrainIdleMs = 1000;  // idle keep-alive grace when draining

  std::unique_ptr<http::Parser> parser_;  // released when the connection becomes a tunnel
  std::unique_ptr<net::ProxyHeaderReader> proxy_reader_;  // until the header has ended
  std::unique_ptr<exchange::Exchange> exchange_;
  std::unique_ptr<H2Connection> h2_;  // with State::kH2
  std::string backlog_;  // pipelined bytes waiting for the current exchange
  State state_ = State::kIdle;
  Reading reading_ = Reading::kOn;
  Ended ended_ = Ended::kNo;
  Output output_ = Output::kNone;
  http::Framing out_framing_ = http::Framing::kNone;
  bool close_after_ = false;  // the connection ends with the current exchange
  bool in_parse_ = false;     // inside parser_->feed(): exchanges end through ended_
  int reject_status_ = 0;     // the status an exchange asked to refuse its head with
  uint64_t exchanges_ = 0;    // started on this connection (h2c comes first or not at all)
};

}  // namespace gantry::downstream
