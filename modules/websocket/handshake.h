#pragma once
// RFC 6455 section 4.2.1: what a WebSocket opening handshake must carry, and
// the local answer when it does not. Checked before any backend is chosen,
// so a broken handshake never costs an upstream connection.
#include <cstdint>
#include <string_view>

#include "gantry/module.hpp"
#include "settings.h"

namespace gantry::websocket {

struct Refusal {
  int32_t status = 0;          // 0: the handshake is valid
  const char* reason = "";     // short token for the access log (ws_refused=...)
  const char* message = "";    // one line for the response body
};

// True when the comma-separated list header `name` (all its occurrences)
// contains `token`, case-insensitively.
bool header_has_token(const gantry::Request& req, std::string_view name, std::string_view token);

// True when `v` is 16 bytes in base64: 22 alphabet characters and "==".
bool valid_key(std::string_view v);

// True when `origin` (as sent) matches an entry of `allowed` (lower-case).
bool origin_allowed(const Settings& settings, std::string_view origin);

// Checks method, version, Connection, Sec-WebSocket-Key/-Version and Origin.
Refusal check_handshake(const gantry::Request& req, const Settings& settings);

// Answers the request with the refusal (426 carries Sec-WebSocket-Version: 13).
void send_refusal(const gantry::Request& req, const Refusal& r);

}  // namespace gantry::websocket
