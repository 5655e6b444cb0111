#pragma once
// The exchange's view of the client that asked: an HTTP/1.1 session today,
// an HTTP/2 stream tomorrow. The client side owns the exchange and feeds it
// the request; the exchange answers through this interface and never sees a
// connection, a parser or a protocol.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gantry/module.h"
#include "http/message.h"

namespace gantry::exchange {

// What the exchange knows of its client, fixed for the connection's life.
struct ClientFacts {
  gantry_conn_t* handle = nullptr;         // the connection as modules see it
  std::vector<void*>* conn_ctx = nullptr;  // modules' connection contexts (may be empty)
  std::string_view address;                // the client's address as text
  // The client's address and the one it connected to: a PROXY header's when
  // one named them. AF_UNSPEC when unknown.
  sockaddr_storage peer{};
  sockaddr_storage local{};
  // "proxy_authority=... proxy_unique_id=..." from a PROXY v2 header's TLVs,
  // for the access log; empty without them.
  std::string_view proxy_notes;
  int listener = -1;                       // index into the config's listeners
  bool tls = false;
  bool http2 = false;                      // streams of an HTTP/2 connection
};

// How much body follows a response head, as far as the exchange knows.
enum class BodySize : uint8_t { kNone, kKnown, kUnknown };

struct OutgoingResponse {
  const http::Head* head = nullptr;
  BodySize body = BodySize::kNone;
  uint64_t length = 0;  // with kKnown
  // The exchange cannot leave the client connection reusable (the request
  // was refused, or its body will not be read to the end).
  bool close = false;
};

class Downstream {
 public:
  virtual ~Downstream() = default;

  virtual const ClientFacts& client() const = 0;
  // Bytes sent to the client on this connection so far (the log takes deltas).
  virtual uint64_t bytes_sent() const = 0;
  virtual gantry_status_t tls_info(gantry_tls_info_t* out) const = 0;

  // The response: interim heads, then one final head and its body.
  virtual void send_interim(const http::Head& head) = 0;
  virtual void send_head(const OutgoingResponse& r) = 0;
  virtual void send_body(const char* p, size_t n) = 0;
  virtual void end_body() = 0;
  // The end of a batch of output: send anything held back to be coalesced
  // (an HTTP/1.1 head waits for its first body bytes to leave in one write).
  virtual void flush() = 0;
  // Take back a head that send_head() holds and nothing of which was sent:
  // true if it is gone (a 502 can then replace it).
  virtual bool unsend_head() = 0;
  // Above the high watermark: stop reading the server until the exchange's
  // on_downstream_drained().
  virtual bool congested() const = 0;

  // Back-pressure on the request body from the server side.
  virtual void pause_request() = 0;
  virtual void resume_request() = 0;

  // An upgrade was granted: send the server's switching head, then carry
  // raw bytes both ways. begin_tunnel returns what the client sent after
  // its request, for the server.
  virtual void send_switching(const http::Head& head) = 0;
  virtual std::string begin_tunnel() = 0;
  virtual void tunnel_send(const char* p, size_t n) = 0;
  virtual void tunnel_shutdown() = 0;  // no more bytes toward the client

  // The exchange is over; the downstream may go on with its next request
  // when `reusable`. The exchange must not be touched after this call.
  virtual void exchange_done(bool reusable) = 0;
  // Give up on the client now: no response, or a cut one.
  virtual void abort() = 0;
};

}  // namespace gantry::exchange
