#pragma once
// What the core refuses in a request head before anything else sees it
// (RFC 9110/9112): the status to answer with, or 0 to go on. Runs without
// libuv, on a parsed Head, for HTTP/1.x and for requests mapped from HTTP/2.
#include <cstdint>

#include "http/message.h"
#include "util/arena.h"

namespace gantry::http {

// How the request's body is framed, as the parser established it.
struct RequestFraming {
  bool chunked = false;
  bool has_length = false;
  uint64_t length = 0;
};

// Also rewrites an absolute-form target to origin form, with its authority
// as Host (RFC 9112 3.2.2); new bytes go into `arena`.
int check_request(Head& req, Arena& arena, const RequestFraming& framing);

}  // namespace gantry::http
