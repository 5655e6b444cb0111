// The PROXY protocol header reader: every valid shape of v1 and v2, every
// malformed shape the spec names (bad signature, bad version or command,
// length overflow, truncated address block) and the ones around them, the
// same answer whatever pieces the bytes arrive in, and no byte taken past the
// header's end. The writers are checked by reading their output back.
#include "net/proxy_header.h"

#include "net/cidr.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>

namespace gantry::net {
namespace {

using Status = ProxyHeaderReader::Status;

const std::string kSig("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12);

struct Outcome {
  Status status;
  size_t used;  // header bytes taken in total
  ProxyInfo info;
  std::string reason;
};

// Feeds `bytes` in pieces of `piece` bytes; stops at the first answer.
Outcome read(const std::string& bytes, size_t piece = 1 << 20) {
  ProxyHeaderReader r;
  size_t off = 0, total = 0;
  Status s = Status::kNeedMore;
  while (off < bytes.size()) {
    size_t n = std::min(piece, bytes.size() - off);
    size_t used = 0;
    s = r.feed(bytes.data() + off, n, &used);
    EXPECT_LE(used, n);
    total += used;
    if (s != Status::kNeedMore) break;
    EXPECT_EQ(used, n) << "a header in progress takes the whole piece";
    off += n;
  }
  return {s, total, r.info(), r.reason()};
}

std::string v2(uint8_t ver_cmd, uint8_t fam, const std::string& body) {
  std::string h = kSig;
  h += static_cast<char>(ver_cmd);
  h += static_cast<char>(fam);
  h += static_cast<char>(body.size() >> 8);
  h += static_cast<char>(body.size() & 0xFF);
  return h + body;
}

std::string tlv(uint8_t type, const std::string& v) {
  std::string t(1, static_cast<char>(type));
  t += static_cast<char>(v.size() >> 8);
  t += static_cast<char>(v.size() & 0xFF);
  return t + v;
}

// 192.0.2.10:51000 -> 198.51.100.1:443
const std::string kAddr4("\xC0\x00\x02\x0A\xC6\x33\x64\x01\xC7\x38\x01\xBB", 12);

uint16_t port(const sockaddr_storage& ss) {
  return ntohs(ss.ss_family == AF_INET ? reinterpret_cast<const sockaddr_in*>(&ss)->sin_port
                                       : reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
}

TEST(ProxyHeaderV1, Tcp4InEveryPieceSize) {
  const std::string h = "PROXY TCP4 192.0.2.10 198.51.100.1 51000 443\r\n";
  for (size_t piece = 1; piece <= h.size(); ++piece) {
    Outcome o = read(h + "GET / HTTP/1.1\r\n", piece);
    ASSERT_EQ(o.status, Status::kDone) << piece;
    EXPECT_EQ(o.used, h.size()) << "not a byte of the request is taken";
    EXPECT_EQ(o.info.version, ProxyInfo::Version::kV1);
    EXPECT_EQ(o.info.source, ProxyInfo::Source::kAddress);
    EXPECT_EQ(proxy_address_text(o.info.src), "192.0.2.10");
    EXPECT_EQ(proxy_address_text(o.info.dst), "198.51.100.1");
    EXPECT_EQ(port(o.info.src), 51000);
    EXPECT_EQ(port(o.info.dst), 443);
  }
}

TEST(ProxyHeaderV1, Tcp6AndUnknown) {
  Outcome o = read("PROXY TCP6 2001:db8::1 ::1 65535 0\r\n");
  ASSERT_EQ(o.status, Status::kDone);
  EXPECT_EQ(proxy_address_text(o.info.src), "2001:db8::1");
  EXPECT_EQ(port(o.info.src), 65535);
  o = read("PROXY UNKNOWN\r\n");
  ASSERT_EQ(o.status, Status::kDone);
  EXPECT_EQ(o.info.source, ProxyInfo::Source::kLocal);
  o = read("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n");
  ASSERT_EQ(o.status, Status::kDone);
  EXPECT_EQ(o.info.source, ProxyInfo::Source::kLocal);
}

TEST(ProxyHeaderV1, MalformedLinesAreRefused) {
  const char* bad[] = {
      "GET / HTTP/1.1\r\n",                                // no header at all
      "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n",               // double space
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",                  // bare LF
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n",              // stray CR
      "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",                  // too few fields
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",              // too many fields
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",               // trailing space
      "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",                // protocol
      "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n",                // case
      "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n",              // octet
      "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",               // leading zero
      "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",                  // short address
      "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",                    // v6 under TCP4
      "PROXY TCP6 1.2.3.4 ::1 1 2\r\n",                    // v4 under TCP6
      "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",            // port range
      "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n",              // leading zero
      "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",               // sign
      "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n",               // sign
      "PROXY TCP4 1.2.3.4 5.6.7.8  2\r\n",                 // empty port
      "PROXY UNKNOWNX\r\n",                                // not UNKNOWN
      "PROXY\r\n",                                         // nothing
      "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",                // signature case
  };
  for (const char* b : bad) {
    for (size_t piece : {size_t{1}, size_t{7}, size_t{1000}}) {
      Outcome o = read(b, piece);
      EXPECT_EQ(o.status, Status::kError) << b << " in pieces of " << piece;
      EXPECT_STRNE(o.reason.c_str(), "");
    }
  }
}

TEST(ProxyHeaderV1, LineLimitIs107Bytes) {
  // The longest legal line (the spec's own example) is exactly 107 bytes.
  std::string longest =
      "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
  ASSERT_EQ(longest.size(), 104u);
  std::string unknown = "PROXY UNKNOWN " + std::string(107 - 16, 'x') + "\r\n";
  ASSERT_EQ(unknown.size(), 107u);
  EXPECT_EQ(read(longest).status, Status::kDone);
  EXPECT_EQ(read(unknown).status, Status::kDone);
  std::string over = "PROXY UNKNOWN " + std::string(107 - 15, 'x') + "\r\n";
  EXPECT_EQ(read(over).status, Status::kError);
  EXPECT_EQ(read(over, 1).status, Status::kError);
  // Refused once 107 bytes held no LF, without waiting for more.
  EXPECT_EQ(read(std::string(107, 'P').replace(0, 6, "PROXY ")).status, Status::kError);
}

TEST(ProxyHeaderV1, StrayPeerRefusedOnFirstBytes) {
  ProxyHeaderReader r;
  size_t used = 0;
  EXPECT_EQ(r.feed("PRO", 3, &used), Status::kNeedMore);
  EXPECT_EQ(r.feed("Z", 1, &used), Status::kError);
}

TEST(ProxyHeaderV2, Tcp4WithTlvsInEveryPieceSize) {
  std::string ssl("\x01\x00\x00\x00\x00", 5);
  ssl += tlv(0x21, "TLSv1.3") + tlv(0x22, "client.example");
  std::string body = kAddr4 + tlv(0x01, "h2") + tlv(0x02, "www.example.com") +
                     tlv(0x05, std::string("\x00\x01\xFE", 3)) + tlv(0x04, "") + tlv(0x20, ssl);
  std::string h = v2(0x21, 0x11, body);
  for (size_t piece = 1; piece <= h.size(); ++piece) {
    Outcome o = read(h + "\x16\x03\x01", piece);
    ASSERT_EQ(o.status, Status::kDone) << piece << ": " << o.reason;
    EXPECT_EQ(o.used, h.size());
    EXPECT_EQ(o.info.version, ProxyInfo::Version::kV2);
    EXPECT_EQ(o.info.source, ProxyInfo::Source::kAddress);
    EXPECT_EQ(proxy_address_text(o.info.src), "192.0.2.10");
    EXPECT_EQ(port(o.info.src), 51000);
    EXPECT_EQ(port(o.info.dst), 443);
    EXPECT_EQ(o.info.alpn, "h2");
    EXPECT_EQ(o.info.authority, "www.example.com");
    EXPECT_EQ(o.info.unique_id, std::string("\x00\x01\xFE", 3));
    EXPECT_TRUE(o.info.ssl);
    EXPECT_EQ(o.info.ssl_version, "TLSv1.3");
    EXPECT_EQ(o.info.ssl_cn, "client.example");
  }
}

TEST(ProxyHeaderV2, Tcp6LocalUnspecAndUnix) {
  std::string a6(36, '\0');
  a6[15] = 1;         // ::1
  a6[16] = '\x20';    // 2001:db8::2
  a6[17] = '\x01';
  a6[18] = '\x0d';
  a6[19] = '\xb8';
  a6[31] = 2;
  a6[32] = '\x01';  // port 256
  Outcome o = read(v2(0x21, 0x21, a6));
  ASSERT_EQ(o.status, Status::kDone) << o.reason;
  EXPECT_EQ(proxy_address_text(o.info.src), "::1");
  EXPECT_EQ(proxy_address_text(o.info.dst), "2001:db8::2");
  EXPECT_EQ(port(o.info.src), 256);

  // LOCAL: the addresses, if any, are ignored.
  o = read(v2(0x20, 0x11, kAddr4));
  ASSERT_EQ(o.status, Status::kDone);
  EXPECT_EQ(o.info.source, ProxyInfo::Source::kLocal);
  o = read(v2(0x20, 0x00, ""));
  ASSERT_EQ(o.status, Status::kDone);
  EXPECT_EQ(o.info.source, ProxyInfo::Source::kLocal);
  // PROXY with UNSPEC or a Unix stream: no IP address to take.
  o = read(v2(0x21, 0x00, ""));
  ASSERT_EQ(o.status, Status::kDone);
  EXPECT_EQ(o.info.source, ProxyInfo::Source::kLocal);
  o = read(v2(0x21, 0x31, std::string(216, 'a')));
  ASSERT_EQ(o.status, Status::kDone);
  EXPECT_EQ(o.info.source, ProxyInfo::Source::kLocal);
}

TEST(ProxyHeaderV2, MalformedHeadersAreRefused) {
  std::string bad_sig = v2(0x21, 0x11, kAddr4);
  bad_sig[7] = 'X';
  std::string big(2, '\0');
  struct Case {
    const char* what;
    std::string bytes;
  } cases[] = {
      {"bad signature", bad_sig},
      {"version 1", v2(0x11, 0x11, kAddr4)},
      {"version 3", v2(0x31, 0x11, kAddr4)},
      {"command 2", v2(0x22, 0x11, kAddr4)},
      {"command 15", v2(0x2F, 0x11, kAddr4)},
      {"length overflow", kSig + std::string("\x21\x11\xFF\xFF", 4) + kAddr4},
      {"length just over the cap", kSig + std::string("\x21\x11\x10\x01", 4)},
      {"truncated IPv4 block", v2(0x21, 0x11, kAddr4.substr(0, 11))},
      {"truncated IPv6 block", v2(0x21, 0x21, std::string(35, '\0'))},
      {"truncated Unix block", v2(0x21, 0x31, std::string(215, '\0'))},
      {"datagram", v2(0x21, 0x12, kAddr4)},
      {"family 4", v2(0x21, 0x41, kAddr4)},
      {"transport 3", v2(0x21, 0x13, kAddr4)},
      {"TLV past the end", v2(0x21, 0x11, kAddr4 + std::string("\x01\x00\x05h2", 5))},
      {"TLV header cut", v2(0x21, 0x11, kAddr4 + std::string("\x01\x00", 2))},
      {"empty authority", v2(0x21, 0x11, kAddr4 + tlv(0x02, ""))},
      {"authority with a space", v2(0x21, 0x11, kAddr4 + tlv(0x02, "a b"))},
      {"ALPN with a NUL", v2(0x21, 0x11, kAddr4 + tlv(0x01, std::string("h\0", 2)))},
      {"unique id of 129", v2(0x21, 0x11, kAddr4 + tlv(0x05, std::string(129, 'u')))},
      {"SSL TLV cut", v2(0x21, 0x11, kAddr4 + tlv(0x20, std::string(4, '\0')))},
      {"SSL sub-TLV past its TLV",
       v2(0x21, 0x11, kAddr4 + tlv(0x20, std::string(5, '\0') + "\x21\x00\x09TLS"))},
  };
  for (const Case& c : cases) {
    for (size_t piece : {size_t{1}, size_t{5}, size_t{100000}}) {
      Outcome o = read(c.bytes, piece);
      EXPECT_EQ(o.status, Status::kError) << c.what << " in pieces of " << piece;
    }
  }
}

TEST(ProxyHeaderV2, BadVersionRefusedBeforeTheBody) {
  // A peer cannot hold the reader waiting for a body that would be refused.
  std::string h = kSig + std::string("\x11\x11\x00\x0C", 4);
  Outcome o = read(h);
  EXPECT_EQ(o.status, Status::kError);
  o = read(kSig + std::string("\x21\x11\xFF\xFF", 4));
  EXPECT_EQ(o.status, Status::kError) << "the length is judged as soon as it is in";
}

TEST(ProxyHeaderV2, CapIsInclusive) {
  std::string body = kAddr4 + tlv(0x04, std::string(ProxyHeaderReader::kMaxV2Body - 15, 'n'));
  ASSERT_EQ(body.size(), ProxyHeaderReader::kMaxV2Body);
  EXPECT_EQ(read(v2(0x21, 0x11, body)).status, Status::kDone);
}

TEST(ProxyHeaderWriters, ReadBackWhatTheyWrite) {
  sockaddr_storage src{}, dst{};
  auto* s = reinterpret_cast<sockaddr_in*>(&src);
  auto* d = reinterpret_cast<sockaddr_in*>(&dst);
  s->sin_family = d->sin_family = AF_INET;
  inet_pton(AF_INET, "203.0.113.7", &s->sin_addr);
  inet_pton(AF_INET, "127.0.0.1", &d->sin_addr);
  s->sin_port = htons(40000);
  d->sin_port = htons(8080);
  EXPECT_EQ(proxy_header_v1(src, dst), "PROXY TCP4 203.0.113.7 127.0.0.1 40000 8080\r\n");
  for (const std::string& h : {proxy_header_v1(src, dst), proxy_header_v2(src, dst)}) {
    Outcome o = read(h);
    ASSERT_EQ(o.status, Status::kDone);
    EXPECT_EQ(o.used, h.size());
    EXPECT_EQ(proxy_address_text(o.info.src), "203.0.113.7");
    EXPECT_EQ(port(o.info.src), 40000);
    EXPECT_EQ(port(o.info.dst), 8080);
  }
  sockaddr_storage s6{}, d6{};
  auto* a = reinterpret_cast<sockaddr_in6*>(&s6);
  auto* b = reinterpret_cast<sockaddr_in6*>(&d6);
  a->sin6_family = b->sin6_family = AF_INET6;
  inet_pton(AF_INET6, "2001:db8::7", &a->sin6_addr);
  inet_pton(AF_INET6, "::1", &b->sin6_addr);
  Outcome o = read(proxy_header_v2(s6, d6));
  ASSERT_EQ(o.status, Status::kDone);
  EXPECT_EQ(proxy_address_text(o.info.src), "2001:db8::7");
  // Mixed families cannot be told: v1 UNKNOWN, v2 LOCAL.
  EXPECT_EQ(proxy_header_v1(src, d6), "PROXY UNKNOWN\r\n");
  o = read(proxy_header_v2(src, d6));
  ASSERT_EQ(o.status, Status::kDone);
  EXPECT_EQ(o.info.source, ProxyInfo::Source::kLocal);
}

sockaddr_storage ip(const char* text) {
  sockaddr_storage ss{};
  if (std::string(text).find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    inet_pton(AF_INET6, text, &a->sin6_addr);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    inet_pton(AF_INET, text, &a->sin_addr);
  }
  return ss;
}

TEST(Cidr, ParsesAndMatches) {
  Cidr c;
  ASSERT_TRUE(Cidr::parse("10.0.0.0/8", &c));
  EXPECT_TRUE(c.contains(ip("10.255.0.1")));
  EXPECT_FALSE(c.contains(ip("11.0.0.1")));
  EXPECT_TRUE(c.contains(ip("::ffff:10.1.2.3"))) << "IPv4 seen on an IPv6 socket";
  EXPECT_FALSE(c.contains(ip("::1")));
  ASSERT_TRUE(Cidr::parse("127.0.0.1", &c));
  EXPECT_TRUE(c.contains(ip("127.0.0.1")));
  EXPECT_FALSE(c.contains(ip("127.0.0.2")));
  ASSERT_TRUE(Cidr::parse("2001:db8::/33", &c));
  EXPECT_TRUE(c.contains(ip("2001:db8:7fff::1")));
  EXPECT_FALSE(c.contains(ip("2001:db8:8000::1")));
  ASSERT_TRUE(Cidr::parse("0.0.0.0/0", &c));
  EXPECT_TRUE(c.contains(ip("192.0.2.1")));
  for (const char* bad : {"10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/08", "x", "::/129",
                          "10.0.0.0/-1", ""}) {
    EXPECT_FALSE(Cidr::parse(bad, &c)) << bad;
  }
}

}  // namespace
}  // namespace gantry::net
