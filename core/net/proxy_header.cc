#include "net/proxy_header.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace gantry::net {
namespace {

constexpr char kV1Prefix[] = "PROXY ";
constexpr size_t kV1PrefixLen = sizeof kV1Prefix - 1;
constexpr uint8_t kV2Sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr size_t kV2Fixed = 16;  // signature, version/command, family, length

// v2 address families with STREAM transport (the only kind a TCP listener
// can be told about), and the size of their address blocks.
constexpr uint8_t kFamUnspec = 0x00;
constexpr uint8_t kFamTcp4 = 0x11;
constexpr uint8_t kFamTcp6 = 0x21;
constexpr uint8_t kFamUnixStream = 0x31;
constexpr size_t kAddr4Len = 12;
constexpr size_t kAddr6Len = 36;
constexpr size_t kAddrUnixLen = 216;

constexpr uint8_t kTlvAlpn = 0x01;
constexpr uint8_t kTlvAuthority = 0x02;
constexpr uint8_t kTlvUniqueId = 0x05;
constexpr uint8_t kTlvSsl = 0x20;
constexpr uint8_t kSubSslVersion = 0x21;
constexpr uint8_t kSubSslCn = 0x22;
constexpr uint8_t kSslClientSsl = 0x01;
constexpr size_t kMaxUniqueId = 128;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// Text that reaches logs and headers: visible ASCII only.
bool visible(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] < 0x21 || p[i] > 0x7e) return false;
  return true;
}

// A decimal port: 0-65535, no sign, no leading zero.
bool parse_port(const std::string& s, uint16_t* out) {
  if (s.empty() || s.size() > 5) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) return false;
  *out = static_cast<uint16_t>(v);
  return true;
}

bool parse_addr(int family, const std::string& s, uint16_t port, sockaddr_storage* out) {
  std::memset(out, 0, sizeof *out);
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(out);
    // inet_pton takes only the dotted quad with no leading zeros.
    if (inet_pton(AF_INET, s.c_str(), &sin->sin_addr) != 1) return false;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    return true;
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
  if (s.find('.') != std::string::npos && s.find(':') == std::string::npos) return false;
  if (inet_pton(AF_INET6, s.c_str(), &sin6->sin6_addr) != 1) return false;
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  return true;
}

}  // namespace

ProxyHeaderReader::Status ProxyHeaderReader::fail(const char* why) {
  stage_ = Stage::kError;
  reason_ = why;
  buf_.clear();
  buf_.shrink_to_fit();
  return Status::kError;
}

ProxyHeaderReader::Status ProxyHeaderReader::feed(const char* p, size_t n, size_t* used) {
  *used = 0;
  switch (stage_) {
    case Stage::kDone:
      return Status::kDone;
    case Stage::kError:
      return Status::kError;
    case Stage::kStart:
      if (n == 0) return Status::kNeedMore;
      if (p[0] == 'P') {
        stage_ = Stage::kV1;
      } else if (static_cast<uint8_t>(p[0]) == kV2Sig[0]) {
        stage_ = Stage::kV2;
      } else {
        return fail("no PROXY protocol header");
      }
      break;
    default:
      break;
  }
  return stage_ == Stage::kV1 ? feed_v1(p, n, used) : feed_v2(p, n, used);
}

ProxyHeaderReader::Status ProxyHeaderReader::feed_v1(const char* p, size_t n, size_t* used) {
  // Take bytes up to and including the first LF, at most the line limit.
  size_t room = kMaxV1Line - buf_.size();
  size_t take = std::min(n, room);
  const void* lf = std::memchr(p, '\n', take);
  if (lf != nullptr) take = static_cast<size_t>(static_cast<const char*>(lf) - p) + 1;
  size_t before = buf_.size();
  buf_.append(p, take);
  *used = take;
  // The prefix is checked as it arrives, so a stray peer is refused at once.
  size_t check = std::min(buf_.size(), kV1PrefixLen);
  if (before < check && std::memcmp(buf_.data(), kV1Prefix, check) != 0)
    return fail("bad v1 signature");
  if (lf == nullptr) {
    if (buf_.size() >= kMaxV1Line) return fail("v1 line too long");
    return Status::kNeedMore;
  }
  if (!parse_v1()) return Status::kError;
  stage_ = Stage::kDone;
  buf_.clear();
  buf_.shrink_to_fit();
  return Status::kDone;
}

