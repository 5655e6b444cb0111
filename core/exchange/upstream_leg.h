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
#include "loop/deadline_clock.h"
#include "upstream/balancer.h"
#include "upstream/outlier.h"
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

class UpstreamLeg final : public upstream::UpstreamEvents, public upstream::SlotWaiter {
 public:
  UpstreamLeg(LegOwner* owner, const runtime::Snapshot& snap, runtime::WorkerContext& wc,
              ExchangeRecord* record, gantry_stream_t* stream);
  ~UpstreamLeg() override {
    drop();
    leave_budget();
    let_go_of_server();
  }
  // start() put the request in the backend's queue (every server at
  // max_connections): the connection comes later, or on_leg_failed(503).
  bool queued() const { return queue_wait_.armed(); }
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

  // A response head the exchange has not passed on was bad (`f` is
  // kJunkResponse) or has a status retry_on names (kStatus): true if another
  // attempt started (the exchange waits for its response), false if the
  // exchange must answer itself. The current connection is closed either way.
  bool retry_response(upstream::Failure f, int status);
  // What the server's attempt came to, for passive outlier detection.
  void observe(upstream::Outcome o, const char* cause);
  // Whether the policy would retry a response with `status` (retry_on,
  // retries left, budget, a replayable request).
  bool may_retry(int status) const;

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

  // Where the request stands in its backend's retry budget.
  enum class Budget : uint8_t { kOut, kActive, kRetrying };

  bool attempt(std::shared_ptr<upstream::Server> server, bool fresh = false);
  void on_slot_free() override;
  static void on_queue_timeout(loop::DeadlineClock::Entry* e);
  void leave_queue();
  void let_go_of_server();
  void retry_or_fail(upstream::Failure f, int status, const char* termination);
  // Another attempt for failure `f`; false: none is left.
  bool retry(upstream::Failure f, int status);
  void give_up(int status, const char* termination);
  void warn_server(const char* fmt, const char* what);
  void enter_budget();
  void leave_budget();
  upstream::BalancerState& balancer() const { return snap_.balancers[wc_.index()][backend_]; }
  bool past_deadline() const;
  upstream::AttemptFacts facts(int status) const;
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
  Budget budget_ = Budget::kOut;
  upstream::Server* slot_ = nullptr;  // the server whose max_connections slot this holds
  // On the clock while queued for a slot.
  struct QueueWait : loop::DeadlineClock::Entry {
    explicit QueueWait(UpstreamLeg* l) : Entry(&UpstreamLeg::on_queue_timeout), leg(l) {}
    UpstreamLeg* leg;
  } queue_wait_{this};
};

}  // namespace gantry::exchange
