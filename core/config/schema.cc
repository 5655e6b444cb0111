// The tables of the core's config keys. Each entry: name, type, default,
// one line of documentation, then the range (or enum values) and where the
// value goes. docs/config.md shows these lines; `gantry config-keys
// --markdown docs/config.md` regenerates its tables after a change here.
//
// Ranges are what a demanding operator might want, and no more: every
// duration is at most 24 hours and every size at most 64 MiB, so no sum or
// product the proxy makes with them can overflow.
#include "config/schema.h"

#include "config/loader_parts.h"

namespace gantry::config::schema {

// Key arrays are constexpr and so local to this file; the tables built from
// them are declared in schema.h.
using namespace config::detail;  // the readers of loader_parts.h

constexpr Range kTimeout{0, 24 * kHour};
constexpr Range kNonEmpty{1, kNoLimit};

constexpr std::string_view kLevels[] = {"debug", "info", "warn", "error"};
constexpr std::string_view kAccessFormats[] = {"text", "json"};
constexpr std::string_view kFacilities[] = {
    "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",  "local0", "local1", "local2", "local3",
    "local4", "local5", "local6", "local7"};
constexpr std::string_view kBalances[] = {"roundrobin", "source", "cookie", "leastconn",
                                          "random",     "hash"};
constexpr std::string_view kSendProxy[] = {"off", "v1", "v2"};
static_assert(static_cast<int>(SendProxy::kOff) == 0 && static_cast<int>(SendProxy::kV1) == 1 &&
                  static_cast<int>(SendProxy::kV2) == 2,
              "kSendProxy follows the order of SendProxy");
static_assert(static_cast<int>(Balance::kRoundRobin) == 0 &&
                  static_cast<int>(Balance::kSourceHash) == 1 &&
                  static_cast<int>(Balance::kCookie) == 2 &&
                  static_cast<int>(Balance::kLeastConn) == 3 &&
                  static_cast<int>(Balance::kRandom) == 4 &&
                  static_cast<int>(Balance::kHash) == 5,
              "kBalances follows the order of Balance");

constexpr Key<Config> kLogKeys[] = {
    {{"access", Type::kString, lit(R"("stdout")"),
      "Access log: `\"stdout\"`, `\"stderr\"`, `\"off\"`, a file path (reopened on SIGUSR1), or "
      "syslog (RFC 5424 over a datagram socket): `\"syslog:unix:/dev/log\"`, "
      "`\"syslog:udp:127.0.0.1:514\"`.",
      kNonEmpty},
     reader(read_access_log)},
    {{"level", Type::kEnum, lit(R"("info")"), "Error log level.", {}, names(kLevels)},
     field<&Config::error_log_level>},
    {{"format",
      Type::kEnum,
      lit(R"("text")"),
      "Access log lines: `text` (one line of fields) or `json` (one JSON object per line).",
      {},
      names(kAccessFormats)},
     field<&Config::access_format>},
    {{"template", Type::kString, kNoDefault,
      "With `format = \"text\"`: the line, with variables `$name` or `${name}` (`$$` is a "
      "dollar): time, client, method, target, protocol, status, bytes_in, bytes_out, backend, "
      "server, t_head, t_connect, t_response, t_total (ms, `-` when not reached), termination, "
      "retries, upgraded, reused, notes. Unset: the built-in line.",
      kNonEmpty},
     reader(read_access_template)},
    {{"syslog_facility", Type::kEnum, lit(R"("local0")"), "Facility of syslog messages.", {},
      names(kFacilities)},
     field<&Config::syslog_facility>},
    {{"syslog_tag", Type::kString, lit(R"("gantry")"),
      "APP-NAME of syslog messages (RFC 5424: printable ASCII, at most 48).", Range{1, 48}},
     field<&Config::syslog_tag>},
};
constexpr Table<Config> kLog = table("log", kLogKeys);

constexpr Key<Timeouts> kTimeoutKeys[] = {
    {{"client_head", Type::kDuration, lit(R"("10s")"),
      "From a request's first byte to the end of its head (slowloris guard); `0` = off.", kTimeout},
     field<&Timeouts::client_head>},
    {{"client_idle", Type::kDuration, lit(R"("60s")"),
      "Keep-alive idle time between requests; `0` = off.", kTimeout},
     field<&Timeouts::client_idle>},
    {{"client_body", Type::kDuration, lit(R"("60s")"),
      "Inactivity while reading a request body; `0` = off.", kTimeout},
     field<&Timeouts::client_body>},
    {{"connect", Type::kDuration, lit(R"("5s")"),
      "Upstream TCP (and TLS) connect; `0` = off (the kernel's limit applies).", kTimeout},
     field<&Timeouts::connect>},
    {{"server", Type::kDuration, lit(R"("60s")"),
      "Inactivity while waiting for or reading a response; `0` = off.", kTimeout},
     field<&Timeouts::server>},
    {{"tunnel", Type::kDuration, lit("0"), "Idle time of a tunnel (WebSocket); `0` = off.",
      kTimeout},
     field<&Timeouts::tunnel>},
    {{"client_fin", Type::kDuration, lit(R"("30s")"),
      "How long a half-closed tunnel may keep the other direction open; `0` = off.", kTimeout},
     field<&Timeouts::client_fin>},
    {{"upstream_idle", Type::kDuration, lit(R"("30s")"),
      "Lifetime of an idle pooled upstream connection; `0` = until the server closes it.",
      kTimeout},
     field<&Timeouts::upstream_idle>},
    {{"per_try", Type::kDuration, lit("0"),
      "One attempt's wait for its response head; over it the attempt fails as "
      "`response-timeout` (retried if `retry_on` says so); `0` = off.", kTimeout},
     field<&Timeouts::per_try>},
    {{"request", Type::kDuration, lit("0"),
      "Deadline for a response head, all attempts included: no retry starts after it, and "
      "reaching it answers 504; `0` = off.", kTimeout},
     field<&Timeouts::request>},
    {{"proxy_header", Type::kDuration, lit(R"("5s")"),
      "From accepting a connection on a `proxy_protocol` listener to the end of its PROXY "
      "header; `0` = off.",
      kTimeout},
     field<&Timeouts::proxy_header>},
};
constexpr Table<Timeouts> kTimeouts = table("timeouts", kTimeoutKeys);

constexpr Key<Limits> kLimitKeys[] = {
    {{"max_head_size", Type::kSize, lit(R"("16k")"),
      "Largest request head (request line + headers).", Range{kKiB, 64 * kMiB}},
     field<&Limits::max_head_bytes>},
    {{"max_line_size", Type::kSize, lit("8000"),
      "Longest request target or single header line; at most `max_head_size`.",
      Range{256, 64 * kMiB}},
     field<&Limits::max_line_bytes>},
    {{"max_headers", Type::kInt, lit("100"), "Most header fields in a request.", Range{1, 10000}},
     field<&Limits::max_headers>},
    {{"max_response_head_size", Type::kSize, lit(R"("16k")"),
      "Largest response head (status line + headers) a backend may send; over it: 502.",
      Range{kKiB, 64 * kMiB}},
     field<&Limits::max_response_head_bytes>},
    {{"max_response_headers", Type::kInt, lit("100"),
      "Most header fields in a response from a backend; over it: 502.", Range{1, 10000}},
     field<&Limits::max_response_headers>},
    {{"max_connections", Type::kInt, lit("10000"),
      "Client connections per worker; `0` = unlimited.", Range{0, 10000000}},
     field<&Limits::max_connections>},
};
constexpr Table<Limits> kLimits = table("limits", kLimitKeys);

constexpr Key<ProxyOptions> kProxyKeys[] = {
    {{"x_forwarded_for", Type::kBool, lit("true"),
      "Append the client address to `X-Forwarded-For`."},
     field<&ProxyOptions::x_forwarded_for>},
    {{"x_forwarded_proto", Type::kBool, lit("true"),
      "Set `X-Forwarded-Proto` to `http` or `https`."},
     field<&ProxyOptions::x_forwarded_proto>},
    {{"via", Type::kBool, lit("false"), "Add `Via: 1.1 gantry`."}, field<&ProxyOptions::via>},
};
constexpr Table<ProxyOptions> kProxy = table("proxy", kProxyKeys);

constexpr Key<Resolver> kResolverKeys[] = {
    {{"nameservers", Type::kArray, prose("`/etc/resolv.conf`"),
      "Name servers for server host names: `\"ip\"` or `\"ip:port\"` (`\"[v6]:port\"`)."},
     reader(read_nameservers)},
    {{"timeout", Type::kDuration, lit(R"("2s")"), "Wait for one answer before trying again.",
      Range{1, 60000}},
     field<&Resolver::timeout>},
    {{"attempts", Type::kInt, lit("2"), "Tries per lookup and name server.", Range{1, 10}},
     field<&Resolver::attempts>},
};
constexpr Table<Resolver> kResolver = table("resolver", kResolverKeys);
constexpr Key<Http2> kHttp2Keys[] = {
    {{"max_concurrent_streams", Type::kInt, lit("100"),
      "Streams a client may have open at once on one connection.", Range{1, 10000}},
     field<&Http2::max_concurrent_streams>},
    {{"max_header_list_size", Type::kSize, lit(R"("64k")"),
      "Largest decoded header list of a request (names + values + 32 per field).",
      Range{kKiB, 16 * kMiB}},
     field<&Http2::max_header_list_size>},
    {{"header_table_size", Type::kSize, lit("4096"),
      "HPACK dynamic table size the client may use for its requests.", Range{0, kMiB}},
     field<&Http2::header_table_size>},
    {{"max_requests_per_connection", Type::kInt, lit("10000"),
      "Streams per connection before a GOAWAY asks the client for a new one; `0` = no limit.",
      Range{0, 100000000}},
     field<&Http2::max_requests_per_connection>},
    {{"idle_timeout", Type::kDuration, lit(R"("3m")"),
      "A connection with no open stream this long gets GOAWAY and is closed; `0` = off.",
      kTimeout},
     field<&Http2::idle_timeout>},
    {{"max_frame_size", Type::kSize, lit("16384"), "Largest frame payload the client may send.",
      Range{16384, 16777215}},
     field<&Http2::max_frame_size>},
    {{"initial_window_size", Type::kSize, lit(R"("64k")"),
      "Flow-control window of each stream for request bodies: what a client may send ahead "
      "of the backend taking it.",
      Range{1024, 16 * kMiB}},
     field<&Http2::initial_window_size>},
    {{"max_buffered", Type::kSize, lit(R"("1m")"),
      "Response bytes held per connection for clients that read slowly; above it, backends "
      "are no longer read.",
      Range{64 * kKiB, 64 * kMiB}},
     field<&Http2::max_buffered>},
    {{"max_resets_per_second", Type::kInt, lit("200"),
      "Streams a client may reset per second (Rapid Reset, CVE-2023-44487); past it the "
      "connection ends with GOAWAY ENHANCE_YOUR_CALM.",
      Range{1, 1000000}},
     field<&Http2::max_resets_per_second>},
    {{"max_control_frames_per_second", Type::kInt, lit("1000"),
      "PING, SETTINGS and empty DATA frames a client may send per second before the "
      "connection ends with ENHANCE_YOUR_CALM.",
      Range{1, 1000000}},
     field<&Http2::max_control_frames_per_second>},
};
constexpr Table<Http2> kHttp2 = table("http2", kHttp2Keys);

constexpr Key<Admin> kAdminKeys[] = {
    {{"bind", Type::kString, prose("off"),
      "Admin listener: `\"127.0.0.1:8404\"` or an absolute Unix socket path. Loopback only "
      "unless `allow_public`; taken at start (a reload keeps the running one).",
      kNonEmpty},
     reader(read_admin_bind)},
    {{"token_file", Type::kPath, prose("none (every change is refused)"),
      "File holding the bearer token the runtime API wants for changes.", kNonEmpty},
     field<&Admin::token_file>},
    {{"allow_public", Type::kBool, lit("false"),
      "Allow `bind` on an address that is not loopback."},
     field<&Admin::allow_public>},
};
constexpr Table<Admin> kAdmin = table("admin", kAdminKeys);

constexpr Key<ModuleEntry> kModuleKeys[] = {
    {{"name", Type::kString, kRequired,
      "Unique name: letters, digits, `_`, `-`. Also names the module's sub-tables on listeners "
      "and backends, so it may not be one of their keys.",
      kNonEmpty},
     field<&ModuleEntry::name>},
    {{"path", Type::kString, kRequired,
      "A bare name (`\"acl_hyperscan\"`) means `<modules_dir>/acl_hyperscan.so`; a value with a "
      "`/` is a path relative to the config file. The file must exist.",
      kNonEmpty},
     reader(read_module_path)},
    {{"config", Type::kTable, lit("{}"), "The module's own keys (scope `module`)."},
     reader(read_module_config)},
};
constexpr Table<ModuleEntry> kModule = table("module", kModuleKeys);

constexpr Key<Listener> kListenerTlsKeys[] = {
    {{"provider", Type::kString, kRequired,
      "The transport name of a loaded module (e.g. `\"tls-boringssl\"`).", kNonEmpty},
     field<&Listener::tls, &TlsRef::provider>},
};
constexpr Table<Listener> kListenerTls =
    table("listener.tls", kListenerTlsKeys, Extra::kProviderKeys);

constexpr Key<Listener> kListenerKeys[] = {
    {{"name", Type::kString, prose("the `bind` text"),
      "Unique listener name (logs, `conn_listener()`).", kNonEmpty},
     field<&Listener::name>},
    {{"bind", Type::kAddress, kRequired, "Address to listen on; port 0 lets the kernel choose.",
      Range{0, 65535}},
     field<&Listener::bind>},
    {{"backlog", Type::kInt, lit("511"), "`listen()` backlog.", Range{1, 65535}},
     field<&Listener::backlog>},
    {{"tls", Type::kTable, kNoDefault,
      "Terminates TLS with a transport module (the `listener.tls.*` keys)."},
     reader(read_listener_tls)},
    {{"proxy_protocol", Type::kBool, lit("false"),
      "Every connection starts with a PROXY protocol header (v1 or v2, before TLS) naming the "
      "client; without one it is closed. The client address feeds `X-Forwarded-For`, the log, "
      "source hashing and modules."},
     field<&Listener::proxy_protocol>},
    {{"h2c", Type::kBool, lit("false"),
      "Plain listener: a client may speak HTTP/2 with prior knowledge (RFC 9113 3.3); "
      "HTTP/1.1 goes on working. TLS listeners offer h2 through their `alpn`."},
     field<&Listener::h2c>},
    {{"proxy_protocol_from", Type::kArray, prose("any peer"),
      "Addresses or CIDR prefixes (`\"10.0.0.0/8\"`, `\"::1\"`) allowed to send the PROXY "
      "header; connections from other peers are closed at once."},
     reader(read_proxy_protocol_from)},
};
constexpr Table<Listener> kListener = table("listener", kListenerKeys, Extra::kModuleTables);

constexpr Key<Server> kServerKeys[] = {
    {{"address", Type::kString, kRequired,
      "The server's address: `\"ip:port\"`, `\"[v6]:port\"`, or `\"name:port\"`, whose A and AAAA "
      "records give one server per address (see docs/discovery.md).", kNonEmpty},
     reader(read_server_address)},
    {{"weight", Type::kInt, lit("1"), "Share of requests under `roundrobin`.", Range{1, 256}},
     field<&Server::weight>},
    {{"name", Type::kString, prose("the address"),
      "Identifies the server in balancing cookies and source hashing."},
     field<&Server::name>},
    {{"backup", Type::kBool, lit("false"),
      "Takes requests only when no primary (non-backup) server can."},
     field<&Server::backup>},
};
constexpr Table<Server> kServer = table("backend.servers", kServerKeys);

constexpr Key<HealthCheck> kHealthKeys[] = {
    {{"enabled", Type::kBool, prose("`true` (the table is present)"),
      "Turn checks off without deleting the table."},
     field<&HealthCheck::enabled>},
    {{"path", Type::kString, lit(R"("/")"),
      "HTTP GET path; `\"\"` checks only that a TCP connect succeeds."},
     reader(read_health_path)},
    {{"interval", Type::kDuration, lit(R"("2s")"), "Time between checks of one server.",
      Range{100, kHour}},
     field<&HealthCheck::interval>},
    {{"timeout", Type::kDuration, lit(R"("1s")"), "Time a check may take.", Range{1, kHour}},
     field<&HealthCheck::timeout>},
    {{"rise", Type::kInt, lit("2"), "Consecutive successes that mark a server up.", Range{1, 1000}},
     field<&HealthCheck::rise>},
    {{"fall", Type::kInt, lit("3"), "Consecutive failures that mark a server down.",
      Range{1, 1000}},
     field<&HealthCheck::fall>},
};
constexpr Table<HealthCheck> kHealth = table("backend.health", kHealthKeys);

constexpr Key<Outlier> kOutlierKeys[] = {
    {{"consecutive_5xx", Type::kInt, lit("5"),
      "Consecutive failures (5xx, connect failures, resets, bad heads, timeouts) that eject "
      "a server; `0` = off.", Range{0, 100000}},
     field<&Outlier::consecutive_5xx>},
    {{"base_ejection_time", Type::kDuration, lit(R"("30s")"),
      "Time out of rotation, times the number of the server's ejections so far.",
      Range{100, kHour}},
     field<&Outlier::base_ejection_time>},
    {{"max_ejection_time", Type::kDuration, lit(R"("300s")"), "Cap on one ejection's length.",
      Range{100, 24 * kHour}},
     field<&Outlier::max_ejection_time>},
    {{"max_ejection_percent", Type::kInt, lit("50"),
      "Most of a backend's servers ejected at once, in percent of them (rounded down).", Range{0, 100}},
     field<&Outlier::max_ejection_percent>},
};
constexpr Table<Outlier> kOutlier = table("backend.outlier", kOutlierKeys);

constexpr Key<Backend> kBackendTlsKeys[] = {
    {{"provider", Type::kString, kRequired, "Transport name of a loaded module.", kNonEmpty},
     field<&Backend::tls, &TlsRef::provider>},
    {{"server_name", Type::kString, prose("none"),
      "SNI sent to the servers; the module sees it too."},
     field<&Backend::tls_server_name>},
};
constexpr Table<Backend> kBackendTls = table("backend.tls", kBackendTlsKeys, Extra::kProviderKeys);

constexpr Key<Backend> kBackendKeys[] = {
    {{"name", Type::kString, kRequired, "Unique backend name, used by routes and modules.",
      kNonEmpty},
     field<&Backend::name>},
    {{"servers", Type::kArray, kRequired,
      "Servers: `\"host:port\"` strings or tables (the `backend.servers.*` keys).",
      Range{1, kNoLimit}},
     reader(read_servers)},
    {{"balance",
      Type::kEnum,
      lit(R"("roundrobin")"),
      "`roundrobin` (weighted), `source` (client address hash), `cookie`, `leastconn` "
      "(fewest requests in flight per weight, per worker), `random` (the less busy of two "
      "random picks) or `hash` (consistent hashing of `hash_key`).",
      {},
      names(kBalances)},
     field<&Backend::balance>},
    {{"cookie_name", Type::kString, lit(R"("GANTRYSRV")"),
      "Cookie that pins a client to a server with `balance = \"cookie\"`.", kNonEmpty},
     field<&Backend::cookie_name>},
    {{"keepalive", Type::kInt, lit("32"), "Idle pooled connections kept per server per worker.",
      Range{0, 100000}},
     field<&Backend::keepalive>},
    {{"connect_timeout", Type::kDuration, lit("0"),
      "Overrides `timeouts.connect` for this backend; `0` inherits.", kTimeout},
     field<&Backend::connect_timeout>},
    {{"server_timeout", Type::kDuration, lit("0"),
      "Overrides `timeouts.server` for this backend; `0` inherits.", kTimeout},
     field<&Backend::server_timeout>},
    {{"retries", Type::kInt, lit("2"),
      "Attempts after the first, each on another server when there is one.", Range{0, 10}},
     field<&Backend::retries>},
    {{"retry_on", Type::kArray, lit(R"(["connect-failure", "empty-response"])"),
      "What is retried: `connect-failure`, `empty-response`, `junk-response`, "
      "`response-timeout`, `502`, `503`, `504`."},
     reader(read_retry_on)},
    {{"retry_buffer", Type::kSize, lit(R"("64k")"),
      "Request body kept to replay on a retry; a longer body is never retried.",
      Range{0, 64 * kMiB}},
     field<&Backend::retry_buffer>},
    {{"retry_budget", Type::kInt, lit("20"),
      "Retries in flight at most, as a percent of the backend's active requests per worker "
      "(3 are always allowed).", Range{0, 100}},
     field<&Backend::retry_budget>},
    {{"max_connections", Type::kInt, lit("0"),
      "Requests in flight per server, shared evenly among workers (each gets at least 1); "
      "`0` = no limit.", Range{0, 1000000}},
     field<&Backend::max_connections>},
    {{"max_queue", Type::kInt, lit("256"),
      "Requests each worker keeps waiting while every server is at `max_connections`; "
      "past it: 503.", Range{0, 1000000}},
     field<&Backend::max_queue>},
    {{"queue_timeout", Type::kDuration, lit(R"("5s")"),
      "Longest wait in that queue; then 503 with `Retry-After` (`queue_timeout` in the log).",
      Range{1, kHour}},
     field<&Backend::queue_timeout>},
    {{"slow_start", Type::kDuration, lit("0"),
      "A server back from down or ejected ramps its weight from 1/256 to full over this "
      "time; `0` = off.", kTimeout},
     field<&Backend::slow_start>},
    {{"resolve_interval", Type::kDuration, lit(R"("30s")"),
      "How often servers given by host name are resolved again; `0` = only at start and on "
      "reload.", kTimeout},
     field<&Backend::resolve_interval>},
    {{"hash_key", Type::kString, lit(R"("uri")"),
      "What `balance = \"hash\"` hashes: `uri` (path and query), `header:NAME` or "
      "`cookie:NAME`; a request without it is balanced round robin."},
     reader(read_hash_key)},
    {{"health", Type::kTable, kNoDefault, "Active health checks (the `backend.health.*` keys)."},
     reader(read_health)},
    {{"outlier", Type::kTable, kNoDefault,
      "Passive outlier detection (the `backend.outlier.*` keys); on by default."},
     reader(read_outlier)},
    {{"tls", Type::kTable, kNoDefault, "Re-encrypts to the servers (the `backend.tls.*` keys)."},
     reader(read_backend_tls)},
    {{"send_proxy",
      Type::kEnum,
      lit(R"("off")"),
      "`v1` or `v2`: send a PROXY protocol header with the client's address first on every "
      "server connection; such connections are never reused for another client.",
      {},
      names(kSendProxy)},
     field<&Backend::send_proxy>},
};
constexpr Table<Backend> kBackend = table("backend", kBackendKeys, Extra::kModuleTables);

constexpr Key<Respond> kRespondKeys[] = {
    {{"status", Type::kInt, lit("200"), "Status code.", Range{100, 599}}, field<&Respond::status>},
    {{"headers", Type::kTable, lit("{}"), "Header name = string value."},
     reader(read_respond_headers)},
    {{"body", Type::kString, lit(R"("")"), "Response body."}, field<&Respond::body>},
};
constexpr Table<Respond> kRespond = table("route.respond", kRespondKeys);

constexpr Key<Route> kRouteKeys[] = {
    {{"backend", Type::kString, kNoDefault, "Name of a `[[backend]]` to send the request to."},
     reader(read_route_backend)},
    {{"respond", Type::kTable, kNoDefault,
      "Answer locally instead (the `route.respond.*` keys). Exactly one of `backend` / `respond`."},
     reader(read_respond)},
    {{"path_prefix", Type::kString, prose("any"),
      "Matches paths starting with this; must start with `/`."},
     reader(read_path_prefix)},
    {{"host", Type::kString, prose("any"),
      "Matches the `Host` header, without port, case-insensitively.", kNonEmpty},
     field<&Route::host>},
};
constexpr Table<Route> kRoute = table("route", kRouteKeys);

// Read in this order: modules_dir before [[module]] (bare module names),
// [[module]] before listeners and backends (module sub-tables), backends
// before routes (backend names).
constexpr Key<Config> kTopKeys[] = {
    {{"workers", Type::kInt, prose("number of CPUs (at most 256)"),
      "Worker threads, each with its own event loop and listening sockets.", Range{1, 256}},
     field<&Config::workers>},
    {{"shutdown_timeout", Type::kDuration, lit(R"("30s")"),
      "How long SIGTERM waits for open connections before closing them; `0` = close at once.",
      kTimeout},
     field<&Config::shutdown_timeout>},
    {{"hard_stop_after", Type::kDuration, lit("0"),
      "After a binary upgrade (SIGUSR2), the old process exits this long after it stopped "
      "accepting, cutting what is still open (WebSocket tunnels); `0` = `shutdown_timeout`.",
      kTimeout},
     field<&Config::hard_stop_after>},
    {{"pid_file", Type::kPath, prose("none"),
      "Write the process id here at start (whole, by rename) and remove it at exit; after a "
      "binary upgrade the new process takes it over. A reload keeps the first one.",
      kNonEmpty},
     field<&Config::pid_file>},
    {{"modules_dir", Type::kPath,
      prose("`<dir of the gantry binary>/modules` if it exists, else the install directory "
            "(`<prefix>/lib/gantry/modules`)"),
      "Where bare module names are looked up.", kNonEmpty},
     field<&Config::modules_dir>},
    {{"user", Type::kString, prose("the starting user"),
      "Once the listeners are bound, run as this user (name or id), keeping only "
      "`CAP_NET_BIND_SERVICE`.", kNonEmpty},
     reader(read_user)},
    {{"group", Type::kString, prose("the user's primary group"),
      "Run as this group (name or id).", kNonEmpty},
     reader(read_group)},
    {{"log", Type::kTable, kNoDefault, "Access and error logs (the `log.*` keys)."},
     nested_here<kLog>},
    {{"timeouts", Type::kTable, kNoDefault,
      "Client and upstream timeouts (the `timeouts.*` keys)."},
     nested<kTimeouts, &Config::timeouts>},
    {{"limits", Type::kTable, kNoDefault, "Request size limits (the `limits.*` keys)."},
     reader(read_limits)},
    {{"proxy", Type::kTable, kNoDefault, "Forwarding headers (the `proxy.*` keys)."},
     nested<kProxy, &Config::proxy>},
    {{"resolver", Type::kTable, kNoDefault,
      "DNS for server host names (the `resolver.*` keys)."},
     nested<kResolver, &Config::resolver>},
    {{"http2", Type::kTable, kNoDefault, "HTTP/2 with clients (the `http2.*` keys)."},
     nested<kHttp2, &Config::http2>},
    {{"admin", Type::kTable, kNoDefault,
      "Admin listener: metrics, status page, runtime API (the `admin.*` keys)."},
     reader(read_admin)},
    {{"module", Type::kTables, kNoDefault, "Modules to load, in hook order."},
     reader(read_modules)},
    {{"listener", Type::kTables, kRequired, "Where clients connect; at least one."},
     reader(read_listeners)},
    {{"backend", Type::kTables, kNoDefault, "Named groups of servers."}, reader(read_backends)},
    {{"route", Type::kTables, kNoDefault,
      "Core routing rules; without any, every request goes to the first backend."},
     reader(read_routes)},
};
constexpr Table<Config> kTop = table("top", kTopKeys);

namespace {

template <class T>
TableDoc doc_of(const Table<T>& t) {
  TableDoc d{t.id, t.extra, {}};
  for (const Key<T>& k : t) d.keys.push_back(k.spec);
  return d;
}

}  // namespace

std::vector<TableDoc> all_tables() {
  return {doc_of(kTop),     doc_of(kLog),    doc_of(kTimeouts), doc_of(kLimits),
          doc_of(kProxy),   doc_of(kResolver), doc_of(kHttp2), doc_of(kAdmin),  doc_of(kModule), doc_of(kListener), doc_of(kListenerTls),
          doc_of(kBackend), doc_of(kServer), doc_of(kHealth),   doc_of(kOutlier), doc_of(kBackendTls),
          doc_of(kRoute),   doc_of(kRespond)};
}

std::vector<std::string_view> host_keys() {
  std::vector<std::string_view> out;
  for (const auto& k : kListener) out.push_back(k.spec.name);
  for (const auto& k : kBackend) {
    bool seen = false;
    for (std::string_view n : out) seen = seen || n == k.spec.name;
    if (!seen) out.push_back(k.spec.name);
  }
  return out;
}

std::vector<std::string> tls_host_keys(bool backend) {
  std::vector<std::string> out;
  if (backend) {
    for (const auto& k : kBackendTls) out.emplace_back(k.spec.name);
  } else {
    for (const auto& k : kListenerTls) out.emplace_back(k.spec.name);
  }
  return out;
}

}  // namespace gantry::config::schema
