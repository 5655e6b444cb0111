#include "exchange/upstream_leg.h"

#include "upstream/connector.h"
#include "util/log.h"

namespace gantry::exchange {

UpstreamLeg::UpstreamLeg(LegOwner* owner, const runtime::Snapshot& snap,
                         runtime::WorkerContext& wc, ExchangeRecord* record,
                         gantry_stream_t* stream)
    : owner_(owner), snap_(snap), wc_(wc), record_(record), stream_(stream) {}

bool UpstreamLeg::start(int backend_index, const upstream::Affinity& a, RequestForwarder* fwd) {
  backend_ = backend_index;
  fwd_ = fwd;
  upstream::Choice c = upstream::choose(snap_.balancers[wc_.index()][backend_], backend(), a);
  if (c.server == nullptr) return false;
  if (c.insert_cookie) cookie_server_ = c.server.get();
  if (!attempt(std::move(c.server))) retry_or_fail(upstream::Failure::kConnect, 502, "connect_failed");
  return true;
}

// One try at one server: a pooled connection goes on at once, a new one
// reports through on_upstream_ready / on_upstream_connect_failed.
bool UpstreamLeg::attempt(std::shared_ptr<upstream::Server> server) {
  server_ = std::move(server);
  tried_.push_back(server_.get());
  const upstream::ConnectTarget& t = server_->target;
  record_->server = server_->address.text;
  fwd_->restart();
  upstream::Acquired got = upstream::acquire(wc_.pool, t, this, stream_, fwd_->ready_bytes(), proxy_header_);
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

void UpstreamLeg::arm_server_timer() {
  const config::Backend& b = backend();
  up_->arm(b.server_timeout ? b.server_timeout : snap_.cfg->timeouts.server);
}

void UpstreamLeg::on_upstream_data(const char* p, size_t n) {
  if (record_->t_response < 0) record_->t_response = record_->since_start();
  arm_server_timer();
  owner_->on_leg_data(p, n);
}

void UpstreamLeg::on_upstream_connect_failed(int err) {
  GLOG_WARN("backend %s: connect to %s failed: %s", backend().name.c_str(),
            up_->server_name().c_str(), uv_strerror(err));
  retry_or_fail(upstream::Failure::kConnect, 502, "connect_failed");
}

void UpstreamLeg::on_upstream_error(int err) {
  const char* termination = err == UV_EOF ? "server_closed" : "server_error";
  // A pooled connection the server closed just as it was reused, before
  // any response byte.
  if (up_->reused() && record_->t_response < 0) {
    retry_or_fail(upstream::Failure::kReusedConnLost, 502, termination);
    return;
  }
  if (record_->t_response < 0) {
    GLOG_WARN("backend %s server %s: %s before a response", backend().name.c_str(),
              up_->server_name().c_str(), uv_strerror(err));
  }
  drop();
  owner_->on_leg_failed(502, termination);
}

void UpstreamLeg::on_upstream_timeout() {
  bool connecting = stage_ == Stage::kConnecting;
  if (connecting) {
    GLOG_WARN("backend %s: connect to %s timed out", backend().name.c_str(),
              up_->server_name().c_str());
  }
  drop();
  owner_->on_leg_failed(504, connecting ? "connect_timeout" : "server_timeout");
}

// Ask the retry policy whether this failure is worth another attempt.
void UpstreamLeg::retry_or_fail(upstream::Failure f, int status, const char* termination) {
  drop();
  upstream::BalancerState& bal = snap_.balancers[wc_.index()][backend_];
  upstream::AttemptFacts facts{static_cast<uint32_t>(tried_.size()), bal.set().servers.size(),
                               fwd_->body_on_wire()};
  std::shared_ptr<upstream::Server> next;
  switch (upstream::decide_retry(f, facts)) {
    case upstream::RetryAction::kOtherServer:
      next = upstream::choose_other(bal, tried_);
      break;
    case upstream::RetryAction::kSameServerFresh:
      next = server_;
      break;
    case upstream::RetryAction::kGiveUp:
      break;
  }
  if (next != nullptr && attempt(std::move(next))) return;
  owner_->on_leg_failed(status, termination);
}

void UpstreamLeg::release(bool reusable) {
  if (up_ == nullptr) return;
  upstream::UpstreamConn* u = up_;
  up_ = nullptr;
  stage_ = Stage::kIdle;
  u->release(reusable);
}

upstream::UpstreamConn* UpstreamLeg::hand_over() {
  upstream::UpstreamConn* u = up_;
  up_ = nullptr;
  stage_ = Stage::kIdle;
  return u;
}

void UpstreamLeg::drop() {
  if (up_ == nullptr) return;
  up_->close();
  up_ = nullptr;
  stage_ = Stage::kIdle;
}

}  // namespace gantry::exchange
