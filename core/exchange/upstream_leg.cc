#include "exchange/upstream_leg.h"

#include <string>

#include "upstream/connector.h"
#include "util/log.h"

namespace gantry::exchange {

UpstreamLeg::UpstreamLeg(LegOwner* owner, const runtime::Snapshot& snap,
                         runtime::WorkerContext& wc, ExchangeRecord* record,
                         gantry_stream_t* stream)
    : owner_(owner), snap_(snap), wc_(wc), record_(record), stream_(stream) {}

bool UpstreamLeg::start(int backend_index, const upstream::Affinity& a, RequestForwarder* fwd) {
  leave_budget();  // a leg serves one request; this is for safety only
  backend_ = backend_index;
  fwd_ = fwd;
  fwd_->set_replay_limit(backend().retry_buffer);
  upstream::Choice c = upstream::choose(balancer(), backend(), a);
  if (c.server == nullptr) {
    if (!balancer().saturated()) return false;
    // Every server that could take it is at max_connections: wait, bounded
    // in number and time, rather than pile onto a server.
    if (!balancer().enqueue(this)) {
      owner_->on_leg_failed(503, "queue_timeout");
      return true;
    }
    wc_.pool.clock()->arm(&queue_wait_, backend().queue_timeout);
    return true;
  }
  if (c.insert_cookie) cookie_server_ = c.server.get();
  enter_budget();
  if (!attempt(std::move(c.server))) retry_or_fail(upstream::Failure::kConnect, 502, "connect_failed");
  return true;
}

void UpstreamLeg::on_slot_free() {
  wc_.pool.clock()->disarm(&queue_wait_);
  std::shared_ptr<upstream::Server> s = upstream::choose_other(balancer(), tried_);
  if (s == nullptr) {
    owner_->on_leg_failed(503, "no_server");
    return;
  }
  enter_budget();
  if (!attempt(std::move(s))) retry_or_fail(upstream::Failure::kConnect, 502, "connect_failed");
}

void UpstreamLeg::on_queue_timeout(loop::DeadlineClock::Entry* e) {
  UpstreamLeg* leg = static_cast<QueueWait*>(e)->leg;
  leg->balancer().dequeue(leg);
  leg->owner_->on_leg_failed(503, "queue_timeout");
}

void UpstreamLeg::leave_queue() {
  if (!queue_wait_.armed()) return;
  wc_.pool.clock()->disarm(&queue_wait_);
  balancer().dequeue(this);
}

// The server's max_connections slot goes back (and may go to a queued request).
void UpstreamLeg::let_go_of_server() {
  if (slot_ == nullptr) return;
  upstream::Server* s = slot_;
  slot_ = nullptr;
  balancer().free_slot(*s);
}

// One try at one server: a pooled connection goes on at once, a new one
// reports through on_upstream_ready / on_upstream_connect_failed.
bool UpstreamLeg::attempt(std::shared_ptr<upstream::Server> server, bool fresh) {
  let_go_of_server();
  server_ = std::move(server);
  balancer().take_slot(*server_);
  slot_ = server_.get();
  tried_.push_back(server_.get());
  const upstream::ConnectTarget& t = server_->target;
  record_->server = server_->address.text;
  record_->server_series = server_->metrics_series;
  record_->t_attempt = record_->since_start();
  record_->t_response = -1;  // this attempt's first response byte
  fwd_->restart();
  upstream::Acquired got = upstream::acquire(wc_.pool, t, this, stream_, fwd_->ready_bytes(),
                                             proxy_header_, fresh);
  up_ = got.conn;
  switch (got.how) {
    case upstream::Acquired::How::kFailed:
      return false;
    case upstream::Acquired::How::kConnecting:
      record_->reused = false;
      stage_ = Stage::kConnecting;
      return true;
    case upstream::Acquired::How::kPooled:
      record_->reused = true;
      connected();
      return true;
  }
  return false;
}

void UpstreamLeg::on_upstream_ready() {
  up_->conn()->start_read();
  connected();
}

void UpstreamLeg::connected() {
  stage_ = Stage::kConnected;
  record_->t_connect = record_->since_start();
  arm_server_timer();
  owner_->on_leg_ready(up_->conn());
}

bool UpstreamLeg::past_deadline() const {
  uint64_t deadline = snap_.cfg->timeouts.request;
  return deadline != 0 && record_->since_start() >= static_cast<int64_t>(deadline * 1000);
}

// Until the response head begins, an attempt waits at most timeouts.per_try,
// and never past the request's deadline; after that, the server timeout
// bounds each silence.
void UpstreamLeg::arm_server_timer() {
  const config::Backend& b = backend();
  const config::Timeouts& to = snap_.cfg->timeouts;
  uint64_t ms = b.server_timeout ? b.server_timeout : to.server;
  if (record_->t_response < 0) {
    if (to.per_try != 0 && (ms == 0 || to.per_try < ms)) ms = to.per_try;
    if (to.request != 0) {
      int64_t left = static_cast<int64_t>(to.request) - record_->since_start() / 1000;
      uint64_t cap = left > 1 ? static_cast<uint64_t>(left) : 1;
      if (ms == 0 || cap < ms) ms = cap;
    }
  }
  up_->arm(ms);
}

void UpstreamLeg::on_upstream_data(const char* p, size_t n) {
  if (record_->t_response < 0) record_->t_response = record_->since_start();
  arm_server_timer();
  owner_->on_leg_data(p, n);
}

// A server that fails every request would otherwise fill the log at the
// request rate: one line a second per worker, with the count of the rest.
void UpstreamLeg::warn_server(const char* fmt, const char* what) {
  uint32_t more = 0;
  if (!server_->warn_due(wc_.index(), upstream::now_ms(), &more)) return;
  std::string line = std::string(fmt) + what;
  if (more > 0) {
    GLOG_WARN("backend %s server %s: %s (%u more like it since the last warning)",
              backend().name.c_str(), server_->name.c_str(), line.c_str(), more);
  } else {
    GLOG_WARN("backend %s server %s: %s", backend().name.c_str(), server_->name.c_str(),
              line.c_str());
  }
}

void UpstreamLeg::observe(upstream::Outcome o, const char* cause) {
  if (server_ != nullptr) upstream::report_outcome(*server_, balancer().set(), backend(), o, cause);
}

void UpstreamLeg::on_upstream_connect_failed(int err) {
  warn_server("connect failed: ", uv_strerror(err));
  observe(upstream::Outcome::kGatewayError, "connect_failed");
  // Idle connections to a server that refuses new ones are likely dead too:
  // a retry must not take one of them.
  wc_.pool.drop(*server_->target.pool_key);
  retry_or_fail(upstream::Failure::kConnect, 502, "connect_failed");
}

void UpstreamLeg::on_upstream_error(int err) {
  const char* termination = err == UV_EOF ? "server_closed" : "server_error";
  if (record_->t_response < 0) {
    // Closed or reset before any response byte: a pooled connection the
    // server dropped as it was reused, or a server that died.
    bool reused = up_->reused();
    if (!reused) {
      warn_server("closed before a response: ", uv_strerror(err));
      observe(upstream::Outcome::kGatewayError, termination);
    }
    retry_or_fail(reused ? upstream::Failure::kReusedConnLost : upstream::Failure::kEmptyResponse,
                  502, termination);
    return;
  }
  observe(upstream::Outcome::kGatewayError, termination);
  drop();
  give_up(502, termination);
}

void UpstreamLeg::on_upstream_timeout() {
  observe(upstream::Outcome::kTimeout,
          stage_ == Stage::kConnecting ? "connect_timeout" : "server_timeout");
  if (stage_ == Stage::kConnecting) {
    warn_server("connect timed out", "");
    retry_or_fail(upstream::Failure::kConnect, 504, "connect_timeout");
    return;
  }
  if (record_->t_response < 0) {
    if (past_deadline()) {
      drop();
      give_up(504, "deadline");
      return;
    }
    retry_or_fail(upstream::Failure::kResponseTimeout, 504, "server_timeout");
    return;
  }
  drop();
  give_up(504, "server_timeout");
}

// Ask the retry policy whether this failure is worth another attempt.
void UpstreamLeg::retry_or_fail(upstream::Failure f, int status, const char* termination) {
  drop();
  if (retry(f, status)) return;
  give_up(status, termination);
}

bool UpstreamLeg::retry_response(upstream::Failure f, int status) {
  drop();
  return retry(f, status);
}

upstream::AttemptFacts UpstreamLeg::facts(int status) const {
  const config::Backend& b = backend();
  upstream::BalancerState& bal = balancer();
  upstream::AttemptFacts facts;
  facts.attempts = static_cast<uint32_t>(tried_.size());
  facts.retries = b.retries;
  facts.retry_on = b.retry_on;
  facts.status = status;
  facts.servers = bal.set().servers.size();
  facts.replayable = fwd_->replayable();
  facts.past_deadline = past_deadline();
  facts.budget_ok = budget_ == Budget::kRetrying || bal.budget.allows(b.retry_budget);
  return facts;
}

bool UpstreamLeg::may_retry(int status) const {
  return upstream::decide_retry(upstream::Failure::kStatus, facts(status)) !=
         upstream::RetryAction::kGiveUp;
}

bool UpstreamLeg::retry(upstream::Failure f, int status) {
  const config::Backend& b = backend();
  upstream::BalancerState& bal = balancer();
  std::shared_ptr<upstream::Server> next;
  bool fresh = false;
  switch (upstream::decide_retry(f, facts(status))) {
    case upstream::RetryAction::kOtherServer:
      next = upstream::choose_other(bal, tried_);
      // Every other server tried: a connection that died in the keep-alive
      // race says nothing against its server, so a new one may go there.
      if (next == nullptr && f == upstream::Failure::kReusedConnLost) {
        next = server_;
        fresh = true;
      }
      break;
    case upstream::RetryAction::kSameServerFresh:
      next = server_;
      fresh = true;
      break;
    case upstream::RetryAction::kGiveUp:
      break;
  }
  if (next == nullptr) return false;
  if (upstream::spends_budget(f) && budget_ == Budget::kActive) {
    ++bal.budget.retrying;
    budget_ = Budget::kRetrying;
  }
  // A client pinned by cookie to the failed server learns its new one.
  if (b.balance == config::Balance::kCookie && next.get() != tried_.front())
    cookie_server_ = next.get();
  ++record_->retries;
  // Counted on the server that failed: that is where the retry came from.
  if (server_ != nullptr && server_->metrics_series != metrics::kNoSeries)
    ++wc_.metrics.at(server_->metrics_series).retries;
  if (attempt(std::move(next), fresh)) return true;
  return retry(upstream::Failure::kConnect, 502);
}

void UpstreamLeg::give_up(int status, const char* termination) {
  leave_budget();
  let_go_of_server();
  owner_->on_leg_failed(status, termination);
}

void UpstreamLeg::enter_budget() {
  if (budget_ != Budget::kOut) return;
  ++balancer().budget.active;
  budget_ = Budget::kActive;
}

void UpstreamLeg::leave_budget() {
  if (budget_ == Budget::kOut) return;
  upstream::RetryBudget& rb = balancer().budget;
  --rb.active;
  if (budget_ == Budget::kRetrying) --rb.retrying;
  budget_ = Budget::kOut;
}

void UpstreamLeg::release(bool reusable) {
  leave_budget();
  let_go_of_server();
  if (up_ == nullptr) return;
  upstream::UpstreamConn* u = up_;
  up_ = nullptr;
  stage_ = Stage::kIdle;
  u->release(reusable);
}

upstream::UpstreamConn* UpstreamLeg::hand_over() {
  leave_budget();
  let_go_of_server();
  upstream::UpstreamConn* u = up_;
  up_ = nullptr;
  stage_ = Stage::kIdle;
  return u;
}

void UpstreamLeg::drop() {
  leave_queue();
  if (up_ == nullptr) return;
  up_->close();
  up_ = nullptr;
  stage_ = Stage::kIdle;
}

}  // namespace gantry::exchange
