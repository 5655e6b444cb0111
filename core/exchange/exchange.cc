#include "exchange/exchange.h"

#include "exchange/router.h"
#include "http/cookies.h"
#include "http/serializer.h"
#include "net/proxy_header.h"
#include "util/log.h"
#include "util/strings.h"

namespace gantry::exchange {

Exchange::Exchange(Downstream* down, const runtime::Snapshot& snap, runtime::WorkerContext& wc)
    : down_(down),
      snap_(snap),
      wc_(wc),
      http_(take_http_state(down, this, snap.cfg->limits)),
      hooks_(*snap.gen),
      record_(down->bytes_sent()),
      leg_(this, snap, wc, &record_, this) {
  // What the balancer in front said about the client (PROXY v2 TLVs).
  record_.notes.assign(down->client().proxy_notes);
}

LogContext Exchange::log_context() {
  uint32_t bs = backend_ >= 0 ? snap_.backend_series[backend_] : metrics::kNoSeries;
  std::string_view protocol = down_->client().http2 ? "HTTP/2.0"
                              : http_ != nullptr && http_->req.version_minor == 0 ? "HTTP/1.0"
                                                                                  : "HTTP/1.1";
  return {method(), target(),      route_backend(),
          down_,    protocol,      &snap_.access, &hooks_,
          this,     snap_.count_exchanges ? &wc_.metrics : nullptr, bs,
          down_->client().listener >= 0 &&
                  static_cast<size_t>(down_->client().listener) < snap_.listener_series.size()
              ? snap_.listener_series[down_->client().listener]
              : metrics::kNoSeries};
}

Exchange::~Exchange() {
  if (tunnel_ != nullptr) ++wc_.metrics.tunnels_closed;
  tunnel_.reset();
  leg_.drop();
  if (phase_ != Phase::kFinished && !method().empty()) {
    if (std::string_view(record_.termination) == "ok") record_.termination = "aborted";
    emit_log(record_, log_context());
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

namespace {

// The value balance = "hash" hashes: the target, a header, or a cookie
// (left in the request); empty when the request has none.
std::string_view hash_input(const http::Head& req, std::string_view key) {
  if (key == "uri") return req.target;
  std::string_view name = key.substr(7);
  if (key.rfind("header:", 0) == 0) {
    const http::HeaderField* h = req.find(name);
    return h != nullptr ? h->value : std::string_view();
  }
  for (size_t i = 0; const http::HeaderField* h = req.find("cookie", i); ++i) {
    std::string_view v = h->value;
    while (!v.empty()) {
      size_t end = v.find(';');
      std::string_view pair = v.substr(0, end);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
          pair[name.size()] == '=')
        return pair.substr(name.size() + 1);
      if (end == std::string_view::npos) break;
      v.remove_prefix(end + 1);
    }
  }
  return {};
}

}  // namespace

void Exchange::connect() {
  const config::Backend& b = backend();
  upstream::Affinity a;
  a.module_key = http_->balance_key;
  a.client = down_->client().address;
  if (b.balance == config::Balance::kCookie)
    a.cookie = http::take_cookie(http_->req, http_->arena, b.cookie_name);
  if (b.balance == config::Balance::kHash) a.hash = hash_input(http_->req, b.hash_key);
  http_->wire.default_host = b.name;
  http::write_request_head(http_->req, snap_.forward, http_->wire, &http_->fwd.head_wire());
  phase_ = Phase::kConnecting;
  if (b.send_proxy != config::SendProxy::kOff) {
    const ClientFacts& f = down_->client();
    leg_.set_proxy_header(b.send_proxy == config::SendProxy::kV1
                              ? net::proxy_header_v1(f.peer, f.local)
                              : net::proxy_header_v2(f.peer, f.local));
  }
  if (!leg_.start(backend_, a, &http_->fwd)) respond_local(503, {}, nullptr, "no_server");
}

void Exchange::on_leg_ready(net::Conn* c) {
  phase_ = Phase::kSent;
  http_->relay.set_upstream(c);
  if (http_->fwd.start(c)) {
    down_->pause_request();
  } else {
    down_->resume_request();
  }
}

void Exchange::on_request_body(const char* p, size_t n) {
  if (phase_ >= Phase::kResponded) return;  // answered: the rest of the body is dropped
  if (http_->fwd.body(upstream(), p, n)) down_->pause_request();
}

void Exchange::on_request_end() {
  input_ = Input::kComplete;
  if (phase_ < Phase::kResponded && http_->fwd.end(upstream())) down_->pause_request();
  maybe_finish();
}

void Exchange::on_downstream_drained() {
  if (tunnel_ != nullptr) {
    tunnel_->on_downstream_drained();
  } else if (http_ != nullptr) {
    http_->relay.on_downstream_drained();
  }
}

void Exchange::on_leg_data(const char* p, size_t n) {
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
    case ResponseRelay::Fed::kError: {
      if (retry_status_ != 0) {
        int status = retry_status_;
        retry_status_ = 0;
        if (retry_response(upstream::Failure::kStatus, status)) return;
        // No retry after all: the client gets the server's status.
        leg_.drop();
        on_leg_failed(status, "server_status");
        return;
      }
      const char* cause = http_->relay.error_cause();
      leg_.observe(upstream::Outcome::kGatewayError, cause);
      GLOG_WARN("backend %s server %s: malformed response (%s): %s", backend().name.c_str(),
                leg_.server_name().c_str(), cause, http_->relay.error_reason());
      if (phase_ != Phase::kRelaying && retry_response(upstream::Failure::kJunkResponse, 502))
        return;
      leg_.drop();
      // A head composed but not yet sent is taken back: the client gets a
      // 502 rather than half a response.
      if (phase_ == Phase::kRelaying && down_->unsend_head()) phase_ = Phase::kSent;
      on_leg_failed(502, cause);
      return;
    }
  }
}

// Whether the leg can try again for a response that is not passed on; the
// relay then waits for the next server's response.
bool Exchange::retry_response(upstream::Failure f, int status) {
  if (!leg_.retry_response(f, status)) return false;
  http_->relay.restart();
  phase_ = Phase::kConnecting;
  return true;
}

bool Exchange::on_response_head() {
  // A status retry_on names is not passed on while another attempt may
  // still answer: the relay refuses it, and on_leg_data retries.
  int st = http_->resp.status;
  leg_.observe(st >= 500 ? upstream::Outcome::kServerError : upstream::Outcome::kGood,
               "5xx response");
  if ((st == 502 && (backend().retry_on & config::kRetry502)) ||
      (st == 503 && (backend().retry_on & config::kRetry503)) ||
      (st == 504 && (backend().retry_on & config::kRetry504))) {
    if (leg_.may_retry(st)) {
      retry_status_ = st;
      return false;
    }
  }
  if (!hooks_.response_headers(this)) return false;
  if (const upstream::Server* s = leg_.cookie_server()) {
    http::add_sticky_cookie(&http_->resp, http_->arena, backend().cookie_name, s->name);
  }
  record_.status = http_->resp.status;
  phase_ = Phase::kRelaying;
  return true;
}

bool Exchange::on_leg_eof() {
  ResponseRelay& relay = http_->relay;
  if (!relay.head_sent()) return false;
  if (relay.in_message() && relay.finish()) {
    // A body delimited by the close of the connection ends here.
    response_complete(false);
    return true;
  }
  record_.termination = "server_aborted";
  leg_.drop();
  down_->abort();
  return true;
}

// The server side is lost for good: answer with `status`, or, once a
// response is under way, cut the client off.
void Exchange::on_leg_failed(int status, const char* termination) {
  if (answered()) {
    // A connection lost mid-response is an abort, whatever broke it.
    std::string_view t(termination);
    record_.termination = t == "server_closed" || t == "server_error" ? "server_aborted" : termination;
    down_->abort();
    return;
  }
  if (input_ != Input::kComplete) fate_ = ClientFate::kClose;
  if (std::string_view(termination) == "queue_timeout") {
    // Every server is at max_connections: come back shortly.
    static const std::vector<std::pair<std::string, std::string>> kRetryAfter{{"Retry-After", "1"}};
    respond_local(status, {}, &kRetryAfter, termination);
    return;
  }
  respond_local(status, {}, nullptr, termination);
}

void Exchange::response_complete(bool upstream_clean) {
  phase_ = Phase::kResponded;
  http_->relay.set_upstream(nullptr);
  leg_.release(upstream_clean && http_->relay.reusable() && input_ == Input::kComplete);
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
  upstream::UpstreamConn* up = leg_.hand_over();
  std::string early = down_->begin_tunnel();
  const config::Timeouts& to = snap_.cfg->timeouts;
  ++wc_.metrics.tunnels_opened;
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
  emit_log(record_, log_context());
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
    leg_.drop();
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
  leg_.drop();
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
  leg_.drop();
  emit_log(record_, log_context());
  hooks_.stream_end(this);
  down_->exchange_done(fate_ == ClientFate::kKeepAlive);
}

}  // namespace gantry::exchange
