#pragma once
// One HTTP/2 stream: one exchange. It is the exchange's Downstream, so
// routing, modules, the log and the upstream leg are the HTTP/1.1 ones; it
// turns the request's header fields into a head (RFC 9113 8.3: :authority
// becomes Host, cookie crumbs are joined) and the response into nghttp2
// submissions, with the body held here until the client's window takes it.
#include <nghttp2/nghttp2.h>

#include <memory>
#include <string>

#include "exchange/downstream.h"
#include "exchange/exchange.h"
#include "loop/deadline_clock.h"

namespace gantry::downstream {

class H2Connection;

class H2Stream final : public exchange::Downstream {
 public:
  H2Stream(H2Connection* conn, int32_t id);
  ~H2Stream() override;

  int32_t id() const { return id_; }
  // --- the request, from nghttp2's callbacks ------------------------------
  // false: refused (the stream is reset).
  bool on_header(std::string_view name, std::string_view value);
  void on_headers_end(bool end_stream);
  void on_data(const uint8_t* p, size_t n);
  void on_request_end();
  // nghttp2 sent the last frame of the response (END_STREAM).
  void on_response_sent();
  // nghttp2 closed the stream (sent or received END_STREAM both ways, or a
  // reset). A live exchange is told the client went away.
  void on_closed(uint32_t error_code);

  // nghttp2's data source: copies what the response body has ready.
  ssize_t read_body(uint8_t* buf, size_t length, uint32_t* flags);

  // The connection drained or the client's window opened: an exchange that
  // stopped reading its server may go on.
  void maybe_resume_upstream();
  bool finished() const { return exchange_done_ && closed_; }
  uint32_t header_bytes() const { return header_bytes_; }
  size_t buffered() const { return out_.size() - out_off_; }
  void on_connection_gone();

 private:
  // exchange::Downstream
  const exchange::ClientFacts& client() const override;
  uint64_t bytes_sent() const override { return bytes_sent_; }
  gantry_status_t tls_info(gantry_tls_info_t* out) const override;
  void send_interim(const http::Head& head) override;
  void send_head(const exchange::OutgoingResponse& r) override;
  void send_body(const char* p, size_t n) override;
  void end_body() override;
  void flush() override;
  bool unsend_head() override;
  bool congested() const override;
  void pause_request() override;
  void resume_request() override;
  void send_switching(const http::Head&) override {}
  std::string begin_tunnel() override { return {}; }
  void tunnel_send(const char*, size_t) override {}
  void tunnel_shutdown() override {}
  void exchange_done(bool reusable) override;
  void abort() override;

  void submit_head();
  void reset(uint32_t error_code);
  // timeouts.client_body, while the client owes DATA it has window for.
  void arm_body_deadline();
  void disarm_body_deadline();
  static void on_body_deadline(loop::DeadlineClock::Entry* e);

  // Where the response is.
  enum class Output : uint8_t {
    kNone,       // nothing yet
    kHeadHeld,   // send_head() came; submitted at flush() (unsend_head may take it back)
    kBody,       // submitted with a data source; body bytes follow
    kEnded,      // all of the body is in out_
  };

  H2Connection* conn_;
  int32_t id_;
  std::unique_ptr<exchange::Exchange> exchange_;
  std::string authority_, cookies_;
  uint32_t header_bytes_ = 0;
  bool has_length_ = false;
  uint64_t length_ = 0;
  // Response.
  Output output_ = Output::kNone;
  const http::Head* held_head_ = nullptr;
  exchange::BodySize held_body_ = exchange::BodySize::kNone;
  uint64_t held_length_ = 0;
  std::string out_;
  size_t out_off_ = 0;
  bool deferred_ = false;     // nghttp2 waits for body bytes (NGHTTP2_ERR_DEFERRED)
  bool congested_ = false;    // the exchange was told to stop reading its server
  uint64_t bytes_sent_ = 0;
  // The request as it arrives. While the exchange has paused it, DATA
  // still goes to the exchange but is not given back to the client's window
  // (unconsumed_), so the client stops at initial_window_size.
  enum class Input : uint8_t {
    kHeaders,
    kBody,
    kPaused,
    kEnded,
    kAbandoned,  // the body stalled past client_body: 408, then RST_STREAM(NO_ERROR)
  } input_ = Input::kHeaders;
  struct BodyDeadline : loop::DeadlineClock::Entry {
    explicit BodyDeadline(H2Stream* s) : Entry(&H2Stream::on_body_deadline), stream(s) {}
    H2Stream* stream;
  } body_deadline_{this};
  size_t unconsumed_ = 0;
  bool exchange_done_ = false;
  bool closed_ = false;
};

}  // namespace gantry::downstream
