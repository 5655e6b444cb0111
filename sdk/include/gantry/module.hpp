/*
 * gantry C++ layer over module ABI v1. Optional and header-only: it is
 * compiled INTO the module, so no C++ type ever crosses the ABI and the host
 * never depends on the module's compiler or standard library.
 *
 * What it gives a module written in C++17:
 *   - gantry::Module, a base class, and GANTRY_CPP_MODULE(Class), which
 *     builds the descriptor and the hook table (sizes and versions filled in,
 *     a hook is non-NULL only if Class defines it) and exports the entry.
 *   - noexcept trampolines: an exception escaping a hook (std::exception or
 *     anything else) is logged through host->log and becomes GANTRY_CLOSE;
 *     from instance_new/scope_new it becomes an error status with the
 *     message (and, for gantry::ConfigError, the file:line of the node).
 *   - views: gantry::Host, gantry::Config (config nodes), gantry::Request
 *     (a stream, with RequestHeaders and Response), gantry::Connection,
 *     all with std::string_view conversions.
 *   - gantry::PerWorker<T>: state indexed by host->worker_index().
 *
 * A minimal module:
 *
 *   #include <gantry/module.hpp>
 *   class Deny : public gantry::Module {
 *    public:
 *     static constexpr const char* kName = "deny";
 *     static constexpr const char* kVersion = "1.0.0";
 *     static constexpr gantry_config_key_t kConfigKeys[] = {
 *         gantry::key("prefix", GANTRY_CFG_STRING, true, "path prefix to refuse"),
 *         gantry::keys_end()};
 *     Deny(gantry::Host host, gantry::Config config)
 *         : Module(host), prefix_(config["prefix"].as_string()) {}
 *     gantry_action_t on_request_headers(gantry::Request& req) {
 *       if (req.path().substr(0, prefix_.size()) != prefix_) return GANTRY_CONTINUE;
 *       req.respond(403, {{"content-type", "text/plain"}}, "denied\n");
 *       return GANTRY_DONE;
 *     }
 *    private:
 *     std::string prefix_;
 *   };
 *   GANTRY_CPP_MODULE(Deny)
 *
 * Optional static members: kDescription (const char*), kCapabilities
 * (uint64_t, GANTRY_CAP_*), kConfigKeys (array ending with keys_end()),
 * kMinHostMinor (uint32_t; default GANTRY_ABI_MINOR), kTransport (a
 * const gantry_transport_t*, with GANTRY_CAP_TRANSPORT: the transport's C
 * functions are the module's own, and must not throw either).
 *
 * Hook members the class may define (do not overload them). Request-side
 * hooks accept a short form without the context pointers:
 *   void* scope_new(uint32_t scope, gantry::Config table)        MAIN
 *   void scope_free(uint32_t scope, void* scope_ctx)              MAIN
 *   gantry_action_t on_listen(void* scope_ctx, gantry_listener_t* l, int32_t fd)
 *   gantry_action_t on_accept(void* scope_ctx, gantry::Connection c, int32_t fd, void** conn_ctx)
 *   gantry_action_t on_handshake(gantry::Connection c, void* conn_ctx)
 *   gantry_action_t on_request_headers(gantry::Request& r [, void* conn_ctx, void** stream_ctx])
 *   gantry_action_t on_upgrade(gantry::Request& r, [void* stream_ctx,] std::string_view protocol)
 *   gantry_action_t on_connect_upstream(void* scope_ctx, gantry::Request& r, int32_t fd, size_t pending)
 *   gantry_action_t on_response_headers(gantry::Request& r [, void* stream_ctx])
 *   gantry_action_t on_tunnel_data(gantry::Request& r, void* stream_ctx, uint32_t dir,
 *                                  const uint8_t* p, size_t n)
 *   void on_log(gantry::Request& r, [void* stream_ctx,] const gantry_log_record_t& rec)
 *   void on_stream_end(gantry::Request& r [, void* stream_ctx])
 *   void on_conn_close(gantry::Connection c [, void* conn_ctx])
 * THREAD rules are module.h's: the constructor, destructor and scope_* run
 * on MAIN; the others on the connection's LOOP, on every worker at once, so
 * the instance is read-only after construction or uses PerWorker<T>.
 */
#ifndef GANTRY_MODULE_HPP
#define GANTRY_MODULE_HPP

#if !defined(__cplusplus) || __cplusplus < 201703L
#error "gantry/module.hpp needs C++17; C modules include gantry/module.h"
#endif

#include <netinet/in.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <iterator>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "gantry/module.h"

