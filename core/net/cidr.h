#pragma once
// An address prefix ("10.0.0.0/8", "2001:db8::/32", or one address), and
// whether a peer's address falls in it. An IPv4 peer seen on an IPv6 socket
// as ::ffff:a.b.c.d is compared as IPv4.
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace gantry::net {

struct Cidr {
  int family = 0;  // AF_INET or AF_INET6
  uint8_t addr[16] = {};
  int bits = 0;

  // false: not an address, or a prefix length out of range, or host bits set.
  static bool parse(const std::string& text, Cidr* out);
  bool contains(const sockaddr_storage& ss) const;
};

}  // namespace gantry::net