// "PROXY TCP4 src dst sport dport\r\n", "PROXY TCP6 ...", "PROXY UNKNOWN...\r\n",
// with single spaces.
bool ProxyHeaderReader::parse_v1() {
  info_.version = ProxyInfo::Version::kV1;
  size_t len = buf_.size();
  if (len < 2 || buf_[len - 2] != '\r') {
    fail("v1 line does not end in CRLF");
    return false;
  }
  std::string line = buf_.substr(kV1PrefixLen, len - 2 - kV1PrefixLen);
  if (line.find('\r') != std::string::npos || line.find('\0') != std::string::npos) {
    fail("v1 line holds a CR or NUL");
    return false;
  }
  if (line.compare(0, 7, "UNKNOWN") == 0 && (line.size() == 7 || line[7] == ' ')) {
    info_.source = ProxyInfo::Source::kLocal;  // the rest of the line is ignored, per the spec
    return true;
  }
  std::string parts[5];
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    size_t sp = line.find(' ', start);
    if (i < 4 && sp == std::string::npos) {
      fail("v1 line has too few fields");
      return false;
    }
    if (i == 4 && sp != std::string::npos) {
      fail("v1 line has too many fields");
      return false;
    }
    parts[i] = line.substr(start, sp == std::string::npos ? std::string::npos : sp - start);
    start = sp + 1;
  }
  int family;
  if (parts[0] == "TCP4") {
    family = AF_INET;
  } else if (parts[0] == "TCP6") {
    family = AF_INET6;
  } else {
    fail("v1 protocol is not TCP4, TCP6 or UNKNOWN");
    return false;
  }
  uint16_t sport, dport;
  if (!parse_port(parts[3], &sport) || !parse_port(parts[4], &dport)) {
    fail("bad v1 port");
    return false;
  }
  if (!parse_addr(family, parts[1], sport, &info_.src) ||
      !parse_addr(family, parts[2], dport, &info_.dst)) {
    fail("bad v1 address");
    return false;
  }
  info_.source = ProxyInfo::Source::kAddress;
  return true;
}

ProxyHeaderReader::Status ProxyHeaderReader::feed_v2(const char* p, size_t n, size_t* used) {
  size_t want = kV2Fixed;
  if (buf_.size() >= kV2Fixed) want += be16(reinterpret_cast<const uint8_t*>(buf_.data()) + 14);
  size_t taken = 0;
  while (taken < n && buf_.size() < want) {
    size_t before = buf_.size();
    size_t take = std::min(n - taken, want - before);
    buf_.append(p + taken, take);
    taken += take;
    *used = taken;
    const auto* b = reinterpret_cast<const uint8_t*>(buf_.data());
    size_t check = std::min(buf_.size(), sizeof kV2Sig);
    if (before < check && std::memcmp(b, kV2Sig, check) != 0) return fail("bad v2 signature");
    if (before < 13 && buf_.size() >= 13) {
      if ((b[12] >> 4) != 2) return fail("bad v2 version");
      if ((b[12] & 0x0F) > 1) return fail("bad v2 command");
    }
    if (before < kV2Fixed && buf_.size() >= kV2Fixed) {
      size_t body = be16(b + 14);
      if (body > kMaxV2Body) return fail("v2 length over the limit");
      want = kV2Fixed + body;
    }
  }
  if (buf_.size() < want) return Status::kNeedMore;
  if (!parse_v2()) return Status::kError;
  stage_ = Stage::kDone;
  buf_.clear();
  buf_.shrink_to_fit();
  return Status::kDone;
}

