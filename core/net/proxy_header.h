#pragma once
// The PROXY protocol header (HAProxy's spec, versions 1 and 2) that an L4
// balancer puts in front of a client's bytes so the server learns who the
// client is. It comes first on the wire, before TLS and before HTTP, so it is
// read on raw bytes. The reader is strict: a header is either exactly right
// or the connection is refused; nothing is guessed. Bytes may arrive in any
// pieces; the reader keeps at most one header's worth (v1: 107 bytes, v2:
// 16 + kMaxV2Body) and never takes a byte past the header's end.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace gantry::net {

struct ProxyInfo {
  enum class Version : uint8_t { kNone, kV1, kV2 };
  // kLocal: v2 LOCAL (the balancer's own health check), or v1 UNKNOWN / v2
  // UNSPEC or AF_UNIX: no client address, the socket's peer stands.
  enum class Source : uint8_t { kLocal, kAddress };
  Version version = Version::kNone;
  Source source = Source::kLocal;
  sockaddr_storage src{};  // valid when source == kAddress
  sockaddr_storage dst{};
  // v2 TLVs; empty when absent.
  std::string alpn;       // PP2_TYPE_ALPN
  std::string authority;  // PP2_TYPE_AUTHORITY (SNI the balancer saw)
  std::string unique_id;  // PP2_TYPE_UNIQUE_ID, raw bytes (up to 128)
  bool ssl = false;       // PP2_TYPE_SSL with PP2_CLIENT_SSL set
  std::string ssl_version;  // PP2_SUBTYPE_SSL_VERSION
  std::string ssl_cn;       // PP2_SUBTYPE_SSL_CN
};

class ProxyHeaderReader {
 public:
  enum class Status : uint8_t {
    kNeedMore,  // every byte so far is header; it has not ended
    kDone,      // the header ended `used` bytes into this piece
    kError,     // malformed: refuse the connection (reason())
  };
  // v2 header bodies (addresses and TLVs) longer than this are refused.
  static constexpr size_t kMaxV2Body = 4096;
  static constexpr size_t kMaxV1Line = 107;  // the spec's limit, CRLF included

  // Feeds the next piece. `*used` is how many bytes of it are header; the
  // rest (after kDone) belongs to the protocol that follows.
  Status feed(const char* p, size_t n, size_t* used);
  const ProxyInfo& info() const { return info_; }
  const char* reason() const { return reason_; }

 private:
  enum class Stage : uint8_t { kStart, kV1, kV2, kDone, kError };
  Status fail(const char* why);
  Status feed_v1(const char* p, size_t n, size_t* used);
  Status feed_v2(const char* p, size_t n, size_t* used);
  bool parse_v1();
  bool parse_v2();
  bool parse_tlvs(const uint8_t* p, size_t n);
  bool parse_ssl(const uint8_t* p, size_t n);

  Stage stage_ = Stage::kStart;
  std::string buf_;  // bounded by the header's limit
  ProxyInfo info_;
  const char* reason_ = "";
};

// "1.2.3.4" / "2001:db8::1", or "" for anything else.
std::string proxy_address_text(const sockaddr_storage& ss);

// Writes a header for a TCP connection from `src` to `dst` (same family,
// AF_INET or AF_INET6; otherwise v1 UNKNOWN / v2 LOCAL).
std::string proxy_header_v1(const sockaddr_storage& src, const sockaddr_storage& dst);
std::string proxy_header_v2(const sockaddr_storage& src, const sockaddr_storage& dst);

}  // namespace gantry::net
