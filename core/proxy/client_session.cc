#include "proxy/client_session.h"

#include "loop/worker.h"
#include "proxy/exchange.h"
#include "proxy/worker_state.h"
#include "util/log.h"

namespace gantry::proxy {

ClientSession::ClientSession(WorkerState* ws, std::shared_ptr<const Snapshot> snap, int listener)
    : ws_(ws),
      snap_(std::move(snap)),
      listener_(listener),
      conn_(new net::Conn(ws->worker(), this)),
      parser_(std::make_unique<http::Parser>(true, this)) {
  const auto& lim = snap_->cfg->limits;
  parser_->set_limits(lim.max_head_bytes, lim.max_headers, lim.max_line_bytes);
}

bool ClientSession::start(uv_stream_t* server) {
  if (conn_->accept_from(server) != 0) {
    state_ = State::kClosed;
    conn_->close();
    return false;
  }
  const modules::Generation& gen = *snap_->gen;
  const modules::ScopeState& scope = gen.listeners[listener_];
  if (!gen.with_accept.empty() || !gen.with_conn_close.empty() || !gen.with_handshake.empty())
    conn_ctx_.assign(gen.instances.size(), nullptr);
  hooks_accepted_ = true;
  for (size_t i : gen.with_accept) {
    const modules::Instance& m = gen.instances[i];
    void* sctx = i < scope.scope_ctx.size() ? scope.scope_ctx[i] : nullptr;
    gantry_action_t a = m.hooks.on_accept(m.inst, sctx, this, conn_->fd(), &conn_ctx_[i]);
    if (a != GANTRY_CONTINUE && a != GANTRY_DECLINED) {
      abort();
      return false;
    }
  }
  if (scope.tls.transport != nullptr) {
    gantry_sess_params_t params{};
    params.struct_size = sizeof params;
    params.is_server = 1;
    params.conn = this;
    if (conn_->set_transport(scope.tls.transport, scope.tls.tctx, params) != 0) {
      GLOG_WARN("listener %s: transport session could not be created",
                snap_->cfg->listeners[listener_].name.c_str());
      abort();
      return false;
    }
  }
  client_ip();  // while the peer address is surely there
  conn_->start_read();
  conn_->set_timer(snap_->cfg->timeouts.client_head);
  return true;
}

const std::string& ClientSession::client_ip() {
  if (client_ip_.empty()) {
    sockaddr_storage ss;
    socklen_t len = 0;
    char buf[INET6_ADDRSTRLEN] = "";
    if (conn_->addr(GANTRY_ADDR_PEER, &ss, &len) == 0) {
      if (ss.ss_family == AF_INET)
        uv_ip4_name(reinterpret_cast<sockaddr_in*>(&ss), buf, sizeof buf);
      else if (ss.ss_family == AF_INET6)
        uv_ip6_name(reinterpret_cast<sockaddr_in6*>(&ss), buf, sizeof buf);
    }
    client_ip_ = buf[0] ? buf : "unknown";
  }
  return client_ip_;
}

void ClientSession::on_conn_handshake(net::Conn*) {
  const modules::Generation& gen = *snap_->gen;
  for (size_t i : gen.with_handshake) {
    const modules::Instance& m = gen.instances[i];
    gantry_action_t a = m.hooks.on_handshake(m.inst, this, conn_ctx_[i]);
    if (a != GANTRY_CONTINUE && a != GANTRY_DECLINED) {
      abort();
      return;
    }
  }
}

void ClientSession::on_conn_data(net::Conn*, const char* p, size_t n) {
  switch (state_) {
    case State::kTunnel:
      exchange_->tunnel_client_data(p, n);
      return;
    case State::kLingering:
    case State::kClosed:
      return;  // discard
    case State::kWaiting:
      // Pipelined requests: keep them for after the response. Reading goes
      // on (toggling it costs two epoll_ctl calls per request) until the
      // backlog is large, then waits for the exchange to finish.
      backlog_.append(p, n);
      if (backlog_.size() > kMaxBacklog) conn_->stop_read();
      return;
    default:
      parse(p, n);
  }
}

void ClientSession::parse(const char* p, size_t n) {
  while (n > 0 && state_ != State::kClosed && state_ != State::kLingering) {
    if (!exchange_) {
      exchange_ = std::make_unique<Exchange>(this);
      parser_->attach(&exchange_->req(), &exchange_->arena());
      state_ = State::kRequest;
      conn_->set_timer(snap_->cfg->timeouts.client_head);
    }
    size_t used = 0;
    // Counted before parsing: the exchange may log from inside the parser.
    // Bytes of a pipelined next request are taken back below.
    Exchange* counted = exchange_.get();
    counted->add_bytes_in(n);
    in_parse_ = true;
    http::ParseResult r = parser_->feed(p, n, &used);
    in_parse_ = false;
    if (exchange_.get() == counted && r != http::ParseResult::kError)
      counted->add_bytes_in(-static_cast<int64_t>(n - used));
    if (state_ == State::kClosed || state_ == State::kLingering) return;
    switch (r) {
      case http::ParseResult::kError:
        done_pending_ = false;
        if (exchange_ && exchange_->response_started()) {
          // The body turned out malformed after the response began: nothing
          // sane can follow on this connection.
          abort();
          return;
        }
        reject(reject_status_ ? reject_status_ : parser_->reject_status(),
               parser_->error_reason());
        return;
      case http::ParseResult::kOk:
        if (exchange_) exchange_->start_deferred_connect();
        return;
      case http::ParseResult::kPaused:
      case http::ParseResult::kUpgrade:
        if (exchange_) exchange_->start_deferred_connect();
        backlog_.append(p + used, n - used);
        if (state_ == State::kRequest) state_ = State::kWaiting;
        if (r == http::ParseResult::kUpgrade || backlog_.size() > kMaxBacklog) conn_->stop_read();
        if (done_pending_) {
          done_pending_ = false;
          finish_exchange(done_keep_);
        }
        return;
    }
  }
}

int ClientSession::on_head(http::Head&) {
  if (state_ == State::kClosed) return -1;
  conn_->stop_timer();
  int r = exchange_->on_request_head();
  if (r < 0) {
    // Negative values carry the status to answer with.
    reject_status_ = -r;
    return -1;
  }
  if (r >= 0 && state_ == State::kRequest && !parser_->upgrade())
    conn_->set_timer(snap_->cfg->timeouts.client_body);
  return r;
}

void ClientSession::on_body(const char* p, size_t n) {
  if (state_ == State::kClosed || !exchange_) return;
  if (snap_->cfg->timeouts.client_body) conn_->set_timer(snap_->cfg->timeouts.client_body);
  exchange_->on_request_body(p, n);
}

void ClientSession::on_message_end() {
  if (state_ == State::kClosed || !exchange_) return;
  conn_->stop_timer();
  if (!parser_->keep_alive()) close_after_ = true;
  if (state_ == State::kRequest) state_ = State::kWaiting;
  exchange_->on_request_end();
}

void ClientSession::reject(int status, const char* why) {
  GLOG_DEBUG("conn %llu: request rejected with %d: %s",
             static_cast<unsigned long long>(conn_->id()), status, why ? why : "");
  close_after_ = true;
  backlog_.clear();
  if (!exchange_) exchange_ = std::make_unique<Exchange>(this);
  // After a refused request nothing on this connection can be trusted to be
  // framed right: say so and close.
  exchange_->force_close();
  exchange_->respond_local(status, {}, nullptr, status == 408 ? "client_timeout" : "bad_request");
}

void ClientSession::exchange_done(bool keep_alive) {
  if (in_parse_) {
    // Still inside the request parser's callbacks: finish once it returns.
    done_pending_ = true;
    done_keep_ = keep_alive;
    return;
  }
  finish_exchange(keep_alive);
}

void ClientSession::finish_exchange(bool keep_alive) {
  exchange_.reset();
  reject_status_ = 0;
  if (state_ == State::kClosed || state_ == State::kLingering) return;
  if (!keep_alive || close_after_ || client_eof_ || ws_->draining()) {
    close_gracefully();
    return;
  }
  state_ = State::kIdle;
  // Each exchange ends at a message boundary, so a fresh parser state is
  // right for whatever the client sent next.
  parser_->reset();
  drive();
}

void ClientSession::drive() {
  if (in_drive_) {
    drive_again_ = true;
    return;
  }
  in_drive_ = true;
  do {
    drive_again_ = false;
    if (state_ == State::kIdle && !backlog_.empty()) {
      std::string buf;
      buf.swap(backlog_);
      parse(buf.data(), buf.size());
    }
  } while (drive_again_ && state_ == State::kIdle);
  in_drive_ = false;
  if (state_ == State::kIdle && backlog_.empty()) {
    backlog_.shrink_to_fit();
    conn_->start_read();
    conn_->set_timer(snap_->cfg->timeouts.client_idle);
  }
}

void ClientSession::pause_reading() {
  paused_by_upstream_ = true;
  conn_->stop_read();
}

void ClientSession::resume_reading() {
  if (!paused_by_upstream_) return;
  paused_by_upstream_ = false;
  if (state_ == State::kRequest || state_ == State::kTunnel) conn_->start_read();
}

void ClientSession::enter_tunnel() {
  state_ = State::kTunnel;
  conn_->stop_timer();
  conn_->start_read();
  // No request follows a tunnel; an idle one should not hold a parser.
  if (!in_parse_) parser_.reset();
}

std::string ClientSession::take_backlog() {
  std::string b;
  b.swap(backlog_);
  return b;
}

void ClientSession::on_conn_eof(net::Conn*) {
  client_eof_ = true;
  switch (state_) {
    case State::kIdle:
    case State::kLingering:
      abort();
      return;
    case State::kTunnel:
      exchange_->tunnel_client_eof();
      return;
    case State::kWaiting:
      // A half-closed client may still read its response.
      return;
    case State::kRequest:
      if (exchange_ && !exchange_->response_started() && parser_->head_done()) {
        exchange_->client_gone("client_aborted");
        return;
      }
      if (exchange_ && !parser_->head_done() && backlog_.empty() &&
          exchange_->req().target.empty() && exchange_->req().headers.empty()) {
        abort();  // closed between requests
        return;
      }
      if (exchange_) exchange_->client_gone("client_aborted");
      else abort();
      return;
    case State::kClosed:
      return;
  }
}

void ClientSession::on_conn_error(net::Conn*, int err) {
  GLOG_DEBUG("conn %llu: client error %s", static_cast<unsigned long long>(conn_->id()),
             uv_strerror(err));
  if (exchange_ && state_ != State::kLingering) {
    exchange_->client_gone("client_error");
    return;
  }
  abort();
}

void ClientSession::on_conn_timeout(net::Conn*) {
  switch (state_) {
    case State::kIdle:
    case State::kLingering:
      abort();
      return;
    case State::kRequest:
      if (!parser_->head_done() && exchange_ && !exchange_->response_started()) {
        reject(408, "request head timeout");
        return;
      }
      if (exchange_) exchange_->client_timeout();
      return;
    case State::kTunnel:
    case State::kWaiting:
      if (exchange_) exchange_->client_timeout();
      return;
    case State::kClosed:
      return;
  }
}

void ClientSession::on_conn_drained(net::Conn*) {
  if (exchange_) exchange_->client_drained();
}

void ClientSession::close_gracefully() {
  if (state_ == State::kClosed || state_ == State::kLingering) return;
  // Lingering close: send our FIN after the queued response, then read and
  // drop whatever the client still sends, so an unread request in our
  // receive buffer cannot turn into a RST that destroys the response.
  state_ = State::kLingering;
  conn_->shutdown_write();
  conn_->start_read();
  conn_->set_timer(2000);
}

void ClientSession::abort() {
  if (state_ == State::kClosed) return;
  // The exchange may be on the stack (we can be called from its callbacks):
  // it is freed in on_conn_closed, which runs from the loop.
  state_ = State::kClosed;
  conn_->close();
}

bool ClientSession::worker_state_draining() const { return ws_->draining(); }

void ClientSession::on_drain() {
  if (state_ == State::kIdle) abort();
  else close_after_ = true;
}

void ClientSession::run_conn_close_hooks() {
  if (!hooks_accepted_) return;
  hooks_accepted_ = false;
  const modules::Generation& gen = *snap_->gen;
  for (size_t i : gen.with_conn_close) {
    const modules::Instance& m = gen.instances[i];
    m.hooks.on_conn_close(m.inst, this, conn_ctx_.empty() ? nullptr : conn_ctx_[i]);
  }
}

void ClientSession::on_conn_closed(net::Conn*) {
  exchange_.reset();
  run_conn_close_hooks();
  delete conn_;
  conn_ = nullptr;
  ws_->session_closed(this);
  delete this;
}

}  // namespace gantry::proxy
