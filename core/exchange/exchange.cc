#include "exchange/exchange.h"

#include "exchange/router.h"
#include "http/cookies.h"
#include "http/serializer.h"
#include "upstream/connector.h"
#include "upstream/selector.h"
#include "util/log.h"
#include "util/strings.h"

namespace gantry::exchange {

Exchange::HttpState::HttpState(Downstream* down, Exchange* ex)
    : relay(down, ex, &resp, &arena) {}

Exchange::Exchange(Downstream* down, const runtime::Snapshot& snap, runtime::WorkerContext& wc)
    : down_(down),
      snap_(snap),
      wc_(wc),
      http_(std::make_unique<HttpState>(down, this)),
      hooks_(*snap.gen),
      record_(down->bytes_sent()) {}

Exchange::~Exchange() {
  tunnel_.reset();
  drop_upstream();
  if (phase_ != Phase::kFinished && !method().empty()) {
    if (std::string_view(record_.termination) == "ok") record_.termination = "aborted";
    emit_log(record_, {method(), target(), route_backend(), down_, snap_.access_fd, &hooks_, this});
    hooks_.stream_end(this);
  }
}

int Exchange::on_request_head(const http::RequestFraming& framing, bool wants_upgrade) {
  record_.t_head = record_.since_start();
  if (int st = http::check_request(http_->req, http_->arena, framing); st != 0) return st;
  input_ = Input::kBody;
  http_->fwd.set_chunked(framing.chunked);
  http::RequestWire& w = http_->wire;
  w.client = down_->client().address;
  w.tls = down_->client().tls;
  w.framing = framing.chunked      ? http::Framing::kChunked
              : framing.has_length ? http::Framing::kLength
                                   : http::Framing::kNone;
  w.length = framing.length;
  const http::Head& req = http_->req;
  ResponseRelay::Request rr;
  rr.head_method = req.method == "HEAD";
  rr.client_http10 = req.version_minor == 0;
  http_->relay.set_request(rr);
  wants_upgrade_ = wants_upgrade ? Upgrade::kAsked : Upgrade::kNone;
  phase_ = Phase::kHooks;
  run_request_hooks();
  return 0;
}

// An upgrade goes through only if a module allows it; with none saying yes
// the server never sees the Upgrade header.
bool Exchange::check_upgrade() {
  const http::HeaderField* up = http_->req.find("upgrade");
  if (wants_upgrade_ != Upgrade::kAsked || up == nullptr) return true;
  ResponseRelay::Request rr = http_->relay.request();
  if (hooks_.upgrade(this, up->value, &rr.upgrade_allowed) != HookVerdict::kContinue) {
    answer_for_modules(400, "upgrade_refused");
    return false;
  }
  http_->relay.set_request(rr);
  if (rr.upgrade_allowed) http_->wire.upgrade = up->value;
  return true;
}

// Module hooks first, in config order; the first that answers, closes or
// pauses ends the chain.
void Exchange::run_request_hooks() {
  HookVerdict v = hooks_.request_headers(this, down_->client().conn_ctx);
  if (v == HookVerdict::kContinue && http_->module_answer != nullptr) v = HookVerdict::kDone;
  switch (v) {
    case HookVerdict::kContinue:
      after_hooks();
      return;
    case HookVerdict::kDone:
      answer_for_modules(500, "module_error");
      return;
    case HookVerdict::kPause:
      phase_ = Phase::kPaused;
      return;
    case HookVerdict::kClose:
      record_.termination = "module_closed";
      fate_ = ClientFate::kClose;
      down_->abort();
      return;
  }
}

gantry_status_t Exchange::resume(int32_t action) {
  if (phase_ != Phase::kPaused) return GANTRY_ERR_BUSY;
  phase_ = Phase::kHooks;
  if (action == GANTRY_CONTINUE || action == GANTRY_DECLINED) {
    run_request_hooks();  // the modules after the one that paused get their turn
  } else if (action == GANTRY_DONE) {
    answer_for_modules(500, "module_error");
  } else {
    record_.termination = "module_closed";
    down_->abort();
  }
  return GANTRY_OK;
}

// A module said DONE: its answer, or `fallback_status` if it gave none.
void Exchange::answer_for_modules(int fallback_status, const char* termination) {
  std::unique_ptr<ModuleAnswer> a = std::move(http_->module_answer);
  if (a == nullptr) {
    respond_local(fallback_status, {}, nullptr, termination);
    return;
  }
  respond_local(a->status, a->body, &a->headers, "local");
}

void Exchange::after_hooks() {
  if (answered() || !check_upgrade()) return;
  if (backend_ < 0) {
    RouteResult r = route(*snap_.cfg, http_->req, path());
    if (r.respond != nullptr) {
      respond_local(r.respond->status, r.respond->body, &r.respond->headers, "ok");
      return;
    }
    backend_ = r.backend;
  }
  if (backend_ < 0) {
    respond_local(503, {}, nullptr, "no_backend");
    return;
  }
  // A chunked body can still turn out malformed; the client side calls
  // on_input_settled() once everything that arrived with the head was
  // parsed, so a request refused for its framing never reaches a server
  // (unless the bad chunk comes in a later read: the server then gets a cut
  // request and a close). A client that asked for 100-continue sends
  // nothing until a server answers.
  const http::HeaderField* expect = http_->req.find("expect");
  if (http_->wire.framing == http::Framing::kChunked && input_ != Input::kComplete &&
      !(expect && iequals(expect->value, "100-continue"))) {
    phase_ = Phase::kDeferred;
    return;
  }
  connect();
}

void Exchange::on_input_settled() {
  if (phase_ == Phase::kDeferred) connect();
}

void Exchange::connect() {
  const config::Backend& b = backend();
  upstream::Affinity a;
  a.module_key = http_->balance_key;
  a.client = down_->client().address;
  if (b.balance == config::Balance::kCookie)
    a.cookie = http::take_cookie(http_->req, http_->arena, b.cookie_name);
  upstream::Choice c = upstream::choose(snap_.balancers[wc_.index()][backend_], b, a);
  if (c.server < 0) {
    respond_local(503, {}, nullptr, "no_server");
    return;
  }
  if (c.insert_cookie) cookie_server_ = c.server;
  http::write_request_head(http_->req, snap_.forward, http_->wire, &http_->fwd.head_wire());
  if (!attempt(c.server)) fail_upstream(502, "connect_failed");
}

// One try at one server: a pooled connection goes on at once, a new one
// reports through on_upstream_ready / on_upstream_connect_failed.
bool Exchange::attempt(int server) {
  server_ = server;
  ++attempts_;
  const upstream::ConnectTarget& t = snap_.targets[backend_][server];
  record_.server = t.server->address.text;
  http_->fwd.restart();
  upstream::Acquired got =
      upstream::acquire(wc_.pool, t, this, this, http_->fwd.ready_bytes());
  up_ = got.conn;
  switch (got.how) {
    case upstream::Acquired::How::kFailed:
      return false;
    case upstream::Acquired::How::kConnecting:
      record_.reused = false;
      phase_ = Phase::kConnecting;
      return true;
    case upstream::Acquired::How::kPooled:
      record_.reused = true;
      record_.t_connect = record_.since_start();
      arm_server_timer();
      forward_started(http_->fwd.start(up_->conn()));
      return true;
  }
  return false;
}

void Exchange::on_upstream_ready() {
  record_.t_connect = record_.since_start();
  up_->conn()->start_read();
  arm_server_timer();
  forward_started(http_->fwd.start(up_->conn()));
}

void Exchange::forward_started(bool congested) {
  phase_ = Phase::kSent;
  http_->relay.set_upstream(up_->conn());
  if (congested) {
    down_->pause_request();
  } else {
    down_->resume_request();
  }
}

void Exchange::arm_server_timer() {
  const config::Backend& b = backend();
  up_->conn()->set_timer(b.server_timeout ? b.server_timeout : snap_.cfg->timeouts.server);
}

void Exchange::on_upstream_connect_failed(int err) {
  GLOG_WARN("backend %s: connect to %s failed: %s", backend().name.c_str(),
            up_->server_name().c_str(), uv_strerror(err));
  retry_or_fail(upstream::Failure::kConnect, 502, "connect_failed");
}

// Ask the retry policy whether this failure is worth another attempt.
void Exchange::retry_or_fail(upstream::Failure f, int status, const char* termination) {
  drop_upstream();
  upstream::AttemptFacts facts{attempts_, backend().servers.size(), http_->fwd.body_on_wire()};
  int next = -1;
  switch (upstream::decide_retry(f, facts)) {
    case upstream::RetryAction::kOtherServer:
      next = upstream::choose_other(snap_.balancers[wc_.index()][backend_], server_);
      break;
    case upstream::RetryAction::kSameServerFresh:
      next = server_;
      break;
    case upstream::RetryAction::kGiveUp:
      break;
  }
  if (next >= 0 && attempt(next)) return;
  fail_upstream(status, termination);
}

void Exchange::on_request_body(const char* p, size_t n) {
  if (answered() && up_ == nullptr) return;  // answered locally: the body is dropped
  if (http_->fwd.body(up_ != nullptr ? up_->conn() : nullptr, p, n)) down_->pause_request();
}

void Exchange::on_request_end() {
  input_ = Input::kComplete;
  if (!(answered() && up_ == nullptr)) {
    if (http_->fwd.end(up_ != nullptr ? up_->conn() : nullptr)) down_->pause_request();
  }
  maybe_finish();
}

void Exchange::on_upstream_drained() { down_->resume_request(); }

void Exchange::on_downstream_drained() {
  if (tunnel_ != nullptr) {
    tunnel_->on_downstream_drained();
  } else if (http_ != nullptr) {
    http_->relay.on_downstream_drained();
  }
}

void Exchange::on_upstream_data(const char* p, size_t n) {
  if (record_.t_response < 0) record_.t_response = record_.since_start();
  arm_server_timer();
  size_t used = 0;
  switch (http_->relay.feed(p, n, &used)) {
    case ResponseRelay::Fed::kMore:
      down_->flush();
      return;
    case ResponseRelay::Fed::kDone:
      // Bytes after a complete response: the server does not speak HTTP/1.1
      // keep-alive right, so its connection is not reused.
      response_complete(used == n);
      return;
    case ResponseRelay::Fed::kSwitching:
      start_tunnel(p + used, n - used);
      return;
    case ResponseRelay::Fed::kError:
      GLOG_WARN("backend %s server %s: malformed response: %s", backend().name.c_str(),
                up_->server_name().c_str(), http_->relay.error_reason());
      fail_upstream(502, "bad_response");
      return;
  }
}

bool Exchange::on_response_head() {
  if (!hooks_.response_headers(this)) return false;
  if (cookie_server_ >= 0) {
    const config::Backend& b = backend();
    http::add_sticky_cookie(&http_->resp, http_->arena, b.cookie_name,
                            b.servers[cookie_server_].name);
  }
  record_.status = http_->resp.status;
  phase_ = Phase::kRelaying;
  return true;
}

void Exchange::on_upstream_eof() {
  ResponseRelay& relay = http_->relay;
  if (relay.head_sent() && relay.in_message()) {
    // A body delimited by the close of the connection ends here.
    if (relay.finish()) {
      response_complete(false);
      return;
    }
    record_.termination = "server_aborted";
    down_->abort();
    return;
  }
  on_upstream_error(UV_EOF);
}

void Exchange::on_upstream_error(int err) {
  if (http_->relay.head_sent()) {
    record_.termination = "server_aborted";
    down_->abort();
    return;
  }
  const char* termination = err == UV_EOF ? "server_closed" : "server_error";
  // A pooled connection the server closed just as it was reused.
  if (up_->reused() && record_.t_response < 0) {
    retry_or_fail(upstream::Failure::kReusedConnLost, 502, termination);
    return;
  }
  GLOG_WARN("backend %s server %s: %s before a response", backend().name.c_str(),
            up_->server_name().c_str(), uv_strerror(err));
  fail_upstream(502, termination);
}

void Exchange::on_upstream_timeout() {
  if (!up_->connected()) {
    GLOG_WARN("backend %s: connect to %s timed out", backend().name.c_str(),
              up_->server_name().c_str());
    fail_upstream(504, "connect_timeout");
    return;
  }
  fail_upstream(504, "server_timeout");
}

void Exchange::fail_upstream(int status, const char* termination) {
  drop_upstream();
  if (answered()) {
    record_.termination = termination;
    down_->abort();
    return;
  }
  if (input_ != Input::kComplete) fate_ = ClientFate::kClose;
  respond_local(status, {}, nullptr, termination);
}

void Exchange::drop_upstream() {
  if (up_ == nullptr) return;
  if (http_ != nullptr) http_->relay.set_upstream(nullptr);
  up_->close();
  up_ = nullptr;
}

void Exchange::response_complete(bool upstream_clean) {
  phase_ = Phase::kResponded;
  if (up_ != nullptr) {
    http_->relay.set_upstream(nullptr);
    up_->release(upstream_clean && http_->relay.reusable() && input_ == Input::kComplete);
    up_ = nullptr;
  }
  // Answered before the request body ended: the rest of it is not read.
  if (input_ != Input::kComplete) fate_ = ClientFate::kClose;
  maybe_finish();
}

void Exchange::start_tunnel(const char* rest, size_t n) {
  phase_ = Phase::kTunnel;
  record_.upgraded = true;
  record_.status = 101;
  // An idle tunnel should cost little more than its two connections: keep
  // what the log needs and release the heads, the arena, the parser and the
  // buffers (module.h documents that heads end with the tunnel).
  const http::Head& req = http_->req;
  request_line_.assign(req.method).append(" ").append(req.target);
  method_len_ = static_cast<uint32_t>(req.method.size());
  http_->relay.set_upstream(nullptr);
  upstream::UpstreamConn* up = up_;
  up_ = nullptr;
  std::string early = down_->begin_tunnel();
  const config::Timeouts& to = snap_.cfg->timeouts;
  tunnel_ = std::make_unique<Tunnel>(this, down_, up, &wc_.clock,
                                     Tunnel::Timeouts{to.tunnel, to.client_fin});
  std::string server_bytes(rest, n);  // `rest` lives in the parser's input, which goes now
  http_.reset();
  tunnel_->start(server_bytes.data(), server_bytes.size(), early);
}

bool Exchange::observe(uint32_t dir, const char* p, size_t n) {
  return hooks_.tunnel_data(this, dir, p, n);
}

void Exchange::tunnel_ended(const char* cause) {
  record_.termination = cause;
  phase_ = Phase::kFinished;
  emit_log(record_, {method(), target(), route_backend(), down_, snap_.access_fd, &hooks_, this});
  hooks_.stream_end(this);
  down_->abort();
}

void Exchange::on_client_timeout() {
  if (tunnel_ != nullptr) {
    tunnel_->on_client_timeout();
    return;
  }
  if (!answered()) {
    fate_ = ClientFate::kClose;
    drop_upstream();
    respond_local(408, {}, nullptr, "client_timeout");
    return;
  }
  record_.termination = "client_timeout";
  down_->abort();
}

void Exchange::on_client_gone(const char* cause) {
  if (tunnel_ != nullptr) {
    tunnel_->close(cause);
    return;
  }
  record_.termination = cause;
  drop_upstream();
  down_->abort();
}

void Exchange::refuse(int status, const char* termination) {
  // After a refused request nothing on this connection can be trusted to be
  // framed right: answer and close.
  fate_ = ClientFate::kClose;
  respond_local(status, {}, nullptr, termination);
}

void Exchange::respond_local(int status, std::string_view body,
                             const std::vector<std::pair<std::string, std::string>>* headers,
                             const char* termination) {
  if (answered()) return;
  record_.status = status;
  record_.termination = termination;
  phase_ = Phase::kResponded;
  send_local_answer(down_, http_->arena, &http_->resp, {status, body, headers,
                    fate_ == ClientFate::kClose, http_->req.method == "HEAD"});
  maybe_finish();
}

void Exchange::maybe_finish() {
  if (phase_ != Phase::kResponded) return;
  if (input_ != Input::kComplete && fate_ != ClientFate::kClose) return;
  finish();
}

// The end: the upstream connection goes back to the pool or closes, the log
// line is written, modules free their stream state, and the client side may
// go on. Callers return right after: the downstream may free the exchange.
void Exchange::finish() {
  phase_ = Phase::kFinished;
  drop_upstream();
  emit_log(record_, {method(), target(), route_backend(), down_, snap_.access_fd, &hooks_, this});
  hooks_.stream_end(this);
  down_->exchange_done(fate_ == ClientFate::kKeepAlive);
}

}  // namespace gantry::exchange
