#pragma once
// RFC 6455 section 4.2.1: what a WebSocket opening handshake must carry, and
// the local answer when it does not. Checked before any backend is chosen,
// so a broken handshake never costs an upstream connection.
#include <cstdint>

#include "gantry/module.h"
#include "settings.h"

namespace gantry::websocket {

struct Refusal {
  int32_t status = 0;          // 0: the handshake is valid
  const char* reason = "";     // short token for the access log (ws_refused=...)
  const char* message = "";    // one line for the response body
};

// True when the comma-separated list header `name` (all its occurrences)
// contains `token`, case-insensitively.
bool header_has_token(const gantry_host_api_t* host, gantry_stream_t* s, gantry_str_t name,
                      gantry_str_t token);

// True when `v` is 16 bytes in base64: 22 alphabet characters and "==".
bool valid_key(gantry_str_t v);

// True when `origin` (as sent) matches an entry of `allowed` (lower-case).
bool origin_allowed(const Settings& settings, gantry_str_t origin);

// Checks method, version, Connection, Sec-WebSocket-Key/-Version and Origin.
Refusal check_handshake(const gantry_host_api_t* host, gantry_stream_t* s,
                        const Settings& settings);

// Answers the request with the refusal (426 carries Sec-WebSocket-Version: 13).
void send_refusal(const gantry_host_api_t* host, gantry_stream_t* s, const Refusal& r);

}  // namespace gantry::websocket
