#include "downstream/http1_session.h"

#include <algorithm>

#include "util/log.h"
#include "util/strings.h"

namespace gantry::downstream {

Http1Session::Http1Session(runtime::WorkerContext& wc,
                           std::shared_ptr<const runtime::Snapshot> snap, int listener,
                           ConnList* list)
    : ClientConn(wc, std::move(snap), listener, list),
      Entry(on_deadline),
      parser_(std::make_unique<http::Parser>(true, this)) {
  const auto& lim = snap_->cfg->limits;
  parser_->set_limits(lim.max_head_bytes, lim.max_headers, lim.max_line_bytes);
}

Http1Session::~Http1Session() { wc_.clock.disarm(this); }

bool Http1Session::start(uv_stream_t* server) {
  if (!accept(server, this)) {
    abort();
    return false;
  }
  conn_->start_read();
  if (wants_proxy_header()) {
    state_ = State::kProxyHeader;
    proxy_reader_ = std::make_unique<net::ProxyHeaderReader>();
    arm(snap_->cfg->timeouts.proxy_header);
    return true;
  }
  arm(snap_->cfg->timeouts.client_head);
  return true;
}

// The header comes before anything else, TLS included: the transport is set
// only once it has ended, and the rest of the read goes through it.
void Http1Session::read_proxy_header(const char* p, size_t n) {
  size_t used = 0;
  net::ProxyHeaderReader::Status st = proxy_reader_->feed(p, n, &used);
  if (st == net::ProxyHeaderReader::Status::kNeedMore) return;
  if (st == net::ProxyHeaderReader::Status::kError) {
    GLOG_INFO("listener %s: bad PROXY header from %s (%s): closed",
              snap_->cfg->listeners[listener()].name.c_str(), std::string(facts().address).c_str(),
              proxy_reader_->reason());
    abort();
    return;
  }
  net::ProxyInfo info = proxy_reader_->info();
  proxy_reader_.reset();
  if (!accept_proxied(info)) {
    abort();
    return;
  }
  state_ = State::kIdle;
  arm(snap_->cfg->timeouts.client_head);
  if (used < n) conn_->receive(p + used, n - used);
}

void Http1Session::on_deadline(loop::DeadlineClock::Entry* e) {
  static_cast<Http1Session*>(e)->on_timeout();
}

void Http1Session::on_conn_handshake(net::Conn*) {
  if (!run_handshake_hooks()) {
    abort();
    return;
  }
  gantry_tls_info_t info{};
  info.struct_size = sizeof info;
  if (conn_->transport_info(&info) == GANTRY_OK &&
      std::string_view(info.alpn.ptr, info.alpn.len) == "h2")
    start_h2(nullptr, 0);
}

namespace {
constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
}

bool Http1Session::take_h2c_preface(const char* p, size_t n) {
  backlog_.append(p, n);
  size_t k = std::min(backlog_.size(), kH2Preface.size());
  if (std::string_view(backlog_).substr(0, k) != kH2Preface.substr(0, k)) return false;
  if (backlog_.size() < kH2Preface.size()) return true;  // wait for the rest
  std::string buf;
  buf.swap(backlog_);
  start_h2(buf.data(), buf.size());
  return true;
}

void Http1Session::start_h2(const char* p, size_t n) {
  state_ = State::kH2;
  wc_.clock.disarm(this);
  parser_.reset();
  mark_http2();
  h2_ = std::make_unique<H2Connection>(static_cast<H2Owner*>(this), conn_, wc_, snap_, facts());
  if (!h2_->start()) {
    GLOG_WARN("conn %llu: HTTP/2 session could not start", static_cast<unsigned long long>(conn_->id()));
    abort();
    return;
  }
  if (wc_.draining) h2_->drain();
  if (n > 0) h2_->on_data(p, n);
}

void Http1Session::h2_arm(uint64_t ms) {
  if (ms == 0) {
    wc_.clock.disarm(this);
  } else {
    arm(ms);
  }
}

void Http1Session::on_conn_data(net::Conn*, const char* p, size_t n) {
  switch (state_) {
    case State::kProxyHeader:
      read_proxy_header(p, n);
      return;
    case State::kTunnel:
      exchange_->on_tunnel_client_data(p, n);
      return;
    case State::kH2:
      h2_->on_data(p, n);
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
    case State::kIdle:
      // A client with prior knowledge opens with the HTTP/2 preface.
      if (exchanges_ == 0 && snap_->cfg->listeners[listener()].h2c) {
        if (take_h2c_preface(p, n)) return;
        std::string held;  // not the preface: all of it is HTTP/1.1
        held.swap(backlog_);
        parse(held.data(), held.size());
        return;
      }
      parse(p, n);
      return;
    case State::kRequest:
      parse(p, n);
      return;
  }
}

// Feeds the parser until the bytes run out, the connection closes, or a
// request must wait for its response (the rest goes to the backlog). An
// exchange that ends inside the parser's callbacks is completed here, and
// parsing goes straight on with the next pipelined request.
void Http1Session::parse(const char* p, size_t n) {
  parse_some(p, n);
  if (state_ == State::kIdle && backlog_.empty()) go_idle();
}

void Http1Session::parse_some(const char* p, size_t n) {
  while (n > 0 && open()) {
    if (!exchange_) {
      ++exchanges_;
      exchange_ = std::make_unique<exchange::Exchange>(this, *snap_, wc_);
      parser_->attach(&exchange_->request(), &exchange_->arena());
      state_ = State::kRequest;
      arm(snap_->cfg->timeouts.client_head);
    }
    exchange::Exchange* counted = exchange_.get();
    // Counted before parsing: the exchange may log from inside the parser.
    // Bytes of a pipelined next request are taken back below.
    counted->count_bytes_in(static_cast<int64_t>(n));
    size_t used = 0;
    in_parse_ = true;
    http::ParseResult r = parser_->feed(p, n, &used);
    in_parse_ = false;
    if (!open()) return;
    if (r == http::ParseResult::kError) {
      ended_ = Ended::kNo;
      if (exchange_ && exchange_->answered()) {
        // The body turned out malformed after the response began: nothing
        // sane can follow on this connection.
        abort();
        return;
      }
      reject(reject_status_ ? reject_status_ : parser_->reject_status(), parser_->error_reason());
      return;
    }
    counted->count_bytes_in(-static_cast<int64_t>(n - used));
    in_parse_ = true;  // an exchange that ends now ends through ended_ too
    exchange_->on_input_settled();
    in_parse_ = false;
    if (!open()) return;
    if (r == http::ParseResult::kOk) {
      if (ended_ != Ended::kNo) complete_exchange(ended_ == Ended::kReusable);
      return;
    }
    // A request ended (kPaused), or asked to upgrade (kUpgrade).
    p += used;
    n -= used;
    if (state_ == State::kRequest) state_ = State::kWaiting;
    if (r == http::ParseResult::kUpgrade || ended_ == Ended::kNo) {
      backlog_.append(p, n);
      if (r == http::ParseResult::kUpgrade || backlog_.size() > kMaxBacklog) conn_->stop_read();
      if (ended_ != Ended::kNo) complete_exchange(ended_ == Ended::kReusable);
      return;
    }
    if (!complete_exchange(ended_ == Ended::kReusable)) return;
  }
}

int Http1Session::on_head(http::Head&) {
  if (state_ == State::kClosed) return -1;
  wc_.clock.disarm(this);
  http::RequestFraming f;
  f.chunked = parser_->chunked();
  f.has_length = parser_->has_content_length();
  f.length = parser_->content_length();
  int status = exchange_->on_request_head(f, parser_->upgrade());
  if (status != 0) {
    reject_status_ = status;
    return -1;
  }
  if (state_ == State::kRequest && !parser_->upgrade()) arm(snap_->cfg->timeouts.client_body);
  return 0;
}

void Http1Session::on_body(const char* p, size_t n) {
  if (state_ == State::kClosed || !exchange_) return;
  if (snap_->cfg->timeouts.client_body) arm(snap_->cfg->timeouts.client_body);
  exchange_->on_request_body(p, n);
}

void Http1Session::on_message_end() {
  if (state_ == State::kClosed || !exchange_) return;
  wc_.clock.disarm(this);
  if (!parser_->keep_alive()) close_after_ = true;
  if (state_ == State::kRequest) state_ = State::kWaiting;
  exchange_->on_request_end();
}

void Http1Session::reject(int status, const char* why) {
  GLOG_DEBUG("conn %llu: request rejected with %d: %s",
             static_cast<unsigned long long>(conn_->id()), status, why ? why : "");
  close_after_ = true;
  backlog_.clear();
  if (!exchange_) exchange_ = std::make_unique<exchange::Exchange>(this, *snap_, wc_);
  exchange_->refuse(status, status == 408 ? "client_timeout" : "bad_request");
}

void Http1Session::exchange_done(bool reusable) {
  if (in_parse_) {
    ended_ = reusable ? Ended::kReusable : Ended::kClose;
    return;
  }
  if (complete_exchange(reusable)) drive();
}

// The exchange is over: free it and either close or get ready for the next
// request. true when the connection can go on.
bool Http1Session::complete_exchange(bool reusable) {
  ended_ = Ended::kNo;
  exchange_.reset();
  reject_status_ = 0;
  output_ = Output::kNone;
  if (!open()) return false;
  if (!reusable || close_after_ || reading_ == Reading::kEof || wc_.draining) {
    if (reusable && can_close_at_once()) {
      abort();
    } else {
      close_gracefully();
    }
    return false;
  }
  state_ = State::kIdle;
  // Each exchange ends at a message boundary, so a fresh parser state is
  // right for whatever the client sent next.
  parser_->reset();
  return true;
}

// Between requests: parse what the client pipelined, else wait for more.
void Http1Session::drive() {
  if (state_ != State::kIdle) return;
  if (backlog_.empty()) {
    go_idle();
    return;
  }
  std::string buf;
  buf.swap(backlog_);
  parse(buf.data(), buf.size());
}

void Http1Session::go_idle() {
  backlog_.shrink_to_fit();
  if (reading_ == Reading::kOn) conn_->start_read();
  arm(snap_->cfg->timeouts.client_idle);
}

void Http1Session::pause_request() {
  if (reading_ != Reading::kOn) return;
  reading_ = Reading::kPausedByServer;
  conn_->stop_read();
}

void Http1Session::resume_request() {
  if (reading_ != Reading::kPausedByServer) return;
  reading_ = Reading::kOn;
  if (state_ == State::kRequest || state_ == State::kTunnel) conn_->start_read();
}

std::string Http1Session::begin_tunnel() {
  state_ = State::kTunnel;
  wc_.clock.disarm(this);
  if (reading_ != Reading::kEof) conn_->start_read();
  // No request follows a tunnel; an idle one should not hold a parser.
  if (!in_parse_) parser_.reset();
  std::string b;
  b.swap(backlog_);
  return b;
}

void Http1Session::on_conn_eof(net::Conn*) {
  reading_ = Reading::kEof;
  switch (state_) {
    case State::kH2:
      h2_->on_eof();
      abort();
      return;
    case State::kProxyHeader:
    case State::kIdle:
    case State::kLingering:
      abort();
      return;
    case State::kTunnel:
      exchange_->on_tunnel_client_eof();
      return;
    case State::kWaiting:
      return;  // a half-closed client may still read its response
    case State::kRequest:
      if (exchange_ && !parser_->head_done() && backlog_.empty() &&
          exchange_->request().target.empty() && exchange_->request().headers.empty()) {
        abort();  // closed between requests
        return;
      }
      if (exchange_) {
        exchange_->on_client_gone("client_aborted");
      } else {
        abort();
      }
      return;
    case State::kClosed:
      return;
  }
}

void Http1Session::on_conn_error(net::Conn*, int err) {
  GLOG_DEBUG("conn %llu: client error %s", static_cast<unsigned long long>(conn_->id()),
             uv_strerror(err));
  if (state_ == State::kH2) {
    h2_->on_eof();
    abort();
    return;
  }
  if (exchange_ && state_ != State::kLingering) {
    exchange_->on_client_gone("client_error");
    return;
  }
  abort();
}

// Client deadlines are on the worker's clock; the connection's own timer
// only reports errors, so this never runs.
void Http1Session::on_conn_timeout(net::Conn*) { on_timeout(); }

void Http1Session::on_timeout() {
  switch (state_) {
    case State::kH2:
      h2_->on_timeout();
      return;
    case State::kProxyHeader:
    case State::kIdle:
    case State::kLingering:
      abort();
      return;
    case State::kRequest:
      if (!parser_->head_done() && exchange_ && !exchange_->answered()) {
        reject(408, "request head timeout");
        return;
      }
      if (exchange_) exchange_->on_client_timeout();
      return;
    case State::kTunnel:
    case State::kWaiting:
      if (exchange_) exchange_->on_client_timeout();
      return;
    case State::kClosed:
      return;
  }
}

void Http1Session::on_conn_drained(net::Conn*) {
  if (state_ == State::kH2) {
    h2_->on_drained();
    return;
  }
  if (exchange_) exchange_->on_downstream_drained();
}

// A plain connection whose client said it is done (Connection: close, an
// HTTP/1.0 request, or its FIN), after a request read to its end, with
// nothing of it left unparsed and the whole response in the kernel's hands:
// close() then sends the response and a FIN, as nginx does, and lingering
// would only cost a shutdown, a read and an epoll update per connection.
// TLS still lingers (its close_notify goes out with shutdown_write).
bool Http1Session::can_close_at_once() const {
  return (reading_ == Reading::kEof || !parser_->keep_alive()) && backlog_.empty() &&
         !wc_.draining && !conn_->has_transport() && conn_->queued() == 0;
}

void Http1Session::close_gracefully() {
  if (!open()) return;
  // Lingering close: send our FIN after the queued response, then read and
  // drop whatever the client still sends, so an unread request in our
  // receive buffer cannot turn into a RST that destroys the response.
  state_ = State::kLingering;
  conn_->shutdown_write();
  conn_->start_read();
  arm(kLingerMs);
}

void Http1Session::abort() {
  if (state_ == State::kClosed) return;
  // The exchange may be on the stack (we can be called from its callbacks):
  // it is freed in on_conn_closed, which runs from the loop.
  state_ = State::kClosed;
  wc_.clock.disarm(this);
  conn_->close();
}

void Http1Session::on_drain() {
  if (state_ == State::kH2) {
    h2_->drain();
    return;
  }
  if (state_ == State::kIdle || state_ == State::kProxyHeader) {
    abort();
  } else {
    close_after_ = true;
  }
}

void Http1Session::on_conn_closed(net::Conn*) {
  h2_.reset();
  exchange_.reset();
  closed();
}

}  // namespace gantry::downstream
