#pragma once
// The validated, immutable configuration snapshot. Built by config/loader.cc
// from TOML; read by every worker without locks. Only plain data lives here:
// toml++ stays inside core/config and core/module_loader.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/log_template.h"
#include "gantry/module.h"
#include "net/cidr.h"

namespace gantry::config {

struct SourcePos {
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
  std::string str() const;  // "file:line:col"
};

struct Address {
  std::string text;  // as written, e.g. "127.0.0.1:8080" or "[::1]:443"
  sockaddr_storage sa{};
  socklen_t len = 0;
};

// All durations in milliseconds; 0 means "off" where a comment says so.
struct Timeouts {
  uint64_t client_head = 10000;  // first byte of a request to end of its head (slowloris)
  uint64_t client_idle = 60000;  // keep-alive idle between requests
  uint64_t client_body = 60000;  // inactivity while reading a request body
  uint64_t connect = 5000;       // upstream TCP (and TLS) connect
  uint64_t server = 60000;       // inactivity while waiting for/reading the response
  uint64_t tunnel = 0;           // tunnel idle; 0 = off
  uint64_t client_fin = 30000;   // half-closed tunnel: time the other way may stay open
  uint64_t upstream_idle = 30000;  // pooled idle upstream connection lifetime
  uint64_t per_try = 0;   // one attempt's wait for its response head; 0 = off
  uint64_t request = 0;   // a request's whole wait for a response head, retries included; 0 = off
  uint64_t proxy_header = 5000;    // accept to the end of a PROXY protocol header
};

struct Limits {
  uint32_t max_head_bytes = 16384;   // request head (line + headers)
  uint32_t max_headers = 100;
  uint32_t max_line_bytes = 8000;    // request target, or one header line (like nginx's 8k buffers)
  uint32_t max_response_head_bytes = 16384;  // response head from a backend (line + headers)
  uint32_t max_response_headers = 100;
  uint32_t max_connections = 10000;  // per worker; 0 = unlimited
};

struct ProxyOptions {
  bool x_forwarded_for = true;    // append client address
  bool x_forwarded_proto = true;  // set "http"/"https"
  bool via = false;               // add "Via: 1.1 gantry" (off: like nginx/HAProxy)
};

// HTTP/2 with clients ([http2]): h2 over TLS (ALPN) and h2c with prior
// knowledge (listener `h2c`).
struct Http2 {
  uint32_t max_concurrent_streams = 100;
  uint64_t max_header_list_size = 65536;   // decoded header bytes (RFC 9113 6.5.2)
  uint64_t header_table_size = 4096;       // HPACK dynamic table we allow the client
  uint32_t max_requests_per_connection = 10000;  // then GOAWAY; 0 = no limit
  uint64_t idle_timeout = 180000;          // no stream open for this long: GOAWAY
  uint64_t max_frame_size = 16384;         // largest frame we accept
  uint64_t initial_window_size = 65536;    // per stream, for request bodies
  uint64_t max_buffered = 1048576;         // response bytes held per connection
  uint32_t max_resets_per_second = 200;    // client RST_STREAM (Rapid Reset)
  uint32_t max_control_frames_per_second = 1000;  // PING, SETTINGS, empty DATA
};

// A module's sub-table on a listener/backend ([listener.<module>]), or a tls table.
struct ScopeTable {
  std::string module;  // module name (for tls: the provider name)
  const gantry_cfg_t* table = nullptr;
  SourcePos pos;
};

struct TlsRef {
  std::string provider;  // empty: plain TCP
  const gantry_cfg_t* table = nullptr;
  SourcePos pos;
};

struct Listener {
  std::string name;  // defaults to the bind text
  Address bind;
  int backlog = 511;
  TlsRef tls;
  // Clients come through an L4 balancer that puts a PROXY protocol header
  // (v1 or v2) first; the header is required and names the client.
  bool proxy_protocol = false;
  std::vector<net::Cidr> proxy_protocol_from;  // peers allowed to send it; empty: any
  bool h2c = false;  // plain listener: a client may start HTTP/2 with prior knowledge
  std::vector<ScopeTable> module_scopes;
  SourcePos pos;
};

// [resolver]: how server host names are resolved (core/discovery).
struct Resolver {
  std::vector<std::string> nameservers;  // "ip:port"; empty: /etc/resolv.conf
  uint64_t timeout = 2000;               // per attempt
  uint32_t attempts = 2;
};

struct Server {
  std::string name;  // defaults to the address text
  Address address;   // for a host name: only `text` is set
  // A host name ("svc.example:8080"): resolved by DNS at run time
  // (core/discovery), never while loading.
  std::string resolve_host;
  uint16_t resolve_port = 0;
  uint32_t weight = 1;
  bool backup = false;  // used only when no primary server can take a request
  SourcePos pos;
};

enum class Balance : uint8_t { kRoundRobin, kSourceHash, kCookie, kLeastConn, kRandom, kHash };
// A PROXY protocol header sent first on every connection to a server.
enum class SendProxy : uint8_t { kOff, kV1, kV2 };

struct HealthCheck {
  bool enabled = false;
  std::string path = "/";  // empty: TCP connect only
  uint64_t interval = 2000;
  uint64_t timeout = 1000;
  uint32_t rise = 2;
  uint32_t fall = 3;
};

// What a failed attempt may be retried for (`retry_on`), as bits.
enum RetryOn : uint32_t {
  kRetryConnectFailure = 1u << 0,  // no connection could be made
  kRetryEmptyResponse = 1u << 1,   // the connection died before any response byte
  kRetryJunkResponse = 1u << 2,    // the response head was malformed
  kRetryResponseTimeout = 1u << 3, // no response head within timeouts.per_try
  kRetry502 = 1u << 4,
  kRetry503 = 1u << 5,
  kRetry504 = 1u << 6,
};

// Passive outlier detection ([backend.outlier]).
struct Outlier {
  uint32_t consecutive_5xx = 5;        // 0 = off
  uint64_t base_ejection_time = 30000;  // x the number of ejections so far
  uint64_t max_ejection_time = 300000;
  uint32_t max_ejection_percent = 50;
};

struct Backend {
  std::string name;
  std::vector<Server> servers;
  Balance balance = Balance::kRoundRobin;
  std::string cookie_name = "GANTRYSRV";  // for Balance::kCookie
  uint32_t keepalive = 32;                // idle pooled connections per server per worker
  uint64_t connect_timeout = 0;           // 0: inherit Timeouts::connect
  uint64_t server_timeout = 0;            // 0: inherit Timeouts::server
  uint32_t retries = 2;                   // attempts after the first
  uint32_t retry_on = kRetryConnectFailure | kRetryEmptyResponse;
  uint32_t retry_buffer = 65536;          // request body kept for a replay
  uint32_t retry_budget = 20;             // retries in flight, % of active requests
  uint32_t max_connections = 0;           // requests in flight per server; 0 = no limit
  uint32_t max_queue = 256;               // requests waiting for a server, per worker
  uint64_t queue_timeout = 5000;          // longest wait in that queue
  uint64_t slow_start = 0;                // weight ramp after a server comes back; 0 = off
  uint64_t resolve_interval = 30000;      // re-resolving host-name servers; 0 = once
  std::string hash_key = "uri";           // balance = "hash": uri, header:NAME or cookie:NAME
  HealthCheck health;
  Outlier outlier;
  TlsRef tls;
  std::string tls_server_name;  // SNI sent to servers when tls is set
  SendProxy send_proxy = SendProxy::kOff;
  std::vector<ScopeTable> module_scopes;
  SourcePos pos;
};

struct Respond {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// A core routing rule. All set matchers must match; the first matching rule wins.
struct Route {
  std::string path_prefix;  // empty: any path
  std::string host;         // empty: any host (compared without port, case-insensitively)
  int backend = -1;         // index into Config::backends, or -1 when respond is used
  bool has_respond = false;
  Respond respond;
  SourcePos pos;
};

struct ModuleEntry {
  std::string name;           // unique within a config
  std::string path;           // resolved absolute path of the .so
  const gantry_cfg_t* config = nullptr;  // the entry's `config` table (never null)
  SourcePos pos;
};

// Who the process becomes once its listening sockets exist (top-level
// `user` and `group`). Names are resolved when the config loads, so an
// unknown one is a config error, not a failure at start.
struct RunAs {
  std::string user;   // as written; empty: keep the starting user
  std::string group;  // as written; empty: the user's primary group, or keep
  bool set_uid = false;
  bool set_gid = false;
  uint32_t uid = 0;
  uint32_t gid = 0;
  SourcePos pos;  // of `user`, else of `group`
};

// The admin listener ([admin]): metrics, status page, runtime API. Off
// while `bind` is empty.
struct Admin {
  std::string bind;       // as written: "host:port" or an absolute Unix socket path
  bool unix_socket = false;
  Address address;        // when !unix_socket
  std::string token_file;  // resolved path; empty: every change is refused
  bool allow_public = false;
  SourcePos pos;
};

// `[log] access = "syslog:unix:/dev/log"` or "syslog:udp:127.0.0.1:514":
// RFC 5424 messages over a datagram socket.
struct SyslogTarget {
  enum class Kind : uint8_t { kNone, kUnix, kUdp } kind = Kind::kNone;
  std::string path;  // kUnix
  Address address;   // kUdp
};

struct Config {
  std::string file;  // path of the main config file
  std::string dir;   // its directory
  uint32_t workers = 0;  // resolved: never 0
  uint64_t shutdown_timeout = 30000;
  uint64_t hard_stop_after = 0;  // old process after an upgrade; 0: shutdown_timeout
  std::string pid_file;          // empty: none
  std::string access_log = "stdout";  // "stdout", "stderr", "off" or a path
  std::string access_format = "text";  // "text" or "json" (one JSON object per line)
  LogTemplate access_template;  // [log] template; empty: the built-in line
  SyslogTarget access_syslog;   // when access_log = "syslog:..."
  std::string syslog_facility = "local0";
  std::string syslog_tag = "gantry";
  std::string error_log_level = "info";
  std::string modules_dir;
  Timeouts timeouts;
  Limits limits;
  ProxyOptions proxy;
  Resolver resolver;
  Http2 http2;
  Admin admin;
  RunAs run_as;
  std::vector<ModuleEntry> modules;  // in config order = hook order
  std::vector<Listener> listeners;
  std::vector<Backend> backends;
  std::vector<Route> routes;

  int backend_index(std::string_view name) const;  // -1 if none

  // Keeps the parsed TOML document (and so every gantry_cfg_t* above) alive.
  std::shared_ptr<const void> document;
};

}  // namespace gantry::config
