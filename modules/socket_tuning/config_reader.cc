#include "config_reader.h"

#include <arpa/inet.h>

#include <climits>
#include <cstring>
#include <string>

namespace socket_tuning {

namespace {

constexpr uint32_t kKeySize = sizeof(gantry_config_key_t);
constexpr uint32_t kL = GANTRY_SCOPE_LISTENER;
constexpr uint32_t kB = GANTRY_SCOPE_BACKEND;

// Listener queue length used for `tcp_fastopen = true`.
constexpr int kDefaultFastopenQueue = 256;
constexpr int64_t kDefaultDeferAcceptMs = 5000;

}  // namespace

// Keys shared by both scopes are declared once per scope so the host checks
// each table against exactly what applies to it.
#define BOTH_SCOPES(scope)                                                                        \
  {kKeySize, scope, "nodelay", GANTRY_CFG_BOOL, 0, "TCP_NODELAY on each connection"},             \
      {kKeySize, scope, "keepalive", GANTRY_CFG_BOOL, 0, "SO_KEEPALIVE on each connection"},      \
      {kKeySize, scope, "keepalive_idle", GANTRY_CFG_DURATION, 0,                                 \
       "TCP_KEEPIDLE: idle time before the first probe (whole seconds)"},                         \
      {kKeySize, scope, "keepalive_interval", GANTRY_CFG_DURATION, 0,                             \
       "TCP_KEEPINTVL: time between probes (whole seconds)"},                                     \
      {kKeySize, scope, "keepalive_count", GANTRY_CFG_INT, 0,                                     \
       "TCP_KEEPCNT: unanswered probes before the connection is dropped"},                        \
      {kKeySize, scope, "user_timeout", GANTRY_CFG_DURATION, 0,                                   \
       "TCP_USER_TIMEOUT: how long sent data may stay unacknowledged"},                           \
      {kKeySize, scope, "send_buffer", GANTRY_CFG_SIZE, 0, "SO_SNDBUF"},                          \
      {kKeySize, scope, "receive_buffer", GANTRY_CFG_SIZE, 0, "SO_RCVBUF"},                       \
      {kKeySize, scope, "ip_tos", GANTRY_CFG_INT, 0, "IP_TOS / IPV6_TCLASS byte (0-255)"},        \
      {kKeySize, scope, "mark", GANTRY_CFG_INT, 0, "SO_MARK for policy routing (CAP_NET_ADMIN)"}

const gantry_config_key_t kConfigKeys[] = {
    {kKeySize, kL, "tcp_smart_accept", GANTRY_CFG_BOOL, 0,
     "TCP_QUICKACK off so the request's ACK rides on the response (default true)"},
    {kKeySize, kL, "defer_accept", GANTRY_CFG_BOOL, 0,
     "TCP_DEFER_ACCEPT: wake accept only once the client has sent data"},
    {kKeySize, kL, "defer_accept_timeout", GANTRY_CFG_DURATION, 0,
     "how long the kernel holds a silent connection (default 5s)"},
    {kKeySize, kL, "tcp_fastopen", GANTRY_CFG_ANY, 0,
     "TCP_FASTOPEN queue length (integer, 0 = off) or true for 256"},
    {kKeySize, kL, "reuseport", GANTRY_CFG_BOOL, 0,
     "SO_REUSEPORT; always on, the core opens one socket per worker"},
    {kKeySize, kL, "backlog", GANTRY_CFG_INT, 0,
     "not here: set `backlog` on the [[listener]] itself"},
    BOTH_SCOPES(kL),
    {kKeySize, kB, "tcp_smart_connect", GANTRY_CFG_BOOL, 0,
     "TCP_QUICKACK off before connect() so the handshake's last ACK carries the request "
     "(default true)"},
    {kKeySize, kB, "tcp_fastopen", GANTRY_CFG_BOOL, 0, "TCP_FASTOPEN_CONNECT to the servers"},
    {kKeySize, kB, "source", GANTRY_CFG_STRING, 0,
     "local address to connect from, e.g. \"10.0.0.5\" (port chosen at connect)"},
    {kKeySize, kB, "bind_address_no_port", GANTRY_CFG_BOOL, 0,
     "IP_BIND_ADDRESS_NO_PORT with `source` (default true)"},
    BOTH_SCOPES(kB),
    {0, 0, nullptr, 0, 0, nullptr},
};

#undef BOTH_SCOPES

namespace {

// Reads one table with error reporting bound to the host and error sink.
class Reader {
 public:
  Reader(const Module& m, gantry_error_t* err) : host_(m.host), err_(err) {}

