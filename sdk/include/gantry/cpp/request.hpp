/*
 * gantry C++ layer: views of a client connection (gantry::Connection) and
 * of a stream (gantry::Request, with RequestHeaders and Response).
 * Part of gantry/module.hpp; include that header, not this one.
 *
 * Views borrow the host's objects for the duration of the hook, and the
 * string_views they return follow module.h's lifetimes (until the stream
 * ends or the same header changes). Mutators return the host's status.
 * Nothing here allocates, except peer_ip()'s small string.
 */
#ifndef GANTRY_CPP_REQUEST_HPP
#define GANTRY_CPP_REQUEST_HPP

#include <netinet/in.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <cstring>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "gantry/cpp/host.hpp"

namespace gantry {

class Connection {
 public:
  Connection(const gantry_host_api_t* api, gantry_conn_t* c) noexcept : api_(api), c_(c) {}
  gantry_conn_t* raw() const noexcept { return c_; }
  explicit operator bool() const noexcept { return c_ != nullptr; }
  uint64_t id() const noexcept {
    return c_ ? detail::host_call(api_, &gantry_host_api_t::conn_id, uint64_t{0}, c_) : 0;
  }
  std::string_view listener() const noexcept {
    if (c_ == nullptr) return std::string_view();
    return to_sv(detail::host_call(api_, &gantry_host_api_t::conn_listener, gantry_str_t{nullptr, 0}, c_));
  }
  // which: GANTRY_ADDR_PEER or GANTRY_ADDR_LOCAL. False if unknown.
  bool address(int32_t which, sockaddr_storage* out, socklen_t* len) const noexcept {
    uint32_t n = sizeof(sockaddr_storage);
    std::memset(out, 0, sizeof *out);
    if (c_ == nullptr) return false;
    if (detail::host_call(api_, &gantry_host_api_t::conn_addr, gantry_status_t{GANTRY_ERR_NOTSUP},
                          c_, which, static_cast<void*>(out), &n) != GANTRY_OK)
      return false;
    if (len != nullptr) *len = static_cast<socklen_t>(n);
    return true;
  }
  // The client's IP address as text ("192.0.2.1", "2001:db8::1"); empty if
  // unknown. No allocation beyond the small string.
  std::string peer_ip() const {
    sockaddr_storage sa;
    if (!address(GANTRY_ADDR_PEER, &sa, nullptr)) return std::string();
    char buf[INET6_ADDRSTRLEN] = {0};
    const void* a = nullptr;
    if (sa.ss_family == AF_INET) a = &reinterpret_cast<const sockaddr_in*>(&sa)->sin_addr;
    else if (sa.ss_family == AF_INET6) a = &reinterpret_cast<const sockaddr_in6*>(&sa)->sin6_addr;
    if (a == nullptr || inet_ntop(sa.ss_family, a, buf, sizeof buf) == nullptr) return std::string();
    return std::string(buf);
  }
  // TLS facts, or nothing for a plain connection.
  std::optional<gantry_tls_info_t> tls() const noexcept {
    gantry_tls_info_t info;
    std::memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    if (c_ == nullptr) return std::nullopt;
    if (detail::host_call(api_, &gantry_host_api_t::conn_tls, gantry_status_t{GANTRY_ERR_NOTSUP}, c_,
                          &info) != GANTRY_OK)
      return std::nullopt;
    return info;
  }

