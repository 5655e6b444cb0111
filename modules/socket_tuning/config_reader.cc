#include "config_reader.h"

#include <arpa/inet.h>

#include <climits>
#include <cstring>
#include <string>

namespace socket_tuning {

namespace {

constexpr gantry_scope_t kL = GANTRY_SCOPE_LISTENER;
constexpr gantry_scope_t kB = GANTRY_SCOPE_BACKEND;

// Listener queue length used for `tcp_fastopen = true`.
constexpr int kDefaultFastopenQueue = 256;
constexpr int64_t kDefaultDeferAcceptMs = 5000;

}  // namespace

// Keys shared by both scopes are declared once per scope so the host checks
// each table against exactly what applies to it.
#define BOTH_SCOPES(scope)                                                                      \
  gantry::key("nodelay", GANTRY_CFG_BOOL, false, "TCP_NODELAY on each connection", scope),      \
      gantry::key("keepalive", GANTRY_CFG_BOOL, false, "SO_KEEPALIVE on each connection", scope), \
      gantry::key("keepalive_idle", GANTRY_CFG_DURATION, false,                                 \
                  "TCP_KEEPIDLE: idle time before the first probe (whole seconds)", scope),     \
      gantry::key("keepalive_interval", GANTRY_CFG_DURATION, false,                             \
                  "TCP_KEEPINTVL: time between probes (whole seconds)", scope),                 \
      gantry::key("keepalive_count", GANTRY_CFG_INT, false,                                     \
                  "TCP_KEEPCNT: unanswered probes before the connection is dropped", scope),    \
      gantry::key("user_timeout", GANTRY_CFG_DURATION, false,                                   \
                  "TCP_USER_TIMEOUT: how long sent data may stay unacknowledged", scope),       \
      gantry::key("send_buffer", GANTRY_CFG_SIZE, false, "SO_SNDBUF", scope),                   \
      gantry::key("receive_buffer", GANTRY_CFG_SIZE, false, "SO_RCVBUF", scope),                \
      gantry::key("ip_tos", GANTRY_CFG_INT, false, "IP_TOS / IPV6_TCLASS byte (0-255)", scope), \
      gantry::key("mark", GANTRY_CFG_INT, false, "SO_MARK for policy routing (CAP_NET_ADMIN)", scope)

const gantry_config_key_t kConfigKeys[] = {
    gantry::key("tcp_smart_accept", GANTRY_CFG_BOOL, false,
                "TCP_QUICKACK off so the request's ACK rides on the response (default true)", kL),
    gantry::key("defer_accept", GANTRY_CFG_BOOL, false,
                "TCP_DEFER_ACCEPT: wake accept only once the client has sent data", kL),
    gantry::key("defer_accept_timeout", GANTRY_CFG_DURATION, false,
                "how long the kernel holds a silent connection (default 5s)", kL),
    gantry::key("tcp_fastopen", GANTRY_CFG_ANY, false,
                "TCP_FASTOPEN queue length (integer, 0 = off) or true for 256", kL),
    gantry::key("reuseport", GANTRY_CFG_BOOL, false,
                "SO_REUSEPORT; always on, the core opens one socket per worker", kL),
    gantry::key("backlog", GANTRY_CFG_INT, false,
                "not here: set `backlog` on the [[listener]] itself", kL),
    BOTH_SCOPES(kL),
    gantry::key("tcp_smart_connect", GANTRY_CFG_BOOL, false,
                "TCP_QUICKACK off before connect() so the handshake's last ACK carries the "
                "request (default true)",
                kB),
    gantry::key("tcp_fastopen", GANTRY_CFG_BOOL, false, "TCP_FASTOPEN_CONNECT to the servers", kB),
    gantry::key("source", GANTRY_CFG_STRING, false,
                "local address to connect from, e.g. \"10.0.0.5\" (port chosen at connect)", kB),
    gantry::key("bind_address_no_port", GANTRY_CFG_BOOL, false,
                "IP_BIND_ADDRESS_NO_PORT with `source` (default true)", kB),
    BOTH_SCOPES(kB),
    gantry::keys_end(),
};

#undef BOTH_SCOPES

namespace {

// Reads one value of the table; a bad one throws gantry::ConfigError at its
// node, with the key's name first.
[[noreturn]] void fail(const gantry::Config& node, const std::string& msg) { node.fail(msg); }

bool boolean(const gantry::Config& node, const char* key) {
  bool v = false;
  if (!node.read(&gantry::Config::as_bool, &v)) fail(node, std::string(key) + ": expected a boolean");
  return v;
}

int64_t integer(const gantry::Config& node, const char* key, int64_t lo, int64_t hi) {
  int64_t v = 0;
  if (!node.read(&gantry::Config::as_int, &v)) fail(node, std::string(key) + ": expected an integer");
  if (v < lo || v > hi) {
    fail(node, std::string(key) + ": " + std::to_string(v) + " is outside " + std::to_string(lo) +
                   ".." + std::to_string(hi));
  }
  return v;
}

int64_t duration_ms(const gantry::Config& node, const char* key, int64_t lo, int64_t hi) {
  int64_t v = 0;
  if (!node.read(&gantry::Config::as_duration_ms, &v))
    fail(node, std::string(key) + ": expected a duration such as \"30s\"");
  if (v < lo || v > hi) {
    fail(node, std::string(key) + ": " + std::to_string(v) + "ms is outside " + std::to_string(lo) +
                   "ms.." + std::to_string(hi) + "ms");
  }
  return v;
}

// Socket options counted in seconds: round up so "1500ms" never becomes 1s.
int seconds(const gantry::Config& node, const char* key, int hi_s) {
  int64_t ms = duration_ms(node, key, 1, int64_t{hi_s} * 1000);
  return static_cast<int>((ms + 999) / 1000);
}

int size(const gantry::Config& node, const char* key) {
  int64_t v = 0;
  if (!node.read(&gantry::Config::as_size_bytes, &v))
    fail(node, std::string(key) + ": expected a size such as \"256k\"");
  // The kernel doubles the value and keeps it in an int.
  if (v < 1024 || v > INT_MAX / 2) {
    fail(node, std::string(key) + ": " + std::to_string(v) + " is outside 1024.." +
                   std::to_string(INT_MAX / 2));
  }
  return static_cast<int>(v);
}

std::string string_value(const gantry::Config& node, const char* key) {
  std::string_view v;
  if (!node.read(&gantry::Config::as_string, &v)) fail(node, std::string(key) + ": expected a string");
  return std::string(v);
}

// Keys valid in both scopes. False for a key that is not one of them.
bool read_conn_key(const std::string& key, const gantry::Config& v, ConnOptions* c) {
  if (key == "nodelay") {
    c->nodelay = boolean(v, "nodelay");
  } else if (key == "keepalive") {
    c->keepalive = boolean(v, "keepalive");
  } else if (key == "keepalive_idle") {
    c->keepalive_idle_s = seconds(v, "keepalive_idle", 32767);  // kernel MAX_TCP_KEEPIDLE
  } else if (key == "keepalive_interval") {
    c->keepalive_interval_s = seconds(v, "keepalive_interval", 32767);  // MAX_TCP_KEEPINTVL
  } else if (key == "keepalive_count") {
    c->keepalive_count = static_cast<int>(integer(v, "keepalive_count", 1, 127));  // MAX_TCP_KEEPCNT
  } else if (key == "user_timeout") {
    c->user_timeout_ms = static_cast<unsigned>(duration_ms(v, "user_timeout", 0, INT_MAX));
  } else if (key == "send_buffer") {
    c->send_buffer = size(v, "send_buffer");
  } else if (key == "receive_buffer") {
    c->receive_buffer = size(v, "receive_buffer");
  } else if (key == "ip_tos") {
    c->ip_tos = static_cast<int>(integer(v, "ip_tos", 0, 255));
  } else if (key == "mark") {
    c->mark = static_cast<uint32_t>(integer(v, "mark", 0, UINT32_MAX));
  } else {
    return false;
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

// What a listener table says beyond single keys: defer_accept_timeout only
// means something with defer_accept.
struct ListenerExtras {
  bool defer = false;
  gantry::Config timeout_node;
};

void read_listener_key(const std::string& key, const gantry::Config& v, ListenerOptions* l,
                       ListenerExtras* x) {
  if (key == "tcp_smart_accept") {
    l->smart_accept = boolean(v, "tcp_smart_accept");
  } else if (key == "defer_accept") {
    x->defer = boolean(v, "defer_accept");
  } else if (key == "defer_accept_timeout") {
    x->timeout_node = v;
  } else if (key == "tcp_fastopen") {
    if (v.type() == GANTRY_CFG_BOOL) {
      l->fastopen_queue = boolean(v, "tcp_fastopen") ? kDefaultFastopenQueue : 0;
    } else {
      l->fastopen_queue = static_cast<int>(integer(v, "tcp_fastopen", 0, 65535));
    }
  } else if (key == "reuseport") {
    if (!boolean(v, "reuseport")) {
      fail(v, "reuseport: cannot be turned off: the core opens one listening socket per "
              "worker on the same address with SO_REUSEPORT");
    }
  } else if (key == "backlog") {
    fail(v, "backlog: the core calls listen(), so the accept queue is set on the "
            "[[listener]] itself (backlog = N); `gantry doctor` checks it against "
            "net.core.somaxconn");
  } else if (!read_conn_key(key, v, &l->conn)) {
    fail(v, key + ": not a listener option of socket_tuning");
  }
}

void read_backend_key(const std::string& key, const gantry::Config& v, BackendOptions* b,
                      gantry::Config* no_port_node) {
  if (key == "tcp_smart_connect") {
    b->smart_connect = boolean(v, "tcp_smart_connect");
  } else if (key == "tcp_fastopen") {
    b->fastopen = boolean(v, "tcp_fastopen");
  } else if (key == "source") {
    std::string text = string_value(v, "source");
    if (!parse_source(text, b)) {
      fail(v, "source: \"" + text + "\" is not an IPv4 or IPv6 address (no port: the "
              "kernel picks it at connect)");
    }
  } else if (key == "bind_address_no_port") {
    b->bind_address_no_port = boolean(v, "bind_address_no_port");
    *no_port_node = v;
  } else if (!read_conn_key(key, v, &b->conn)) {
    fail(v, key + ": not a backend option of socket_tuning");
  }
}

// Sub-keys of keepalive without keepalive = true would silently do nothing.
void check_keepalive(const gantry::Config& table, const ConnOptions& c) {
  bool has_sub = c.keepalive_idle_s || c.keepalive_interval_s || c.keepalive_count;
  if (has_sub && !c.keepalive.value_or(false)) {
    gantry::Config at = table["keepalive"];
    fail(at ? at : table, "keepalive_idle/keepalive_interval/keepalive_count need keepalive = true");
  }
}

}  // namespace

void read_scope(uint32_t scope, const gantry::Config& table, Scope* out) {
  out->scope = scope;
  ListenerExtras extras;
  gantry::Config no_port_node;
  for (size_t i = 0; i < table.size(); ++i) {
    auto [k, v] = table.entry(i);
    std::string key(k);
    if (scope == GANTRY_SCOPE_LISTENER) read_listener_key(key, v, &out->listener, &extras);
    else read_backend_key(key, v, &out->backend, &no_port_node);
  }
  if (scope == GANTRY_SCOPE_LISTENER) {
    if (extras.timeout_node && !extras.defer)
      fail(extras.timeout_node, "defer_accept_timeout: needs defer_accept = true");
    if (extras.defer) {
      int s = static_cast<int>(kDefaultDeferAcceptMs / 1000);
      if (extras.timeout_node) s = seconds(extras.timeout_node, "defer_accept_timeout", 3600);
      out->listener.defer_accept_s = s;
    }
    check_keepalive(table, out->listener.conn);
  } else {
    if (no_port_node && !out->backend.has_source)
      fail(no_port_node, "bind_address_no_port: only means something with `source`");
    check_keepalive(table, out->backend.conn);
  }
}

}  // namespace socket_tuning
