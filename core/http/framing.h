#pragma once
// Where a message body ends (RFC 9112 6.3), decided by gantry from the parsed
// head rather than taken from llhttp, so the rules are ours, strict, and the
// same for requests and responses:
//   - Content-Length and Transfer-Encoding together: refused;
//   - more than one Content-Length field, or one that is not 1*DIGIT within
//     63 bits (lists like "5, 5" included): refused;
//   - Transfer-Encoding in an HTTP/1.0 message: refused (RFC 9112 6.1);
//   - Transfer-Encoding other than exactly one "chunked" coding: refused. A
//     request with chunked not final must get 400 (RFC 9112 6.3); any other
//     coding would be lost when gantry re-frames the body, so it is refused
//     on both sides rather than passed on mislabelled;
//   - responses to HEAD and 1xx/204/304 responses have no body; a response
//     with neither field is read until the server closes.
#include <cstdint>

#include "http/body_decoder.h"
#include "http/message.h"

namespace gantry::http {

struct Framing {
  BodyKind kind = BodyKind::kNone;
  uint64_t length = 0;  // the Content-Length value, when there is one
  bool has_content_length = false;
  bool keep_alive = false;      // by version and Connection (a read-until-close body still ends it)
  bool upgrade = false;         // a request asking for an upgrade, or a 101 response
  const char* error = nullptr;  // set when the message cannot be framed safely
};

Framing frame_request(const Head& head);
Framing frame_response(const Head& head);

}  // namespace gantry::http
