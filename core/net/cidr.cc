#include "net/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace gantry::net {

bool Cidr::parse(const std::string& text, Cidr* out) {
  Cidr c;
  size_t slash = text.find('/');
  std::string host = text.substr(0, slash);
  c.family = host.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  if (inet_pton(c.family, host.c_str(), c.addr) != 1) return false;
  int max = c.family == AF_INET ? 32 : 128;
  c.bits = max;
  if (slash != std::string::npos) {
    std::string b = text.substr(slash + 1);
    if (b.empty() || b.size() > 3 || (b.size() > 1 && b[0] == '0')) return false;
    int v = 0;
    for (char ch : b) {
      if (ch < '0' || ch > '9') return false;
      v = v * 10 + (ch - '0');
    }
    if (v > max) return false;
    c.bits = v;
  }
  // Host bits set usually means a typo ("10.0.0.1/8"): refuse it.
  for (int i = c.bits; i < max; ++i)
    if (c.addr[i / 8] & (0x80 >> (i % 8))) return false;
  *out = c;
  return true;
}

bool Cidr::contains(const sockaddr_storage& ss) const {
  const uint8_t* a = nullptr;
  int fam = ss.ss_family;
  if (fam == AF_INET) {
    a = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr);
  } else if (fam == AF_INET6) {
    a = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr);
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (family == AF_INET && std::memcmp(a, kMapped, 12) == 0) {
      a += 12;
      fam = AF_INET;
    }
  } else {
    return false;
  }
  if (fam != family) return false;
  int full = bits / 8;
  if (std::memcmp(a, addr, static_cast<size_t>(full)) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a[full] & mask) == (addr[full] & mask);
}

}  // namespace gantry::net