 private:
  const gantry_host_api_t* api_;
  gantry_conn_t* c_;
};

// The request's header list, in order.
class RequestHeaders {
 public:
  using Entry = std::pair<std::string_view, std::string_view>;
  RequestHeaders(const gantry_host_api_t* api, gantry_stream_t* s) noexcept : api_(api), s_(s) {}
  size_t size() const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::req_header_count, size_t{0}, s_);
  }
  Entry at(size_t i) const noexcept {
    gantry_str_t n{nullptr, 0}, v{nullptr, 0};
    detail::host_call(api_, &gantry_host_api_t::req_header_at, gantry_status_t{GANTRY_ERR_NOTSUP}, s_,
                      i, &n, &v);
    return {to_sv(n), to_sv(v)};
  }
  // idx-th header named `name` (case-insensitive), if present.
  std::optional<std::string_view> get(std::string_view name, size_t idx = 0) const noexcept {
    gantry_str_t v{nullptr, 0};
    if (detail::host_call(api_, &gantry_host_api_t::req_header_get, gantry_status_t{GANTRY_ERR_NOTSUP},
                          s_, to_str(name), idx, &v) != GANTRY_OK)
      return std::nullopt;
    return to_sv(v);
  }
  gantry_status_t set(std::string_view name, std::string_view value) const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::req_header_set,
                             gantry_status_t{GANTRY_ERR_NOTSUP}, s_, to_str(name), to_str(value));
  }
  gantry_status_t add(std::string_view name, std::string_view value) const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::req_header_add,
                             gantry_status_t{GANTRY_ERR_NOTSUP}, s_, to_str(name), to_str(value));
  }
  gantry_status_t remove(std::string_view name) const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::req_header_remove,
                             gantry_status_t{GANTRY_ERR_NOTSUP}, s_, to_str(name));
  }

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Entry;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Entry;
    Iterator(const RequestHeaders* h, size_t i) : h_(h), i_(i) {}
    Entry operator*() const { return h_->at(i_); }
    Iterator& operator++() { ++i_; return *this; }
    bool operator!=(const Iterator& o) const { return i_ != o.i_; }
    bool operator==(const Iterator& o) const { return i_ == o.i_; }

   private:
    const RequestHeaders* h_;
    size_t i_;
  };
  // for (auto [name, value] : req.headers()) ...
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, size()); }

 private:
  const gantry_host_api_t* api_;
  gantry_stream_t* s_;
};

// The response side of a stream, valid from on_response_headers on.
class Response {
 public:
  Response(const gantry_host_api_t* api, gantry_stream_t* s) noexcept : api_(api), s_(s) {}
  int32_t status() const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::resp_status, int32_t{0}, s_);
  }
  std::optional<std::string_view> header(std::string_view name, size_t idx = 0) const noexcept {
    gantry_str_t v{nullptr, 0};
    if (detail::host_call(api_, &gantry_host_api_t::resp_header_get, gantry_status_t{GANTRY_ERR_NOTSUP},
                          s_, to_str(name), idx, &v) != GANTRY_OK)
      return std::nullopt;
    return to_sv(v);
  }
  gantry_status_t set_header(std::string_view name, std::string_view value) const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::resp_header_set,
                             gantry_status_t{GANTRY_ERR_NOTSUP}, s_, to_str(name), to_str(value));
  }
  gantry_status_t add_header(std::string_view name, std::string_view value) const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::resp_header_add,
                             gantry_status_t{GANTRY_ERR_NOTSUP}, s_, to_str(name), to_str(value));
  }
  gantry_status_t remove_header(std::string_view name) const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::resp_header_remove,
                             gantry_status_t{GANTRY_ERR_NOTSUP}, s_, to_str(name));
  }

 private:
  const gantry_host_api_t* api_;
  gantry_stream_t* s_;
};

class Request {
 public:
  using Header = std::pair<std::string_view, std::string_view>;
  // Most headers respond() takes at once (they are gathered on the stack).
  static constexpr size_t kMaxRespondHeaders = 32;

  Request(const gantry_host_api_t* api, gantry_stream_t* s) noexcept : api_(api), s_(s) {}