namespace gantry {

// ---------------------------------------------------------------------------
// Slices and errors
// ---------------------------------------------------------------------------

inline std::string_view to_sv(gantry_str_t s) noexcept {
  return s.ptr != nullptr ? std::string_view(s.ptr, s.len) : std::string_view();
}
inline gantry_str_t to_str(std::string_view v) noexcept { return gantry_str_t{v.data(), v.size()}; }

// Thrown by the helpers below; caught by the trampolines, which turn it into
// `code` (MAIN calls) or GANTRY_CLOSE (data-path hooks).
class Error : public std::runtime_error {
 public:
  Error(gantry_status_t code, const std::string& what) : std::runtime_error(what), code_(code) {}
  gantry_status_t code() const noexcept { return code_; }

 private:
  gantry_status_t code_;
};

// A bad config value. The host reports it with the node's file:line.
class ConfigError : public Error {
 public:
  ConfigError(const gantry_cfg_t* node, const std::string& what,
              gantry_status_t code = GANTRY_ERR_INVAL)
      : Error(code, what), node_(node) {}
  const gantry_cfg_t* node() const noexcept { return node_; }

 private:
  const gantry_cfg_t* node_;
};

namespace detail {

// Host services may be absent (an older host, or a host that does not offer
// them in this build): call them only when present.
template <typename R, typename... P, typename... A>
R call_or(R (*fn)(P...), R fallback, A&&... args) noexcept {
  return fn != nullptr ? fn(std::forward<A>(args)...) : fallback;
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Host: the function table plus the module handle, for logging
// ---------------------------------------------------------------------------

class Host {
 public:
  Host() = default;
  Host(const gantry_host_api_t* api, gantry_module_t* self) noexcept : api_(api), self_(self) {}

  const gantry_host_api_t* api() const noexcept { return api_; }
  gantry_module_t* self() const noexcept { return self_; }
  uint32_t abi_minor() const noexcept { return api_ != nullptr ? api_->abi_minor : 0; }
  const char* version() const noexcept {
    return api_ != nullptr && api_->host_version != nullptr ? api_->host_version : "";
  }

  // THREAD: ANY. Never throws: messages longer than the stack buffer are
  // copied to the heap, or truncated if that fails.
  void log(gantry_log_level_t level, std::string_view msg) const noexcept {
    if (api_ == nullptr || api_->log == nullptr) return;
    char buf[512];
    if (msg.size() < sizeof buf) {
      std::memcpy(buf, msg.data(), msg.size());
      buf[msg.size()] = '\0';
      api_->log(self_, level, buf);
      return;
    }
    try {
      std::string copy(msg);
      api_->log(self_, level, copy.c_str());
    } catch (...) {
      std::memcpy(buf, msg.data(), sizeof buf - 1);
      buf[sizeof buf - 1] = '\0';
      api_->log(self_, level, buf);
    }
  }
  void debug(std::string_view msg) const noexcept { log(GANTRY_LOG_DEBUG, msg); }
  void info(std::string_view msg) const noexcept { log(GANTRY_LOG_INFO, msg); }
  void warn(std::string_view msg) const noexcept { log(GANTRY_LOG_WARN, msg); }
  void error(std::string_view msg) const noexcept { log(GANTRY_LOG_ERROR, msg); }

  // 1 when the host does not say (e.g. a test host).
  uint32_t worker_count() const noexcept {
    uint32_t n = api_ != nullptr ? detail::call_or(api_->worker_count, 1u) : 1u;
    return n != 0 ? n : 1;
  }
  // 0..worker_count()-1 on a worker loop, -1 elsewhere.
  int32_t worker_index() const noexcept {
    return api_ != nullptr ? detail::call_or(api_->worker_index, int32_t{-1}) : -1;
  }

 private:
  const gantry_host_api_t* api_ = nullptr;
  gantry_module_t* self_ = nullptr;
};

// ---------------------------------------------------------------------------
// Config: a view of one node of the TOML config
// ---------------------------------------------------------------------------

// Valid only during the MAIN call that handed out the node: copy what you
// keep (as_string() returns a view; store it in a std::string).
// A default-constructed or missing node is "absent": operator bool is false,
// the *_or accessors return their default, the as_* accessors throw.
class Config {
 public:
  Config() = default;
  Config(const gantry_host_api_t* api, const gantry_cfg_t* node) noexcept : api_(api), node_(node) {}

  explicit operator bool() const noexcept { return node_ != nullptr; }
  const gantry_cfg_t* node() const noexcept { return node_; }
  gantry_cfg_type_t type() const noexcept {
    if (node_ == nullptr) return GANTRY_CFG_ANY;
    return static_cast<gantry_cfg_type_t>(detail::call_or(api_->cfg_type, 0u, node_));
  }
  bool is_table() const noexcept { return type() == GANTRY_CFG_TABLE; }
  bool is_array() const noexcept { return type() == GANTRY_CFG_ARRAY; }

  // Child of a table, absent if missing.
  Config operator[](const char* key) const noexcept {
    if (node_ == nullptr || api_->cfg_get == nullptr) return Config(api_, nullptr);
    return Config(api_, api_->cfg_get(node_, key));
  }
  Config operator[](const std::string& key) const noexcept { return (*this)[key.c_str()]; }
  // Entries of a table or elements of an array.
  size_t size() const noexcept {
    return node_ != nullptr ? detail::call_or(api_->cfg_size, size_t{0}, node_) : 0;
  }
  Config at(size_t i) const noexcept { return entry(i).second; }
  std::pair<std::string_view, Config> entry(size_t i) const noexcept {
    gantry_str_t key{nullptr, 0};
    const gantry_cfg_t* child = nullptr;
    if (node_ != nullptr && api_->cfg_at != nullptr) child = api_->cfg_at(node_, i, &key);
    return {to_sv(key), Config(api_, child)};
  }

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = std::pair<std::string_view, Config>;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = value_type;
    Iterator(const Config* c, size_t i) : c_(c), i_(i) {}
    value_type operator*() const { return c_->entry(i_); }
    Iterator& operator++() { ++i_; return *this; }
    bool operator!=(const Iterator& o) const { return i_ != o.i_; }
    bool operator==(const Iterator& o) const { return i_ == o.i_; }

   private:
    const Config* c_;
    size_t i_;
  };
  // for (auto [key, value] : table) ...   (key is empty for array elements)
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, size()); }

