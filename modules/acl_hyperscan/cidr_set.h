#pragma once
// A set of IPv4 and IPv6 networks, looked up by masking the address once per
// prefix length present in the set (at most 33 + 129 hash probes, usually a
// handful), so large lists loaded from files stay cheap per request.
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

namespace gantry::acl {

class CidrSet {
 public:
  // Parses "10.0.0.0/8", "2001:db8::/32", or a bare address (a host route).
  // Returns false and fills *why on a malformed entry.
  bool add(const std::string& text, std::string* why);
  // sa is a sockaddr_in or sockaddr_in6; IPv4-mapped IPv6 addresses
  // (::ffff:a.b.c.d) are matched against the IPv4 networks.
  bool contains(const sockaddr* sa, socklen_t len) const;
  bool empty() const { return v4_lengths_.empty() && v6_lengths_.empty(); }

 private:
  using Key = std::array<uint8_t, 18>;  // 16 address bytes, prefix length, family
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  bool lookup(const uint8_t* addr, size_t bytes, const std::vector<uint8_t>& lengths,
              uint8_t family_tag) const;

  std::unordered_set<Key, KeyHash> nets_;
  std::vector<uint8_t> v4_lengths_;  // distinct prefix lengths, longest first
  std::vector<uint8_t> v6_lengths_;
};

}  // namespace gantry::acl
