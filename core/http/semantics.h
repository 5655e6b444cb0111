#pragma once
// Header and status semantics the proxy applies (RFC 9110/9112).
#include <string_view>

#include "http/message.h"

namespace gantry::http {

// Hop-by-hop fields that never cross the proxy: the fixed list plus any
// field the message's Connection header names.
bool is_hop_by_hop(const Head& head, std::string_view name);
std::string_view reason_phrase(int status);
// Status codes whose responses never carry a body.
inline bool status_has_no_body(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace gantry::http
