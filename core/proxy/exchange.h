#pragma once
// One request/response exchange: module hooks, routing, the upstream
// connection, streaming both bodies, and, after a 101, the tunnel.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "http/message.h"
#include "http/parser.h"
#include "gantry/module.h"
#include "proxy/handles.h"
#include "proxy/tunnel_clock.h"
#include "util/arena.h"

namespace gantry::proxy {

class ClientSession;
class UpstreamConn;
struct Snapshot;

class Exchange final : public gantry_stream, public http::ParserEvents, public TunnelClock::Entry {
 public:
  // The worker's TunnelClock calls this when the tunnel's deadline passes.
  static void on_tunnel_deadline(TunnelClock::Entry* e);
  explicit Exchange(ClientSession* session);
  ~Exchange() override;

  // The heads and their arena live until the exchange becomes a tunnel
  // (heads_released()); method() and target() stay for the log.
  bool heads_released() const { return http_ == nullptr; }
  Arena& arena() { return http_->arena; }
  http::Head& req() { return http_->req; }
  http::Head& resp() { return http_->resp; }
  std::string_view method() const;
  int status() const { return status_; }
  std::string_view target() const;
  ClientSession* session() { return session_; }

  // Request side, driven by the client session's parser.
  int on_request_head();            // returns the llhttp on_headers_complete code
  void on_request_body(const char* p, size_t n);
  void on_request_end();
  bool request_done() const { return request_done_; }
  void force_close() { close_client_ = true; }
  // Connect a request held back for its body's framing (see after_request_hooks).
  void start_deferred_connect();
  void add_bytes_in(int64_t n) { bytes_in_ += static_cast<uint64_t>(n); }
  bool response_started() const { return response_started_; }

  // Upstream side, driven by UpstreamConn.
  void upstream_connected(int status);
  void upstream_data(const char* p, size_t n);
  void upstream_eof();
  void upstream_error(int err);
  void upstream_timeout();
  void upstream_drained();

  // Client side events while the exchange runs.
  void client_drained();
  void client_gone(const char* cause);  // the client closed or failed: abort
  void client_timeout();                // waiting for request body
  void tunnel_client_data(const char* p, size_t n);
  void tunnel_client_eof();

  // Host API (module) services.
  gantry_status_t route_to(std::string_view backend);
  std::string_view route_backend() const;
  gantry_status_t respond_from_module(int status, const gantry_header_t* headers, size_t n,
                                      std::string_view body);
  void log_note(std::string_view key, std::string_view value);
  void set_balance_key(std::string_view key) {
    if (http_ != nullptr) http_->balance_key.assign(key);
  }
  gantry_status_t resume(int32_t action);
  std::string_view path() const;
  std::string_view query() const;

  // Local answer (errors, respond rules): writes a complete response.
  void respond_local(int status, std::string_view body,
                     const std::vector<std::pair<std::string, std::string>>* headers,
                     const char* termination);

 private:
  // ParserEvents (responses)
  int on_head(http::Head& head) override;
  void on_body(const char* p, size_t n) override;
  void on_message_end() override;

  bool run_request_hooks();   // false: answered/closed by a module or paused
  void after_request_hooks();
  void route_core();
  void check_upgrade();
  void connect_upstream();
  void drop_upstream();
  std::string_view take_cookie(const std::string& name);
  bool try_connect(int server);
  void send_request_head();
  void write_upstream(const char* p, size_t n);
  void write_upstream_chunk(const char* p, size_t n);
  void flush_pending_upstream();
  void send_response_head();
  void flush_response_head();
  void write_client_body(const char* p, size_t n);
  void fail_upstream(int status, const char* termination);
  void maybe_finish();
  void finish();
  void start_tunnel(const char* rest, size_t n);
  void shed_head_state();
  void tunnel_server_data(const char* p, size_t n);
  void tunnel_server_eof();
  void tunnel_close(const char* cause);
  void tunnel_timeout();
  void arm_tunnel_timer(uint64_t ms);
  void run_stream_end_hooks();
  void write_log();
  bool tunnel_hooks(uint32_t dir, const char* p, size_t n);
  int64_t since_start_us() const;
  friend class UpstreamConn;

  enum class BodyMode : uint8_t { kNone, kLength, kChunked, kUntilClose };

  // What the HTTP phase needs and a tunnel does not; released with the heads.
  struct HttpState {
    explicit HttpState(Exchange* ex);
    Arena arena;
    http::Head req;
    http::Head resp;
    http::Parser resp_parser;
    std::string head_wire;   // serialized request head (kept to retry on a new connection)
    std::string pending_up;  // request body bytes waiting for the upstream connection
    std::string balance_key;  // set by modules, for the backend's balancer
  };

  ClientSession* session_;
  const Snapshot& snap_;
  std::unique_ptr<HttpState> http_;
  std::vector<void*> stream_ctx_;
  std::string notes_;
  std::string server_label_;  // "host:port" of the server used, for the log
  std::string tunnel_request_;  // "METHOD target", kept for the log once heads are released
  uint32_t tunnel_method_len_ = 0;
  bool reused_ = false;
  uint64_t declared_length_ = 0;  // request Content-Length as received
  UpstreamConn* up_ = nullptr;
  int backend_ = -1;
  int server_ = -1;
  int tried_server_ = -1;
  int attempts_ = 0;
  size_t next_hook_ = 0;  // position in the request-hook chain (resume continues there)
  int status_ = 0;
  const char* termination_ = "ok";
  BodyMode req_body_ = BodyMode::kNone;
  BodyMode resp_body_ = BodyMode::kNone;  // as sent to the client
  uint64_t start_us_ = 0;
  int64_t t_head_ = -1, t_connect_ = -1, t_response_ = -1;
  uint64_t bytes_in_ = 0, bytes_out_start_ = 0;
  bool request_done_ = false;
  bool response_started_ = false;
  bool response_done_ = false;
  bool upgrade_allowed_ = false;
  bool upgraded_ = false;
  bool close_client_ = false;
  bool upstream_reusable_ = false;
  bool request_sent_ = false;  // head sent to the current upstream connection
  bool body_started_ = false;  // body bytes already went upstream (no retry)
  bool finished_ = false;
  bool paused_ = false;
  bool interim_ = false;       // current response is a 1xx
  bool switching_ = false;     // a 101 was relayed; the tunnel follows
  bool head_request_ = false;
  bool client_eof_in_tunnel_ = false;
  bool server_eof_in_tunnel_ = false;
  bool up_paused_ = false;
  bool set_cookie_ = false;
  bool connect_deferred_ = false;  // chunked body: connect once its framing checked out
  bool resp_head_pending_ = false;  // insert the persistence cookie in the response
  bool in_resp_parse_ = false;
  bool hand_back_pending_ = false;
  void hand_back();
};

}  // namespace gantry::proxy