bool ProxyHeaderReader::parse_v2() {
  info_.version = ProxyInfo::Version::kV2;
  const auto* b = reinterpret_cast<const uint8_t*>(buf_.data());
  const uint8_t* body = b + kV2Fixed;
  size_t len = buf_.size() - kV2Fixed;
  bool local = (b[12] & 0x0F) == 0;
  uint8_t fam = b[13];
  if (local) {
    // The balancer speaking for itself: the addresses are to be ignored,
    // whatever the family says. TLVs are still read.
    info_.source = ProxyInfo::Source::kLocal;
    size_t skip = fam == kFamTcp4 ? kAddr4Len : fam == kFamTcp6 ? kAddr6Len : 0;
    if (skip > len) skip = len;
    return parse_tlvs(body + skip, len - skip);
  }
  size_t addr_len = 0;
  switch (fam) {
    case kFamUnspec:
      addr_len = 0;
      break;
    case kFamTcp4:
      addr_len = kAddr4Len;
      break;
    case kFamTcp6:
      addr_len = kAddr6Len;
      break;
    case kFamUnixStream:
      addr_len = kAddrUnixLen;
      break;
    default:
      fail("bad v2 address family or transport");
      return false;
  }
  if (len < addr_len) {
    fail("truncated v2 address block");
    return false;
  }
  if (fam == kFamTcp4) {
    auto* s = reinterpret_cast<sockaddr_in*>(&info_.src);
    auto* d = reinterpret_cast<sockaddr_in*>(&info_.dst);
    s->sin_family = d->sin_family = AF_INET;
    std::memcpy(&s->sin_addr, body, 4);
    std::memcpy(&d->sin_addr, body + 4, 4);
    std::memcpy(&s->sin_port, body + 8, 2);
    std::memcpy(&d->sin_port, body + 10, 2);
    info_.source = ProxyInfo::Source::kAddress;
  } else if (fam == kFamTcp6) {
    auto* s = reinterpret_cast<sockaddr_in6*>(&info_.src);
    auto* d = reinterpret_cast<sockaddr_in6*>(&info_.dst);
    s->sin6_family = d->sin6_family = AF_INET6;
    std::memcpy(&s->sin6_addr, body, 16);
    std::memcpy(&d->sin6_addr, body + 16, 16);
    std::memcpy(&s->sin6_port, body + 32, 2);
    std::memcpy(&d->sin6_port, body + 34, 2);
    info_.source = ProxyInfo::Source::kAddress;
  } else {
    info_.source = ProxyInfo::Source::kLocal;  // no IP address to take
  }
  return parse_tlvs(body + addr_len, len - addr_len);
}

bool ProxyHeaderReader::parse_tlvs(const uint8_t* p, size_t n) {
  while (n > 0) {
    if (n < 3) {
      fail("truncated v2 TLV");
      return false;
    }
    uint8_t type = p[0];
    size_t len = be16(p + 1);
    if (len > n - 3) {
      fail("v2 TLV length past the header");
      return false;
    }
    const uint8_t* v = p + 3;
    switch (type) {
      case kTlvAlpn:
      case kTlvAuthority:
        if (len == 0 || !visible(v, len)) {
          fail("bad v2 ALPN or authority TLV");
          return false;
        }
        (type == kTlvAlpn ? info_.alpn : info_.authority).assign(reinterpret_cast<const char*>(v), len);
        break;
      case kTlvUniqueId:
        if (len > kMaxUniqueId) {
          fail("v2 unique id over 128 bytes");
          return false;
        }
        info_.unique_id.assign(reinterpret_cast<const char*>(v), len);
        break;
      case kTlvSsl:
        if (!parse_ssl(v, len)) return false;
        break;
      default:
        break;  // CRC32C, NOOP, NETNS and custom types: not used here
    }
    p += 3 + len;
    n -= 3 + len;
  }
  return true;
}

