#pragma once
// The parsed form of a [listener.socket_tuning] or [backend.socket_tuning]
// table. An unset std::optional means "leave the kernel's (or the core's)
// choice alone": the module only touches what the operator asked for, plus
// the few documented defaults (smart accept/connect, reuseport).
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

namespace socket_tuning {

// Options that make sense on any connected socket: an accepted client
// connection (listener scope) or a connection to a server (backend scope).
struct ConnOptions {
  std::optional<bool> nodelay;
  std::optional<bool> keepalive;
  std::optional<int> keepalive_idle_s;      // TCP_KEEPIDLE
  std::optional<int> keepalive_interval_s;  // TCP_KEEPINTVL
  std::optional<int> keepalive_count;       // TCP_KEEPCNT
  std::optional<unsigned> user_timeout_ms;  // TCP_USER_TIMEOUT
  std::optional<int> ip_tos;                // IP_TOS / IPV6_TCLASS
  std::optional<uint32_t> mark;             // SO_MARK
  std::optional<int> send_buffer;           // SO_SNDBUF (the kernel doubles it)
  std::optional<int> receive_buffer;        // SO_RCVBUF (the kernel doubles it)
};

struct ListenerOptions {
  bool smart_accept = true;               // TCP_QUICKACK off: the request's ACK rides on the response
  std::optional<int> defer_accept_s;      // TCP_DEFER_ACCEPT, seconds; unset: off
  std::optional<int> fastopen_queue;      // TCP_FASTOPEN queue length; 0: off
  bool reuseport = true;                  // SO_REUSEPORT (the core needs it for its workers)
  ConnOptions conn;
};

struct BackendOptions {
  bool smart_connect = true;              // TCP_QUICKACK off before connect() when bytes wait
  bool fastopen = false;                  // TCP_FASTOPEN_CONNECT
  bool has_source = false;
  sockaddr_storage source{};              // bind() before connect(), port 0
  socklen_t source_len = 0;
  bool bind_address_no_port = true;       // IP_BIND_ADDRESS_NO_PORT with a source
  ConnOptions conn;
};

// Listening sockets seen in on_listen. TCP_QUICKACK set before listen() is
// wiped by listen() itself (the kernel re-initialises the delayed-ACK state),
// so smart accept is re-applied to these sockets once they listen, from the
// first accepts; accepted sockets then inherit it.
struct ListenFds {
  std::mutex mu;
  std::vector<int> pending;               // not yet seen listening
  std::atomic<bool> all_done{true};
};

// What scope_new returns: one per listener or backend with a table.
struct Scope {
  uint32_t scope = 0;  // gantry_scope_t
  ListenerOptions listener;
  BackendOptions backend;
  ListenFds listen_fds;
  std::atomic<bool> runtime_error_logged{false};  // one log line per scope, not per connection
};

}  // namespace socket_tuning