  std::string_view as_string() const {
    gantry_str_t s{nullptr, 0};
    check(&gantry_host_api_t::cfg_string, &s, "a string");
    return to_sv(s);
  }
  int64_t as_int() const { int64_t v = 0; check(&gantry_host_api_t::cfg_int, &v, "an integer"); return v; }
  double as_float() const { double v = 0; check(&gantry_host_api_t::cfg_float, &v, "a number"); return v; }
  bool as_bool() const { int32_t v = 0; check(&gantry_host_api_t::cfg_bool, &v, "a boolean"); return v != 0; }
  int64_t as_duration_ms() const {
    int64_t v = 0;
    check(&gantry_host_api_t::cfg_duration_ms, &v, "a duration");
    return v;
  }
  int64_t as_size_bytes() const { int64_t v = 0; check(&gantry_host_api_t::cfg_size_bytes, &v, "a size"); return v; }
  // An integer within [lo, hi], else a ConfigError at this node.
  int64_t as_int_in(int64_t lo, int64_t hi) const {
    int64_t v = as_int();
    if (v < lo || v > hi) fail("must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return v;
  }

  std::string_view string_or(std::string_view def) const { return *this ? as_string() : def; }
  int64_t int_or(int64_t def) const { return *this ? as_int() : def; }
  double float_or(double def) const { return *this ? as_float() : def; }
  bool bool_or(bool def) const { return *this ? as_bool() : def; }
  int64_t duration_ms_or(int64_t def) const { return *this ? as_duration_ms() : def; }
  int64_t size_bytes_or(int64_t def) const { return *this ? as_size_bytes() : def; }

  // "file:line:col", or empty if the host cannot tell.
  std::string where() const {
    if (node_ == nullptr || api_->cfg_where == nullptr) return std::string();
    const char* file = nullptr;
    uint32_t line = 0, column = 0;
    api_->cfg_where(node_, &file, &line, &column);
    if (file == nullptr) return std::string();
    return std::string(file) + ":" + std::to_string(line) + ":" + std::to_string(column);
  }

  // Throws a ConfigError at this node (the host prints its file:line).
  [[noreturn]] void fail(const std::string& what) const { throw ConfigError(node_, what); }

 private:
  template <typename T>
  using Reader = gantry_status_t (*gantry_host_api_t::*)(const gantry_cfg_t*, T*);
  template <typename T>
  void check(Reader<T> member, T* out, const char* what) const {
    if (node_ == nullptr) throw ConfigError(nullptr, std::string("missing value, expected ") + what);
    auto fn = api_ != nullptr ? api_->*member : nullptr;
    if (fn == nullptr) throw ConfigError(node_, "the host cannot read config values",
                                         GANTRY_ERR_NOTSUP);
    if (fn(node_, out) != GANTRY_OK) fail(std::string("expected ") + what);
  }

  const gantry_host_api_t* api_ = nullptr;
  const gantry_cfg_t* node_ = nullptr;
};

// One accepted config key, for a class's kConfigKeys array.
constexpr gantry_config_key_t key(const char* name, gantry_cfg_type_t type, bool required,
                                  const char* doc, gantry_scope_t scope = GANTRY_SCOPE_MODULE) {
  return gantry_config_key_t{sizeof(gantry_config_key_t), static_cast<uint32_t>(scope), name,
                             static_cast<uint32_t>(type), required ? 1u : 0u, doc};
}
constexpr gantry_config_key_t keys_end() {
  return gantry_config_key_t{sizeof(gantry_config_key_t), 0, nullptr, 0, 0, nullptr};
}

// ---------------------------------------------------------------------------
// Connection, Request (a stream), headers, Response
// ---------------------------------------------------------------------------
// Views: they borrow the host's objects for the duration of the hook, and the
// string_views they return follow module.h's lifetimes (until the stream
// ends or the same header changes). Mutators return the host's status.

class Connection {
 public:
  Connection(const gantry_host_api_t* api, gantry_conn_t* c) noexcept : api_(api), c_(c) {}
  gantry_conn_t* raw() const noexcept { return c_; }
  explicit operator bool() const noexcept { return c_ != nullptr; }
  uint64_t id() const noexcept { return c_ ? detail::call_or(api_->conn_id, uint64_t{0}, c_) : 0; }
  std::string_view listener() const noexcept {
    if (c_ == nullptr) return std::string_view();
    return to_sv(detail::call_or(api_->conn_listener, gantry_str_t{nullptr, 0}, c_));
  }
  // which: GANTRY_ADDR_PEER or GANTRY_ADDR_LOCAL. False if unknown.
  bool address(int32_t which, sockaddr_storage* out, socklen_t* len) const noexcept {
    uint32_t n = sizeof(sockaddr_storage);
    std::memset(out, 0, sizeof *out);
    if (c_ == nullptr) return false;
    if (detail::call_or(api_->conn_addr, gantry_status_t{GANTRY_ERR_NOTSUP}, c_, which,
                        static_cast<void*>(out), &n) != GANTRY_OK)
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
    if (detail::call_or(api_->conn_tls, gantry_status_t{GANTRY_ERR_NOTSUP}, c_, &info) != GANTRY_OK)
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
  size_t size() const noexcept { return detail::call_or(api_->req_header_count, size_t{0}, s_); }
  Entry at(size_t i) const noexcept {
    gantry_str_t n{nullptr, 0}, v{nullptr, 0};
    if (api_->req_header_at != nullptr) api_->req_header_at(s_, i, &n, &v);
    return {to_sv(n), to_sv(v)};
  }
  // idx-th header named `name` (case-insensitive), if present.
  std::optional<std::string_view> get(std::string_view name, size_t idx = 0) const noexcept {
    gantry_str_t v{nullptr, 0};
    if (detail::call_or(api_->req_header_get, gantry_status_t{GANTRY_ERR_NOTSUP}, s_, to_str(name),
                        idx, &v) != GANTRY_OK)
      return std::nullopt;
    return to_sv(v);
  }
  gantry_status_t set(std::string_view name, std::string_view value) const noexcept {
    return detail::call_or(api_->req_header_set, gantry_status_t{GANTRY_ERR_NOTSUP}, s_,
                           to_str(name), to_str(value));
  }
  gantry_status_t add(std::string_view name, std::string_view value) const noexcept {
    return detail::call_or(api_->req_header_add, gantry_status_t{GANTRY_ERR_NOTSUP}, s_,
                           to_str(name), to_str(value));
  }
  gantry_status_t remove(std::string_view name) const noexcept {
    return detail::call_or(api_->req_header_remove, gantry_status_t{GANTRY_ERR_NOTSUP}, s_,
                           to_str(name));
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
  int32_t status() const noexcept { return detail::call_or(api_->resp_status, int32_t{0}, s_); }
  std::optional<std::string_view> header(std::string_view name, size_t idx = 0) const noexcept {
    gantry_str_t v{nullptr, 0};
    if (detail::call_or(api_->resp_header_get, gantry_status_t{GANTRY_ERR_NOTSUP}, s_,
                        to_str(name), idx, &v) != GANTRY_OK)
      return std::nullopt;
    return to_sv(v);
  }
  gantry_status_t set_header(std::string_view name, std::string_view value) const noexcept {
    return detail::call_or(api_->resp_header_set, gantry_status_t{GANTRY_ERR_NOTSUP}, s_,
                           to_str(name), to_str(value));
  }
  gantry_status_t add_header(std::string_view name, std::string_view value) const noexcept {
    return detail::call_or(api_->resp_header_add, gantry_status_t{GANTRY_ERR_NOTSUP}, s_,
                           to_str(name), to_str(value));
  }
  gantry_status_t remove_header(std::string_view name) const noexcept {
    return detail::call_or(api_->resp_header_remove, gantry_status_t{GANTRY_ERR_NOTSUP}, s_,
                           to_str(name));
  }

 private:
  const gantry_host_api_t* api_;
  gantry_stream_t* s_;
};

class Request {
 public:
  using Header = std::pair<std::string_view, std::string_view>;
  Request(const gantry_host_api_t* api, gantry_stream_t* s) noexcept : api_(api), s_(s) {}

  gantry_stream_t* raw() const noexcept { return s_; }
  std::string_view method() const noexcept { return str(api_->req_method); }
  std::string_view target() const noexcept { return str(api_->req_target); }
  std::string_view path() const noexcept { return str(api_->req_path); }
  std::string_view query() const noexcept { return str(api_->req_query); }
  uint32_t version() const noexcept { return detail::call_or(api_->req_version, 11u, s_); }
  RequestHeaders headers() const noexcept { return RequestHeaders(api_, s_); }
  std::optional<std::string_view> header(std::string_view name, size_t idx = 0) const noexcept {
    return headers().get(name, idx);
  }
  Response response() const noexcept { return Response(api_, s_); }
  Connection connection() const noexcept {
    return Connection(api_, detail::call_or(api_->stream_conn, static_cast<gantry_conn_t*>(nullptr), s_));
  }

  gantry_status_t set_target(std::string_view target) const noexcept {
    return detail::call_or(api_->req_set_target, gantry_status_t{GANTRY_ERR_NOTSUP}, s_, to_str(target));
  }
  gantry_status_t route_to(std::string_view backend) const noexcept {
    return detail::call_or(api_->route_to, gantry_status_t{GANTRY_ERR_NOTSUP}, s_, to_str(backend));
  }
  std::string_view backend() const noexcept { return str(api_->route_backend); }
  gantry_status_t set_balance_key(std::string_view key) const noexcept {
    return detail::call_or(api_->set_balance_key, gantry_status_t{GANTRY_ERR_NOTSUP}, s_, to_str(key));
  }
  gantry_status_t log_note(std::string_view key, std::string_view value) const noexcept {
    return detail::call_or(api_->log_note, gantry_status_t{GANTRY_ERR_NOTSUP}, s_, to_str(key),
                           to_str(value));
  }
  // Answer locally; the hook then returns GANTRY_DONE. The host copies all.
  gantry_status_t respond(int32_t status, std::initializer_list<Header> headers = {},
                          std::string_view body = {}) const noexcept {
    constexpr size_t kMax = 32;
    gantry_header_t hs[kMax];
    size_t n = 0;
    for (const Header& h : headers) {
      if (n == kMax) return GANTRY_ERR_RANGE;
      hs[n++] = gantry_header_t{to_str(h.first), to_str(h.second)};
    }
    return detail::call_or(api_->respond, gantry_status_t{GANTRY_ERR_NOTSUP}, s_, status,
                           static_cast<const gantry_header_t*>(hs), n, to_str(body));
  }
  // Continue a stream whose hook returned GANTRY_PAUSE (LOOP of the stream).
  gantry_status_t resume(gantry_action_t action) const noexcept {
    return detail::call_or(api_->resume, gantry_status_t{GANTRY_ERR_NOTSUP}, s_,
                           static_cast<int32_t>(action));
  }

 private:
  std::string_view str(gantry_str_t (*fn)(gantry_stream_t*)) const noexcept {
    return to_sv(detail::call_or(fn, gantry_str_t{nullptr, 0}, s_));
  }

  const gantry_host_api_t* api_;
  gantry_stream_t* s_;
};

// ---------------------------------------------------------------------------
// PerWorker<T>: one T per worker loop, no locks
// ---------------------------------------------------------------------------

// Build it in the constructor (MAIN); call local() from hooks (LOOP). Slots
// sit on separate cache lines so workers do not contend.
template <typename T>
class PerWorker {
 public:
  explicit PerWorker(const Host& host) : host_(host), slots_(host.worker_count()) {}
  // Every worker starts with a copy of `initial`.
  PerWorker(const Host& host, const T& initial) : host_(host), slots_(host.worker_count(), Slot{initial}) {}
  size_t size() const noexcept { return slots_.size(); }
  T& at(size_t i) { return slots_.at(i).value; }
  const T& at(size_t i) const { return slots_.at(i).value; }
  // This worker's T. Throws std::logic_error off a worker loop.
  T& local() {
    int32_t i = host_.worker_index();
    if (i < 0 || static_cast<size_t>(i) >= slots_.size())
      throw std::logic_error("PerWorker::local() called off a worker loop");
    return slots_[static_cast<size_t>(i)].value;
  }

 private:
  struct alignas(64) Slot {
    T value{};
  };
  Host host_;
  std::vector<Slot> slots_;
};

// ---------------------------------------------------------------------------
// Module base class and the trampolines
// ---------------------------------------------------------------------------

class Module {
 public:
  explicit Module(Host host) noexcept : host_(host) {}
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  const Host& host() const noexcept { return host_; }

 private:
  Host host_;
};

namespace detail {

#define GANTRY_DETAIL_HAS_MEMBER(member)                                          \
  template <typename M, typename = void>                                          \
  struct has_##member : std::false_type {};                                       \
  template <typename M>                                                           \
  struct has_##member<M, std::void_t<decltype(&M::member)>> : std::true_type {};
GANTRY_DETAIL_HAS_MEMBER(scope_new)
GANTRY_DETAIL_HAS_MEMBER(scope_free)
GANTRY_DETAIL_HAS_MEMBER(on_listen)
GANTRY_DETAIL_HAS_MEMBER(on_accept)
GANTRY_DETAIL_HAS_MEMBER(on_handshake)
GANTRY_DETAIL_HAS_MEMBER(on_request_headers)
GANTRY_DETAIL_HAS_MEMBER(on_upgrade)
GANTRY_DETAIL_HAS_MEMBER(on_connect_upstream)
GANTRY_DETAIL_HAS_MEMBER(on_response_headers)
GANTRY_DETAIL_HAS_MEMBER(on_tunnel_data)
GANTRY_DETAIL_HAS_MEMBER(on_log)
GANTRY_DETAIL_HAS_MEMBER(on_stream_end)
GANTRY_DETAIL_HAS_MEMBER(on_conn_close)
GANTRY_DETAIL_HAS_MEMBER(kDescription)
GANTRY_DETAIL_HAS_MEMBER(kCapabilities)
GANTRY_DETAIL_HAS_MEMBER(kConfigKeys)
GANTRY_DETAIL_HAS_MEMBER(kMinHostMinor)
GANTRY_DETAIL_HAS_MEMBER(kTransport)
#undef GANTRY_DETAIL_HAS_MEMBER

// Reports an exception that reached a trampoline. Formats into a stack
// buffer so that reporting cannot throw in turn.
inline void report_exception(const Host& host, const char* hook, const char* what) noexcept {
  char buf[480];
  std::snprintf(buf, sizeof buf, "%s threw: %s", hook, what);
  host.error(buf);
}

inline void set_error(const gantry_host_api_t* api, gantry_error_t* err, const gantry_cfg_t* node,
                      gantry_status_t code, const char* msg) noexcept {
  if (api == nullptr || err == nullptr) return;
  if (node != nullptr && api->error_at != nullptr) api->error_at(err, node, code, msg);
  else if (api->error_set != nullptr) api->error_set(err, code, msg);
}

// Runs fn() for a MAIN call that reports failures through `err`.
template <typename Fn>
gantry_status_t guard_status(const gantry_host_api_t* api, gantry_error_t* err, Fn&& fn) noexcept {
  try {
    return fn();
  } catch (const ConfigError& e) {
    set_error(api, err, e.node(), e.code(), e.what());
    return e.code() != GANTRY_OK ? e.code() : GANTRY_ERR_INVAL;
  } catch (const Error& e) {
    set_error(api, err, nullptr, e.code(), e.what());
    return e.code() != GANTRY_OK ? e.code() : GANTRY_ERR_GENERIC;
  } catch (const std::bad_alloc&) {
    set_error(api, err, nullptr, GANTRY_ERR_NOMEM, "out of memory");
    return GANTRY_ERR_NOMEM;
  } catch (const std::exception& e) {
    set_error(api, err, nullptr, GANTRY_ERR_GENERIC, e.what());
    return GANTRY_ERR_GENERIC;
  } catch (...) {
    set_error(api, err, nullptr, GANTRY_ERR_GENERIC, "unknown exception");
    return GANTRY_ERR_GENERIC;
  }
}

// Runs fn() for a data-path hook: an exception is logged and closes the
// connection. R is gantry_action_t or void.
template <typename R, typename Fn>
R guard_hook(const Module& m, const char* hook, Fn&& fn) noexcept {
  try {
    return fn();
  } catch (const std::exception& e) {
    report_exception(m.host(), hook, e.what());
  } catch (...) {
    report_exception(m.host(), hook, "unknown exception");
  }
  if constexpr (std::is_same_v<R, gantry_action_t>) return GANTRY_CLOSE;
}

template <typename M>
struct Glue {
  static_assert(std::is_base_of_v<Module, M>, "a gantry C++ module derives from gantry::Module");
  static M& self(void* inst) noexcept { return *static_cast<M*>(inst); }

  static gantry_status_t instance_new(const gantry_host_api_t* api, gantry_module_t* mod,
                                      const gantry_cfg_t* config, void** inst,
                                      gantry_error_t* err) noexcept {
    return guard_status(api, err, [&]() -> gantry_status_t {
      Host host(api, mod);
      if constexpr (std::is_constructible_v<M, Host, Config>) *inst = new M(host, Config(api, config));
      else *inst = new M(host);
      return GANTRY_OK;
    });
  }
  static void instance_free(void* inst) noexcept {
    M* m = static_cast<M*>(inst);
    Host host = m->host();
    try {
      delete m;
    } catch (...) {
      report_exception(host, "instance_free", "unknown exception");
    }
  }
  static gantry_status_t scope_new(void* inst, uint32_t scope, const gantry_cfg_t* table,
                                   void** scope_ctx, gantry_error_t* err) noexcept {
    if constexpr (has_scope_new<M>::value) {
      const gantry_host_api_t* api = self(inst).host().api();
      return guard_status(api, err, [&]() -> gantry_status_t {
        *scope_ctx = self(inst).scope_new(scope, Config(api, table));
        return GANTRY_OK;
      });
    } else {
      (void)inst, (void)scope, (void)table, (void)err;
      *scope_ctx = nullptr;
      return GANTRY_OK;
    }
  }
  static void scope_free(void* inst, uint32_t scope, void* scope_ctx) noexcept {
    if constexpr (has_scope_free<M>::value)
      guard_hook<void>(self(inst), "scope_free", [&] { self(inst).scope_free(scope, scope_ctx); });
    else
      (void)inst, (void)scope, (void)scope_ctx;
  }
  static gantry_action_t on_listen(void* inst, void* scope_ctx, gantry_listener_t* l,
                                   int32_t fd) noexcept {
    if constexpr (has_on_listen<M>::value)
      return guard_hook<gantry_action_t>(self(inst), "on_listen",
                                         [&] { return self(inst).on_listen(scope_ctx, l, fd); });
    else
      return (void)inst, (void)scope_ctx, (void)l, (void)fd, GANTRY_CONTINUE;
  }
  static gantry_action_t on_accept(void* inst, void* scope_ctx, gantry_conn_t* c, int32_t fd,
                                   void** conn_ctx) noexcept {
    if constexpr (has_on_accept<M>::value)
      return guard_hook<gantry_action_t>(self(inst), "on_accept", [&] {
        return self(inst).on_accept(scope_ctx, Connection(self(inst).host().api(), c), fd, conn_ctx);
      });
    else
      return (void)inst, (void)scope_ctx, (void)c, (void)fd, (void)conn_ctx, GANTRY_CONTINUE;
  }
  static gantry_action_t on_handshake(void* inst, gantry_conn_t* c, void* conn_ctx) noexcept {
    if constexpr (has_on_handshake<M>::value)
      return guard_hook<gantry_action_t>(self(inst), "on_handshake", [&] {
        return self(inst).on_handshake(Connection(self(inst).host().api(), c), conn_ctx);
      });
    else
      return (void)inst, (void)c, (void)conn_ctx, GANTRY_CONTINUE;
  }
  static gantry_action_t on_request_headers(void* inst, gantry_stream_t* s, void* conn_ctx,
                                            void** stream_ctx) noexcept {
    if constexpr (has_on_request_headers<M>::value)
      return guard_hook<gantry_action_t>(self(inst), "on_request_headers", [&] {
        Request req(self(inst).host().api(), s);
        if constexpr (std::is_invocable_v<decltype(&M::on_request_headers), M&, Request&, void*, void**>)
          return self(inst).on_request_headers(req, conn_ctx, stream_ctx);
        else
          return self(inst).on_request_headers(req);
      });
    else
      return (void)inst, (void)s, (void)conn_ctx, (void)stream_ctx, GANTRY_CONTINUE;
  }
  static gantry_action_t on_upgrade(void* inst, gantry_stream_t* s, void* stream_ctx,
                                    gantry_str_t protocol) noexcept {
    if constexpr (has_on_upgrade<M>::value)
      return guard_hook<gantry_action_t>(self(inst), "on_upgrade", [&] {
        Request req(self(inst).host().api(), s);
        if constexpr (std::is_invocable_v<decltype(&M::on_upgrade), M&, Request&, void*, std::string_view>)
          return self(inst).on_upgrade(req, stream_ctx, to_sv(protocol));
        else
          return self(inst).on_upgrade(req, to_sv(protocol));
      });
    else
      return (void)inst, (void)s, (void)stream_ctx, (void)protocol, GANTRY_DECLINED;
  }
  static gantry_action_t on_connect_upstream(void* inst, void* scope_ctx, gantry_stream_t* s,
                                             int32_t fd, size_t pending) noexcept {
    if constexpr (has_on_connect_upstream<M>::value)
      return guard_hook<gantry_action_t>(self(inst), "on_connect_upstream", [&] {
        Request req(self(inst).host().api(), s);
        return self(inst).on_connect_upstream(scope_ctx, req, fd, pending);
      });
    else
      return (void)inst, (void)scope_ctx, (void)s, (void)fd, (void)pending, GANTRY_CONTINUE;
  }
  static gantry_action_t on_response_headers(void* inst, gantry_stream_t* s,
                                             void* stream_ctx) noexcept {
    if constexpr (has_on_response_headers<M>::value)
      return guard_hook<gantry_action_t>(self(inst), "on_response_headers", [&] {
        Request req(self(inst).host().api(), s);
        if constexpr (std::is_invocable_v<decltype(&M::on_response_headers), M&, Request&, void*>)
          return self(inst).on_response_headers(req, stream_ctx);
        else
          return self(inst).on_response_headers(req);
      });
    else
      return (void)inst, (void)s, (void)stream_ctx, GANTRY_CONTINUE;
  }
  static gantry_action_t on_tunnel_data(void* inst, gantry_stream_t* s, void* stream_ctx,
                                        uint32_t dir, const uint8_t* p, size_t n) noexcept {
    if constexpr (has_on_tunnel_data<M>::value)
      return guard_hook<gantry_action_t>(self(inst), "on_tunnel_data", [&] {
        Request req(self(inst).host().api(), s);
        return self(inst).on_tunnel_data(req, stream_ctx, dir, p, n);
      });
    else
      return (void)inst, (void)s, (void)stream_ctx, (void)dir, (void)p, (void)n, GANTRY_CONTINUE;
  }
  static void on_log(void* inst, gantry_stream_t* s, void* stream_ctx,
                     const gantry_log_record_t* r) noexcept {
    if constexpr (has_on_log<M>::value)
      guard_hook<void>(self(inst), "on_log", [&] {
        Request req(self(inst).host().api(), s);
        if constexpr (std::is_invocable_v<decltype(&M::on_log), M&, Request&, void*,
                                          const gantry_log_record_t&>)
          self(inst).on_log(req, stream_ctx, *r);
        else
          self(inst).on_log(req, *r);
      });
    else
      (void)inst, (void)s, (void)stream_ctx, (void)r;
  }
  static void on_stream_end(void* inst, gantry_stream_t* s, void* stream_ctx) noexcept {
    if constexpr (has_on_stream_end<M>::value)
      guard_hook<void>(self(inst), "on_stream_end", [&] {
        Request req(self(inst).host().api(), s);
        if constexpr (std::is_invocable_v<decltype(&M::on_stream_end), M&, Request&, void*>)
          self(inst).on_stream_end(req, stream_ctx);
        else
          self(inst).on_stream_end(req);
      });
    else
      (void)inst, (void)s, (void)stream_ctx;
  }
  static void on_conn_close(void* inst, gantry_conn_t* c, void* conn_ctx) noexcept {
    if constexpr (has_on_conn_close<M>::value)
      guard_hook<void>(self(inst), "on_conn_close", [&] {
        Connection conn(self(inst).host().api(), c);
        if constexpr (std::is_invocable_v<decltype(&M::on_conn_close), M&, Connection, void*>)
          self(inst).on_conn_close(conn, conn_ctx);
        else
          self(inst).on_conn_close(conn);
      });
    else
      (void)inst, (void)c, (void)conn_ctx;
  }

  // A hook is set only if M defines it, so the host's dispatch lists skip
  // this module where it is not interested. scope_new stays set when M has
  // scope keys but no scope_new: the host then gets a NULL context.
  template <bool kHas, typename F>
  static constexpr F pick(F f) { return kHas ? f : nullptr; }

  static constexpr gantry_hooks_t hooks = {
      sizeof(gantry_hooks_t),
      &instance_new,
      &instance_free,
      pick<has_scope_new<M>::value>(&scope_new),
      pick<has_scope_free<M>::value>(&scope_free),
      pick<has_on_listen<M>::value>(&on_listen),
      pick<has_on_accept<M>::value>(&on_accept),
      pick<has_on_handshake<M>::value>(&on_handshake),
      pick<has_on_request_headers<M>::value>(&on_request_headers),
      pick<has_on_upgrade<M>::value>(&on_upgrade),
      pick<has_on_connect_upstream<M>::value>(&on_connect_upstream),
      pick<has_on_response_headers<M>::value>(&on_response_headers),
      pick<has_on_tunnel_data<M>::value>(&on_tunnel_data),
      pick<has_on_log<M>::value>(&on_log),
      pick<has_on_stream_end<M>::value>(&on_stream_end),
      pick<has_on_conn_close<M>::value>(&on_conn_close),
  };

  static constexpr const char* description() {
    if constexpr (has_kDescription<M>::value) return M::kDescription;
    else return "";
  }
  static constexpr uint64_t capabilities() {
    if constexpr (has_kCapabilities<M>::value) return M::kCapabilities;
    else return 0;
  }
  static constexpr const gantry_config_key_t* config_keys() {
    if constexpr (has_kConfigKeys<M>::value) return M::kConfigKeys;
    else return nullptr;
  }
  static constexpr const gantry_transport_t* transport() {
    if constexpr (has_kTransport<M>::value) return M::kTransport;
    else return nullptr;
  }
  static constexpr uint32_t min_host_minor() {
    if constexpr (has_kMinHostMinor<M>::value) return M::kMinHostMinor;
    else return GANTRY_ABI_MINOR;
  }

  // Constant-initialized: nothing runs at dlopen.
  static constexpr gantry_module_desc_t desc = {
      sizeof(gantry_module_desc_t), GANTRY_ABI_MAJOR, GANTRY_ABI_MINOR, min_host_minor(),
      M::kName, M::kVersion, description(), capabilities(), config_keys(), &hooks, transport(),
  };
};

}  // namespace detail
}  // namespace gantry

// Exports the module's entry symbol for class `Class` (one per module).
#define GANTRY_CPP_MODULE(Class) \
  GANTRY_MODULE_ENTRY { return &::gantry::detail::Glue<Class>::desc; }

#endif /* GANTRY_MODULE_HPP */
