#pragma once
// Header and status semantics the proxy applies (RFC 9110/9112).
#include <string_view>

#include "http/message.h"

namespace gantry::http {

// Hop-by-hop fields that never cross the proxy: the fixed list plus any
// field the message's Connection header names. Built once per message so a
// head with n fields costs O(n), not O(n^2).
class HopByHop {
 public:
  explicit HopByHop(const Head& head);
  bool operator()(std::string_view name) const;

 private:
  std::string_view connection_[4];  // values of up to four Connection headers
  int n_ = 0;
};
std::string_view reason_phrase(int status);
// Status codes whose responses never carry a body.
inline bool status_has_no_body(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace gantry::http