  bool fail(const gantry_cfg_t* node, const std::string& msg) {
    host_->error_at(err_, node, GANTRY_ERR_INVAL, msg.c_str());
    return false;
  }

  bool boolean(const gantry_cfg_t* node, const char* key, bool* out) {
    int32_t v = 0;
    if (host_->cfg_bool(node, &v) != GANTRY_OK) return fail(node, std::string(key) + ": expected a boolean");
    *out = v != 0;
    return true;
  }

  bool integer(const gantry_cfg_t* node, const char* key, int64_t lo, int64_t hi, int64_t* out) {
    if (host_->cfg_int(node, out) != GANTRY_OK) return fail(node, std::string(key) + ": expected an integer");
    if (*out < lo || *out > hi) {
      return fail(node, std::string(key) + ": " + std::to_string(*out) + " is outside " +
                            std::to_string(lo) + ".." + std::to_string(hi));
    }
    return true;
  }

  bool duration_ms(const gantry_cfg_t* node, const char* key, int64_t lo, int64_t hi,
                   int64_t* out) {
    if (host_->cfg_duration_ms(node, out) != GANTRY_OK) {
      return fail(node, std::string(key) + ": expected a duration such as \"30s\"");
    }
    if (*out < lo || *out > hi) {
      return fail(node, std::string(key) + ": " + std::to_string(*out) + "ms is outside " +
                            std::to_string(lo) + "ms.." + std::to_string(hi) + "ms");
    }
    return true;
  }

  // Socket options counted in seconds: round up so "1500ms" never becomes 1s.
  bool seconds(const gantry_cfg_t* node, const char* key, int hi_s, int* out) {
    int64_t ms = 0;
    if (!duration_ms(node, key, 1, int64_t{hi_s} * 1000, &ms)) return false;
    *out = static_cast<int>((ms + 999) / 1000);
    return true;
  }

  bool size(const gantry_cfg_t* node, const char* key, int* out) {
    int64_t v = 0;
    if (host_->cfg_size_bytes(node, &v) != GANTRY_OK) {
      return fail(node, std::string(key) + ": expected a size such as \"256k\"");
    }
    // The kernel doubles the value and keeps it in an int.
    if (v < 1024 || v > INT_MAX / 2) {
      return fail(node, std::string(key) + ": " + std::to_string(v) + " is outside 1024.." +
                            std::to_string(INT_MAX / 2));
    }
    *out = static_cast<int>(v);
    return true;
  }

  bool string(const gantry_cfg_t* node, const char* key, std::string* out) {
    gantry_str_t s{};
    if (host_->cfg_string(node, &s) != GANTRY_OK) return fail(node, std::string(key) + ": expected a string");
    out->assign(s.ptr, s.len);
    return true;
  }

  const gantry_host_api_t* host() const { return host_; }

