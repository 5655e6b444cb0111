#include "cidr_set.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace gantry::acl {
namespace {

constexpr uint8_t kTagV4 = 4;
constexpr uint8_t kTagV6 = 6;

// Zeroes every bit after the first `prefix` bits of addr.
void mask_bits(uint8_t* addr, size_t bytes, unsigned prefix) {
  for (size_t i = 0; i < bytes; ++i) {
    unsigned keep = prefix > i * 8 ? prefix - i * 8 : 0;
    if (keep >= 8) continue;
    addr[i] &= static_cast<uint8_t>(0xff00u >> keep);
  }
}

void insert_length(std::vector<uint8_t>* lengths, uint8_t len) {
  if (std::find(lengths->begin(), lengths->end(), len) != lengths->end()) return;
  lengths->push_back(len);
  std::sort(lengths->begin(), lengths->end(), [](uint8_t a, uint8_t b) { return a > b; });
}

}  // namespace

size_t CidrSet::KeyHash::operator()(const Key& k) const {
  // FNV-1a: keys are short and fixed-size.
  uint64_t h = 1469598103934665603ull;
  for (uint8_t b : k) h = (h ^ b) * 1099511628211ull;
  return static_cast<size_t>(h);
}

bool CidrSet::add(const std::string& text, std::string* why) {
  std::string addr_text = text;
  long prefix = -1;
  size_t slash = text.find('/');
  if (slash != std::string::npos) {
    addr_text = text.substr(0, slash);
    std::string len_text = text.substr(slash + 1);
    if (len_text.empty() || len_text.size() > 3 ||
        len_text.find_first_not_of("0123456789") != std::string::npos) {
      *why = "bad prefix length in \"" + text + "\"";
      return false;
    }
    prefix = std::stol(len_text);
  }
  Key key{};
  uint8_t max_len;
  if (inet_pton(AF_INET, addr_text.c_str(), key.data()) == 1) {
    max_len = 32;
    key[17] = kTagV4;
  } else if (inet_pton(AF_INET6, addr_text.c_str(), key.data()) == 1) {
    max_len = 128;
    key[17] = kTagV6;
  } else {
    *why = "not an IPv4 or IPv6 address: \"" + text + "\"";
    return false;
  }
  if (prefix < 0) prefix = max_len;
  if (prefix > max_len) {
    *why = "prefix length above " + std::to_string(max_len) + " in \"" + text + "\"";
    return false;
  }
  // Host bits set below the prefix are tolerated (like HAProxy); they are
  // cleared so 10.1.2.3/8 means 10.0.0.0/8.
  mask_bits(key.data(), max_len / 8, static_cast<unsigned>(prefix));
  key[16] = static_cast<uint8_t>(prefix);
  nets_.insert(key);
  insert_length(key[17] == kTagV4 ? &v4_lengths_ : &v6_lengths_, static_cast<uint8_t>(prefix));
  return true;
}

bool CidrSet::lookup(const uint8_t* addr, size_t bytes, const std::vector<uint8_t>& lengths,
                     uint8_t family_tag) const {
  for (uint8_t len : lengths) {
    Key key{};
    std::memcpy(key.data(), addr, bytes);
    mask_bits(key.data(), bytes, len);
    key[16] = len;
    key[17] = family_tag;
    if (nets_.count(key) != 0) return true;
  }
  return false;
}

bool CidrSet::contains(const sockaddr* sa, socklen_t len) const {
  if (sa == nullptr) return false;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return lookup(reinterpret_cast<const uint8_t*>(&in->sin_addr), 4, v4_lengths_, kTagV4);
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    const uint8_t* a = in6->sin6_addr.s6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) return lookup(a + 12, 4, v4_lengths_, kTagV4);
    return lookup(a, 16, v6_lengths_, kTagV6);
  }
  return false;
}

}  // namespace gantry::acl
