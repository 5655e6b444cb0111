#pragma once
// One request's life: module hooks, routing, an upstream connection, the
// request forwarded and the response relayed, or, after a 101, a tunnel.
// The client side (a Downstream) feeds it the request and owns it; the
// upstream room hands it a connection and reports through UpstreamEvents.
// Its place is one Phase; docs/exchange.md draws the diagram.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exchange/downstream.h"
#include "exchange/exchange_record.h"
#include "exchange/http_state.h"
#include "exchange/local_answer.h"
#include "exchange/module_hooks.h"
#include "exchange/request_forwarder.h"
#include "exchange/response_relay.h"
#include "exchange/tunnel.h"
#include "exchange/upstream_leg.h"
#include "http/request_checks.h"
#include "http/serializer.h"
#include "module_loader/handles.h"
#include "runtime/snapshot.h"
#include "runtime/worker_context.h"
#include "util/arena.h"

namespace gantry::exchange {

class Exchange final : public gantry_stream,
                       public LegOwner,
                       public RelayEvents,
                       public TunnelOwner {
 public:
  enum class Phase : uint8_t {
    kHead,        // the request head is arriving
    kHooks,       // request hooks, upgrade checks, routing
    kPaused,      // a module paused the hook chain; resume() goes on
    kDeferred,    // routed; connecting waits until the rest of the read parsed
    kConnecting,  // waiting for a fresh upstream connection
    kSent,        // the request is on its way; no response head yet
    kRelaying,    // the response head went to the client; its body follows
    kResponded,   // the response is complete; the request may still arrive
    kTunnel,      // after a 101: bytes both ways
    kFinished,    // logged and handed back
  };
  // Whether the client connection can take another request afterwards.
  enum class ClientFate : uint8_t { kKeepAlive, kClose };

  Exchange(Downstream* down, const runtime::Snapshot& snap, runtime::WorkerContext& wc);
  ~Exchange() override;
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  Phase phase() const { return phase_; }
  // A final response (or a tunnel) reached the client.
  bool answered() const { return phase_ >= Phase::kRelaying; }

  // --- the request, fed by the downstream --------------------------------
  // Heads and their arena live until the exchange becomes a tunnel.
  bool heads_released() const { return http_ == nullptr; }
  http::Head& request() { return http_->req; }
  http::Head& response() { return http_->resp; }
  Arena& arena() { return http_->arena; }
  void count_bytes_in(int64_t n) { record_.bytes_in += n; }
  // 0 to go on, or the status to refuse the request with.
  int on_request_head(const http::RequestFraming& framing, bool wants_upgrade);
  void on_request_body(const char* p, size_t n);
  void on_request_end();
  // Everything that arrived with the head was parsed (see kDeferred).
  void on_input_settled();
  void on_downstream_drained();
  void on_client_gone(const char* cause);
  void on_client_timeout();
  void on_tunnel_client_data(const char* p, size_t n) { tunnel_->from_client(p, n); }
  void on_tunnel_client_eof() { tunnel_->client_eof(); }
  // Refuse the request (a framing error, a timeout): answer and close.
  void refuse(int status, const char* termination);

  // --- services for modules (host API) -----------------------------------
  std::string_view method() const;
  std::string_view target() const;
  std::string_view path() const;
  std::string_view query() const;
  int status() const { return record_.status; }
  gantry_conn_t* conn_handle() const { return down_->client().handle; }
  gantry_status_t route_to(std::string_view backend);
  gantry_status_t route_to_index(int32_t backend);
  gantry_status_t tunnel_send(uint32_t direction, const char* p, size_t n);
  std::string_view route_backend() const;
  LogContext log_context();
  gantry_status_t respond(int status, const gantry_header_t* headers, size_t n,
                          std::string_view body);
  void log_note(std::string_view key, std::string_view value) { record_.note(key, value); }
  void set_balance_key(std::string_view key);
  gantry_status_t resume(int32_t action);

 private:
  // LegOwner
  void on_leg_ready(net::Conn* c) override;
  void on_leg_data(const char* p, size_t n) override;
  bool on_leg_eof() override;
  void on_leg_failed(int status, const char* termination) override;
  void on_leg_drained() override { down_->resume_request(); }
  // RelayEvents
  bool on_response_head() override;
  // TunnelOwner
  bool observe(uint32_t dir, const char* p, size_t n) override;
  void tunnel_ended(const char* cause) override;

  void run_request_hooks();
  bool check_upgrade();
  void answer_for_modules(int fallback_status, const char* termination);
  void after_hooks();
  void connect();
  void response_complete(bool upstream_clean);
  void start_tunnel(const char* rest, size_t n);
  bool retry_response(upstream::Failure f, int status);
  void respond_local(int status, std::string_view body,
                     const std::vector<std::pair<std::string, std::string>>* headers,
                     const char* termination);
  void maybe_finish();
  void finish();
  const config::Backend& backend() const { return snap_.cfg->backends[backend_]; }
  net::Conn* upstream() const { return leg_.conn(); }

  Downstream* down_;
  const runtime::Snapshot& snap_;
  runtime::WorkerContext& wc_;
  HttpStatePtr http_;  // released at the switch to a tunnel
  std::unique_ptr<Tunnel> tunnel_;
  ModuleHooks hooks_;
  ExchangeRecord record_;
  UpstreamLeg leg_;
  std::string request_line_;  // "METHOD target", kept for the log once heads go
  uint32_t method_len_ = 0;
  int backend_ = -1;
  Phase phase_ = Phase::kHead;
  enum class Input : uint8_t { kHead, kBody, kComplete } input_ = Input::kHead;
  enum class Upgrade : uint8_t { kNone, kAsked } wants_upgrade_ = Upgrade::kNone;
  ClientFate fate_ = ClientFate::kKeepAlive;
  int retry_status_ = 0;  // a response head refused so that another server is tried
};

}  // namespace gantry::exchange
