#pragma once
// The server's answer on its way to the client: parsed as it arrives,
// interim (1xx) heads passed on, the final head shown to the exchange (which
// runs the modules) and then sent down, the body streamed with back-pressure,
// a 101 turned over to the tunnel.
#include <cstddef>
#include <cstdint>

#include "exchange/downstream.h"
#include "http/parser.h"
#include "net/conn.h"

namespace gantry::exchange {

class RelayEvents {
 public:
  virtual ~RelayEvents() = default;
  // The final head arrived; false refuses it (the client gets a 502). The
  // rest of the relay's news comes back from feed(), once the parser is off
  // the stack, so the exchange can end without pulling the rug from under it.
  virtual bool on_response_head() = 0;
};

class ResponseRelay final : public http::ParserEvents {
 public:
  enum class Stage : uint8_t {
    kHead,       // waiting for a (final or interim) head
    kBody,       // the final head went down; body bytes follow
    kSwitching,  // a 101 went down; the tunnel takes over
    kComplete,   // the whole response went down
  };
  enum class Fed : uint8_t {
    kMore,       // all bytes used; more are expected
    kDone,       // the response is complete (bytes after it make the
                 // connection unusable: see reusable())
    kSwitching,  // a 101 ended the head; the rest of the bytes belong to the tunnel
    kError,      // malformed or refused; see error_reason()
  };

  // How the request shapes the response: HEAD has no body; an upgrade may
  // be answered with 101 only if a module allowed it.
  struct Request {
    bool head_method = false;
    bool upgrade_allowed = false;
    bool client_http10 = false;  // interim heads are not sent to HTTP/1.0 clients
  };

  ResponseRelay(Downstream* down, RelayEvents* events, http::Head* head, Arena* arena);
  // A new exchange: new downstream and events, a fresh parser and stage.
  void rebind(Downstream* down, RelayEvents* events);
  void set_request(const Request& r) { req_ = r; }
  // The server is changed before any final head went down (a retry): wait
  // for a new response from the start.
  void restart() {
    up_ = nullptr;
    stage_ = Stage::kHead;
    parser_.reset();
    head_->clear();  // the refused head's fields must not mix with the next one's
  }
  // A response head over either limit is refused (the client gets a 502).
  void set_limits(uint32_t max_head_bytes, uint32_t max_headers) {
    parser_.set_limits(max_head_bytes, max_headers, 0);
  }
  const Request& request() const { return req_; }
  // The connection whose reads pause while the client is congested.
  void set_upstream(net::Conn* c) { up_ = c; }

  Fed feed(const char* p, size_t n, size_t* used);
  // The server closed: true if that ended a body read until close.
  bool finish();
  void on_downstream_drained();

  Stage stage() const { return stage_; }
  bool head_sent() const { return stage_ != Stage::kHead; }
  bool in_message() const { return parser_.in_message(); }
  // The response ended as HTTP/1.1 keep-alive allows another on its connection.
  bool reusable() const { return stage_ == Stage::kComplete && parser_.keep_alive(); }
  const char* error_reason() const { return parser_.error_reason(); }
  // The termination cause the log gives a refused response.
  const char* error_cause() const;

 private:
  int on_head(http::Head& head) override;
  void on_body(const char* p, size_t n) override;
  void on_message_end() override;
  void send_final_head();

  Downstream* down_;
  RelayEvents* events_;
  http::Head* head_;
  http::Parser parser_;
  net::Conn* up_ = nullptr;
  Request req_;
  Stage stage_ = Stage::kHead;
};

}  // namespace gantry::exchange
