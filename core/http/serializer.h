#pragma once
// HTTP/1.1 heads as they go on the wire: requests toward servers and
// responses toward clients. Hop-by-hop fields never cross; body framing is
// written from what the proxy established, never copied from the peer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/message.h"

namespace gantry::http {

enum class Framing : uint8_t {
  kNone,        // no body (a Content-Length in the head passes, as for HEAD)
  kLength,      // Content-Length: length
  kChunked,     // Transfer-Encoding: chunked
  kUntilClose,  // the body ends when the connection does
};

// Forwarding fields the proxy adds to a request.
struct ForwardOptions {
  bool x_forwarded_for = true;
  bool x_forwarded_proto = true;
  bool via = false;
};

struct RequestWire {
  std::string_view client;   // appended to X-Forwarded-For
  bool tls = false;          // X-Forwarded-Proto: https
  std::string_view upgrade;  // an allowed Upgrade to forward; empty: none
  // Host for a request that came without one (HTTP/1.0): it goes on as
  // HTTP/1.1, which requires Host. nginx sends its upstream's name too.
  std::string_view default_host;
  Framing framing = Framing::kNone;
  uint64_t length = 0;
};

struct ResponseWire {
  Framing framing = Framing::kNone;
  uint64_t length = 0;
  bool close = false;       // "Connection: close"
  bool keep_alive = false;  // "Connection: keep-alive" (an HTTP/1.0 client kept open)
};

void write_request_head(const Head& req, const ForwardOptions& opts, const RequestWire& w,
                        std::string* out);
// A final response; the reason phrase is the standard one when `resp` has none.
void write_response_head(const Head& resp, const ResponseWire& w, std::string* out);
// An interim (1xx) response, relayed as is minus hop-by-hop fields.
void write_interim_head(const Head& resp, std::string* out);
// A 101: Connection and Upgrade pass, as the upgrade needs them.
void write_switching_head(const Head& resp, std::string* out);

// The size line of one chunk ("1a\r\n"); buf holds at least kChunkLineMax.
constexpr size_t kChunkLineMax = 24;
size_t write_chunk_line(size_t n, char* buf);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace gantry::http
