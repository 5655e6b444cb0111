/*
 * gantry::testing::MockConn and MockStream: the connection and the stream a
 * module's hooks see through the mock host. Part of gantry/mock_host.hpp.
 */
#ifndef GANTRY_TESTING_MOCK_OBJECTS_HPP
#define GANTRY_TESTING_MOCK_OBJECTS_HPP

#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gantry/module.h"

namespace gantry::testing {

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------

// TLS facts conn_tls() reports for a MockConn whose `tls` is set.
struct MockTls {
  std::string sni;
  std::string alpn = "http/1.1";
  std::string version = "TLSv1.3";
  std::string cipher = "TLS_AES_128_GCM_SHA256";
  std::string peer_der;      // empty: no client certificate
  std::string peer_subject;
  bool peer_verified = false;
  bool resumed = false;
  std::string library = "mock TLS";
};

struct MockConn {
  uint64_t id = 1;
  std::string listener = "test";
  sockaddr_storage peer{};
  socklen_t peer_len = 0;
  sockaddr_storage local{};  // GANTRY_ADDR_LOCAL; unset (len 0) until set_local()
  socklen_t local_len = 0;
  std::optional<MockTls> tls;  // set: a TLS connection with these facts

  explicit MockConn(const std::string& ip = "192.0.2.1", uint16_t port = 40000) { set_peer(ip, port); }
  void set_peer(const std::string& ip, uint16_t port) { peer_len = fill(&peer, ip, port); }
  void set_local(const std::string& ip, uint16_t port) { local_len = fill(&local, ip, port); }
  gantry_conn_t* raw() { return reinterpret_cast<gantry_conn_t*>(this); }

  // An IPv4 or IPv6 address as a sockaddr; throws std::invalid_argument.
  static socklen_t fill(sockaddr_storage* out, const std::string& ip, uint16_t port) {
    std::memset(out, 0, sizeof *out);
    auto* v4 = reinterpret_cast<sockaddr_in*>(out);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
    if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
      return sizeof(sockaddr_in);
    }
    if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
      return sizeof(sockaddr_in6);
    }
    throw std::invalid_argument("MockConn: bad address " + ip);
  }
};

// ---------------------------------------------------------------------------
// Streams
// ---------------------------------------------------------------------------

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One request/response exchange. As in gantry, a stream always has a
// connection: `conn` when set (to share one between streams), else the
// stream's own `own_conn`.
struct MockStream {
  MockConn* conn = nullptr;
  MockConn own_conn;
  std::string method = "GET";
  std::string target = "/";
  std::string path_, query_;  // derived from target
  uint32_t version = 11;
  HeaderList headers;
  // Response side (from the "backend"), for on_response_headers.
  int32_t resp_status = 0;
  HeaderList resp_headers;
  // What the module did.
  int32_t responded_status = 0;  // 0: respond() not called
  HeaderList responded_headers;
  std::string responded_body;
  std::string backend;
  std::string balance_key;
  // tunnel_send() calls: direction and bytes.
  std::vector<std::pair<uint32_t, std::string>> tunnel_sent;
  HeaderList log_notes;
  int32_t resumed_action = -1;

  MockStream(std::string m = "GET", std::string t = "/", HeaderList h = {}, MockConn* c = nullptr)
      : conn(c), method(std::move(m)), headers(std::move(h)) {
    set_target(std::move(t));
  }
  void set_target(std::string t) {
    target = std::move(t);
    size_t q = target.find('?');
    path_ = target.substr(0, q);
    query_ = q == std::string::npos ? std::string() : target.substr(q + 1);
  }
  MockConn& connection() { return conn != nullptr ? *conn : own_conn; }
  // idx-th request header named `name`, or nullptr.
  const std::string* header(std::string_view name, size_t idx = 0) const {
    return find(headers, name, idx);
  }
  size_t header_count(std::string_view name) const {
    size_t n = 0;
    for (const auto& h : headers) n += iequals(h.first, name) ? 1 : 0;
    return n;
  }
  const std::string* responded_header(std::string_view name) const {
    return find(responded_headers, name, 0);
  }
  // The last value noted under `key` (log_note), "" if none.
  std::string note(std::string_view key) const {
    std::string v;
    for (const auto& n : log_notes)
      if (n.first == key) v = n.second;
    return v;
  }
  size_t note_count(std::string_view key) const {
    size_t c = 0;
    for (const auto& n : log_notes) c += n.first == key ? 1 : 0;
    return c;
  }
  gantry_stream_t* raw() { return reinterpret_cast<gantry_stream_t*>(this); }

  static const std::string* find(const HeaderList& l, std::string_view name, size_t idx) {
    for (const auto& h : l)
      if (iequals(h.first, name) && idx-- == 0) return &h.second;
    return nullptr;
  }
};

}  // namespace gantry::testing

#endif /* GANTRY_TESTING_MOCK_OBJECTS_HPP */