 private:
  const gantry_host_api_t* host_;
  gantry_error_t* err_;
};

// Keys valid in both scopes. Returns false on error; *known = false for a
// key that is not one of them.
bool read_conn_key(Reader& r, const std::string& key, const gantry_cfg_t* v, ConnOptions* c,
                   bool* known) {
  *known = true;
  int64_t n = 0;
  bool b = false;
  int s = 0;
  if (key == "nodelay") {
    if (!r.boolean(v, "nodelay", &b)) return false;
    c->nodelay = b;
  } else if (key == "keepalive") {
    if (!r.boolean(v, "keepalive", &b)) return false;
    c->keepalive = b;
  } else if (key == "keepalive_idle") {
    if (!r.seconds(v, "keepalive_idle", 32767, &s)) return false;  // kernel MAX_TCP_KEEPIDLE
    c->keepalive_idle_s = s;
  } else if (key == "keepalive_interval") {
    if (!r.seconds(v, "keepalive_interval", 32767, &s)) return false;  // MAX_TCP_KEEPINTVL
    c->keepalive_interval_s = s;
  } else if (key == "keepalive_count") {
    if (!r.integer(v, "keepalive_count", 1, 127, &n)) return false;  // MAX_TCP_KEEPCNT
    c->keepalive_count = static_cast<int>(n);
  } else if (key == "user_timeout") {
    if (!r.duration_ms(v, "user_timeout", 0, INT_MAX, &n)) return false;
    c->user_timeout_ms = static_cast<unsigned>(n);
  } else if (key == "send_buffer") {
    if (!r.size(v, "send_buffer", &s)) return false;
    c->send_buffer = s;
  } else if (key == "receive_buffer") {
    if (!r.size(v, "receive_buffer", &s)) return false;
    c->receive_buffer = s;
  } else if (key == "ip_tos") {
    if (!r.integer(v, "ip_tos", 0, 255, &n)) return false;
    c->ip_tos = static_cast<int>(n);
  } else if (key == "mark") {
    if (!r.integer(v, "mark", 0, UINT32_MAX, &n)) return false;
    c->mark = static_cast<uint32_t>(n);
  } else {
    *known = false;
  }
  return true;
}

bool parse_source(const std::string& text, BackendOptions* b) {
  std::string host = text;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto* v4 = reinterpret_cast<sockaddr_in*>(&b->source);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&b->source);
  std::memset(&b->source, 0, sizeof b->source);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    b->source_len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    b->source_len = sizeof(sockaddr_in6);
  } else {
    return false;
  }
  b->has_source = true;
  return true;
}

bool read_listener_key(Reader& r, const std::string& key, const gantry_cfg_t* v,
                       ListenerOptions* l, bool* defer_set, const gantry_cfg_t** timeout_node) {
  bool b = false;
  int64_t n = 0;
  if (key == "tcp_smart_accept") {
    if (!r.boolean(v, "tcp_smart_accept", &b)) return false;
    l->smart_accept = b;
  } else if (key == "defer_accept") {
    if (!r.boolean(v, "defer_accept", &b)) return false;
    *defer_set = b;
  } else if (key == "defer_accept_timeout") {
    *timeout_node = v;
  } else if (key == "tcp_fastopen") {
    if (r.host()->cfg_type(v) == GANTRY_CFG_BOOL) {
      if (!r.boolean(v, "tcp_fastopen", &b)) return false;
      l->fastopen_queue = b ? kDefaultFastopenQueue : 0;
    } else {
      if (!r.integer(v, "tcp_fastopen", 0, 65535, &n)) return false;
      l->fastopen_queue = static_cast<int>(n);
    }
  } else if (key == "reuseport") {
    if (!r.boolean(v, "reuseport", &b)) return false;
    if (!b) {
      return r.fail(v, "reuseport: cannot be turned off: the core opens one listening socket per "
                       "worker on the same address with SO_REUSEPORT");
    }
  } else if (key == "backlog") {
    return r.fail(v, "backlog: the core calls listen(), so the accept queue is set on the "
                     "[[listener]] itself (backlog = N); `gantry doctor` checks it against "
                     "net.core.somaxconn");
  } else {
    bool known = false;
    if (!read_conn_key(r, key, v, &l->conn, &known)) return false;
    if (!known) return r.fail(v, key + ": not a listener option of socket_tuning");
  }
  return true;
}