// PP2_TYPE_SSL: client flags (1), verify (4), then sub-TLVs.
bool ProxyHeaderReader::parse_ssl(const uint8_t* p, size_t n) {
  if (n < 5) {
    fail("truncated v2 SSL TLV");
    return false;
  }
  info_.ssl = (p[0] & kSslClientSsl) != 0;
  p += 5;
  n -= 5;
  while (n > 0) {
    if (n < 3) {
      fail("truncated v2 SSL sub-TLV");
      return false;
    }
    uint8_t type = p[0];
    size_t len = be16(p + 1);
    if (len > n - 3) {
      fail("v2 SSL sub-TLV length past its TLV");
      return false;
    }
    const uint8_t* v = p + 3;
    if (type == kSubSslVersion || type == kSubSslCn) {
      std::string& out = type == kSubSslVersion ? info_.ssl_version : info_.ssl_cn;
      out.clear();
      // Shown in logs: anything but visible ASCII becomes '?'.
      for (size_t i = 0; i < len; ++i)
        out.push_back(v[i] > 0x20 && v[i] <= 0x7e ? static_cast<char>(v[i]) : '?');
    }
    p += 3 + len;
    n -= 3 + len;
  }
  return true;
}

std::string proxy_address_text(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf);
  } else if (ss.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

namespace {

uint16_t port_of(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
}

bool same_ip_family(const sockaddr_storage& a, const sockaddr_storage& b) {
  return a.ss_family == b.ss_family && (a.ss_family == AF_INET || a.ss_family == AF_INET6);
}

}  // namespace

std::string proxy_header_v1(const sockaddr_storage& src, const sockaddr_storage& dst) {
  if (!same_ip_family(src, dst)) return "PROXY UNKNOWN\r\n";
  std::string out = src.ss_family == AF_INET ? "PROXY TCP4 " : "PROXY TCP6 ";
  out += proxy_address_text(src) + " " + proxy_address_text(dst) + " " +
         std::to_string(port_of(src)) + " " + std::to_string(port_of(dst)) + "\r\n";
  return out;
}

std::string proxy_header_v2(const sockaddr_storage& src, const sockaddr_storage& dst) {
  std::string out(reinterpret_cast<const char*>(kV2Sig), sizeof kV2Sig);
  if (!same_ip_family(src, dst)) {
    out += static_cast<char>(0x20);  // version 2, LOCAL
    out += static_cast<char>(kFamUnspec);
    out.append(2, '\0');
    return out;
  }
  out += static_cast<char>(0x21);  // version 2, PROXY
  bool v4 = src.ss_family == AF_INET;
  size_t len = v4 ? kAddr4Len : kAddr6Len;
  out += static_cast<char>(v4 ? kFamTcp4 : kFamTcp6);
  out += static_cast<char>(len >> 8);
  out += static_cast<char>(len & 0xFF);
  if (v4) {
    auto* s = reinterpret_cast<const sockaddr_in*>(&src);
    auto* d = reinterpret_cast<const sockaddr_in*>(&dst);
    out.append(reinterpret_cast<const char*>(&s->sin_addr), 4);
    out.append(reinterpret_cast<const char*>(&d->sin_addr), 4);
    out.append(reinterpret_cast<const char*>(&s->sin_port), 2);
    out.append(reinterpret_cast<const char*>(&d->sin_port), 2);
  } else {
    auto* s = reinterpret_cast<const sockaddr_in6*>(&src);
    auto* d = reinterpret_cast<const sockaddr_in6*>(&dst);
    out.append(reinterpret_cast<const char*>(&s->sin6_addr), 16);
    out.append(reinterpret_cast<const char*>(&d->sin6_addr), 16);
    out.append(reinterpret_cast<const char*>(&s->sin6_port), 2);
    out.append(reinterpret_cast<const char*>(&d->sin6_port), 2);
  }
  return out;
}

}  // namespace gantry::net
