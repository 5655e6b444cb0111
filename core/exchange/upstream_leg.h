#pragma once
// The server side of one exchange: which server, which connection, and what
// to do when a connection fails before the response began (another attempt,
// as the retry policy says, or give up with a status). The exchange sees
// only a connection that is ready, the server's bytes, and failures that
// are final.
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exchange/exchange_record.h"
#include "exchange/request_forwarder.h"
#include "runtime/snapshot.h"
#include "runtime/worker_context.h"
#include "upstream/retry_policy.h"
#include "upstream/selector.h"
#include "upstream/upstream_events.h"

namespace gantry::exchange {

class LegOwner {
 public:
  virtual ~LegOwner() = default;
  // A connection is up (fresh or pooled): the request may flow.
  virtual void on_leg_ready(net::Conn* c) = 0;
  virtual void on_leg_data(const char* p, size_t n) = 0;
  // The server closed its side: true if that ended the response (a body
  // read until close) or the exchange dealt with it; false makes it a failure.
  virtual bool on_leg_eof() = 0;
  // No attempt is left: answer `status` (or cut a response already begun).
  virtual void on_leg_failed(int status, const char* termination) = 0;
  virtual void on_leg_drained() = 0;
};

class UpstreamLeg final : public upstream::UpstreamEvents {
 public:
  UpstreamLeg(LegOwner* owner, const runtime::Snapshot& snap, runtime::WorkerContext& wc,
              ExchangeRecord* record, gantry_stream_t* stream);
  ~UpstreamLeg() override { drop(); }
  UpstreamLeg(const UpstreamLeg&) = delete;
  UpstreamLeg& operator=(const UpstreamLeg&) = delete;

  // Choose a server of `backend` and connect; the request is `fwd`. false:
  // no server is up.
  bool start(int backend, const upstream::Affinity& a, RequestForwarder* fwd);
  // A PROXY header for every connection this leg makes (send_proxy).
  void set_proxy_header(std::string h) { proxy_header_ = std::move(h); }
  // A server picked for a client without a (valid) stickiness cookie: the
  // response tells the client, or null.
  const upstream::Server* cookie_server() const { return cookie_server_; }
  net::Conn* conn() const { return up_ != nullptr ? up_->conn() : nullptr; }
  const std::string& server_name() const { return up_->server_name(); }

  // The response is over: the connection goes back to the pool if it can.
  void release(bool reusable);
  // A 101: the tunnel takes the connection.
  upstream::UpstreamConn* hand_over();
  void drop();

 private:
  enum class Stage : uint8_t { kIdle, kConnecting, kConnected };

  void on_upstream_ready() override;
  void on_upstream_connect_failed(int err) override;
  void on_upstream_data(const char* p, size_t n) override;
  void on_upstream_eof() override {
    if (!owner_->on_leg_eof()) on_upstream_error(UV_EOF);
  }
  void on_upstream_error(int err) override;
  void on_upstream_timeout() override;
  void on_upstream_drained() override { owner_->on_leg_drained(); }

  bool attempt(std::shared_ptr<upstream::Server> server);
  void retry_or_fail(upstream::Failure f, int status, const char* termination);
  void connected();
  void arm_server_timer();
  const config::Backend& backend() const { return snap_.cfg->backends[backend_]; }

  LegOwner* owner_;
  const runtime::Snapshot& snap_;
  runtime::WorkerContext& wc_;
  ExchangeRecord* record_;
  gantry_stream_t* stream_;  // what the modules' connect hooks see
  RequestForwarder* fwd_ = nullptr;
  upstream::UpstreamConn* up_ = nullptr;
  int backend_ = -1;
  std::shared_ptr<upstream::Server> server_;  // held: a removed server lives on while used
  const upstream::Server* cookie_server_ = nullptr;
  std::vector<const upstream::Server*> tried_;  // this request's attempts, for redispatch
  std::string proxy_header_;
  Stage stage_ = Stage::kIdle;
};

}  // namespace gantry::exchange