bool read_backend_key(Reader& r, const std::string& key, const gantry_cfg_t* v, BackendOptions* b,
                      const gantry_cfg_t** no_port_node) {
  bool flag = false;
  if (key == "tcp_smart_connect") {
    if (!r.boolean(v, "tcp_smart_connect", &flag)) return false;
    b->smart_connect = flag;
  } else if (key == "tcp_fastopen") {
    if (!r.boolean(v, "tcp_fastopen", &flag)) return false;
    b->fastopen = flag;
  } else if (key == "source") {
    std::string text;
    if (!r.string(v, "source", &text)) return false;
    if (!parse_source(text, b)) {
      return r.fail(v, "source: \"" + text + "\" is not an IPv4 or IPv6 address (no port: the "
                       "kernel picks it at connect)");
    }
  } else if (key == "bind_address_no_port") {
    if (!r.boolean(v, "bind_address_no_port", &flag)) return false;
    b->bind_address_no_port = flag;
    *no_port_node = v;
  } else {
    bool known = false;
    if (!read_conn_key(r, key, v, &b->conn, &known)) return false;
    if (!known) return r.fail(v, key + ": not a backend option of socket_tuning");
  }
  return true;
}

// Sub-keys of keepalive without keepalive = true would silently do nothing.
bool check_keepalive(Reader& r, const gantry_cfg_t* table, const ConnOptions& c) {
  bool has_sub = c.keepalive_idle_s || c.keepalive_interval_s || c.keepalive_count;
  if (has_sub && !c.keepalive.value_or(false)) {
    const gantry_cfg_t* at = r.host()->cfg_get(table, "keepalive");
    return r.fail(at != nullptr ? at : table,
                  "keepalive_idle/keepalive_interval/keepalive_count need keepalive = true");
  }
  return true;
}

}  // namespace

gantry_status_t read_scope(const Module& m, uint32_t scope, const gantry_cfg_t* table, Scope* out,
                           gantry_error_t* err) {
  Reader r(m, err);
  const gantry_host_api_t* host = m.host;
  out->scope = scope;
  bool defer = false;
  const gantry_cfg_t* timeout_node = nullptr;
  const gantry_cfg_t* no_port_node = nullptr;
  size_t n = host->cfg_size(table);
  for (size_t i = 0; i < n; ++i) {
    gantry_str_t k{};
    const gantry_cfg_t* v = host->cfg_at(table, i, &k);
    std::string key(k.ptr, k.len);
    bool ok = scope == GANTRY_SCOPE_LISTENER
                  ? read_listener_key(r, key, v, &out->listener, &defer, &timeout_node)
                  : read_backend_key(r, key, v, &out->backend, &no_port_node);
    if (!ok) return GANTRY_ERR_INVAL;
  }
  if (scope == GANTRY_SCOPE_LISTENER) {
    if (timeout_node != nullptr && !defer) {
      r.fail(timeout_node, "defer_accept_timeout: needs defer_accept = true");
      return GANTRY_ERR_INVAL;
    }
    if (defer) {
      int s = static_cast<int>(kDefaultDeferAcceptMs / 1000);
      if (timeout_node != nullptr && !r.seconds(timeout_node, "defer_accept_timeout", 3600, &s)) {
        return GANTRY_ERR_INVAL;
      }
      out->listener.defer_accept_s = s;
    }
    if (!check_keepalive(r, table, out->listener.conn)) return GANTRY_ERR_INVAL;
  } else {
    if (no_port_node != nullptr && !out->backend.has_source) {
      r.fail(no_port_node, "bind_address_no_port: only means something with `source`");
      return GANTRY_ERR_INVAL;
    }
    if (!check_keepalive(r, table, out->backend.conn)) return GANTRY_ERR_INVAL;
  }
  return GANTRY_OK;
}

}  // namespace socket_tuning