  gantry_stream_t* raw() const noexcept { return s_; }
  std::string_view method() const noexcept { return str(&gantry_host_api_t::req_method); }
  std::string_view target() const noexcept { return str(&gantry_host_api_t::req_target); }
  std::string_view path() const noexcept { return str(&gantry_host_api_t::req_path); }
  std::string_view query() const noexcept { return str(&gantry_host_api_t::req_query); }
  uint32_t version() const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::req_version, 11u, s_);
  }
  RequestHeaders headers() const noexcept { return RequestHeaders(api_, s_); }
  std::optional<std::string_view> header(std::string_view name, size_t idx = 0) const noexcept {
    return headers().get(name, idx);
  }
  Response response() const noexcept { return Response(api_, s_); }
  Connection connection() const noexcept {
    return Connection(api_, detail::host_call(api_, &gantry_host_api_t::stream_conn,
                                              static_cast<gantry_conn_t*>(nullptr), s_));
  }

  gantry_status_t set_target(std::string_view target) const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::req_set_target,
                             gantry_status_t{GANTRY_ERR_NOTSUP}, s_, to_str(target));
  }
  gantry_status_t route_to(std::string_view backend) const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::route_to, gantry_status_t{GANTRY_ERR_NOTSUP},
                             s_, to_str(backend));
  }
  // ABI 1.1: a backend index that Host::backend_index gave at load; a host
  // of 1.0 answers GANTRY_ERR_NOTSUP (route by name there).
  gantry_status_t route_to(int32_t backend_index) const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::route_to_index,
                             gantry_status_t{GANTRY_ERR_NOTSUP}, s_, backend_index);
  }
  std::string_view backend() const noexcept { return str(&gantry_host_api_t::route_backend); }
  // ABI 1.1, tunnels only: queue bytes toward one side after what was
  // relayed so far (GANTRY_DIR_SERVER_TO_CLIENT: to the client).
  gantry_status_t tunnel_send(uint32_t direction, const void* p, size_t n) const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::tunnel_send,
                             gantry_status_t{GANTRY_ERR_NOTSUP}, s_, direction,
                             static_cast<const uint8_t*>(p), n);
  }
  gantry_status_t set_balance_key(std::string_view key) const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::set_balance_key,
                             gantry_status_t{GANTRY_ERR_NOTSUP}, s_, to_str(key));
  }
  gantry_status_t log_note(std::string_view key, std::string_view value) const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::log_note, gantry_status_t{GANTRY_ERR_NOTSUP},
                             s_, to_str(key), to_str(value));
  }
  // Answer locally; the hook then returns GANTRY_DONE. The host copies all.
  gantry_status_t respond(int32_t status, std::initializer_list<Header> headers = {},
                          std::string_view body = {}) const noexcept {
    return respond_with(status, headers, body);
  }
  // The same with any range of name/value pairs whose members convert to
  // std::string_view (e.g. a std::vector<std::pair<std::string,
  // std::string>> kept in the config). GANTRY_ERR_RANGE beyond
  // kMaxRespondHeaders.
  template <typename Headers>
  gantry_status_t respond_with(int32_t status, const Headers& headers,
                               std::string_view body = {}) const noexcept {
    gantry_header_t hs[kMaxRespondHeaders];
    size_t n = 0;
    for (const auto& h : headers) {
      if (n == kMaxRespondHeaders) return GANTRY_ERR_RANGE;
      hs[n++] = gantry_header_t{to_str(std::string_view(h.first)), to_str(std::string_view(h.second))};
    }
    return detail::host_call(api_, &gantry_host_api_t::respond, gantry_status_t{GANTRY_ERR_NOTSUP}, s_,
                             status, static_cast<const gantry_header_t*>(hs), n, to_str(body));
  }
  // Continue a stream whose hook returned GANTRY_PAUSE (LOOP of the stream).
  gantry_status_t resume(gantry_action_t action) const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::resume, gantry_status_t{GANTRY_ERR_NOTSUP}, s_,
                             static_cast<int32_t>(action));
  }

 private:
  std::string_view str(gantry_str_t (*gantry_host_api_t::*member)(gantry_stream_t*)) const noexcept {
    return to_sv(detail::host_call(api_, member, gantry_str_t{nullptr, 0}, s_));
  }

  const gantry_host_api_t* api_;
  gantry_stream_t* s_;
};

}  // namespace gantry

#endif /* GANTRY_CPP_REQUEST_HPP */
