// Request side of an exchange: validation, module hooks, routing and the
// upstream connection.
#include "proxy/exchange.h"

#include <uv.h>

#include <cstdio>

#include "http/semantics.h"
#include "loop/worker.h"
#include "proxy/client_session.h"
#include "proxy/snapshot.h"
#include "proxy/upstream_conn.h"
#include "proxy/worker_state.h"
#include "util/log.h"
#include "util/strings.h"

namespace gantry::proxy {
namespace {

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view host_without_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t e = host.find(']');
    return e == std::string_view::npos ? host : host.substr(0, e + 1);
  }
  size_t c = host.rfind(':');
  return c == std::string_view::npos ? host : host.substr(0, c);
}

// uri-host [ ":" port ]: reg-name characters, or an IPv6 literal in brackets.
bool valid_host(std::string_view h) {
  if (h.empty()) return false;
  for (char c : h) {
    unsigned char u = static_cast<unsigned char>(c);
    bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
              std::string_view("-._~!$&'()*+,;=%:[]").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Exchange::Exchange(ClientSession* session)
    : session_(session), snap_(session->snap()), http_(std::make_unique<HttpState>(this)) {
  start_us_ = uv_hrtime() / 1000;
  bytes_out_start_ = session->conn()->bytes_written();
}

Exchange::HttpState::HttpState(Exchange* ex) : resp_parser(false, ex) {
  resp_parser.attach(&resp, &arena);
  const config::Limits& lim = ex->snap_.cfg->limits;
  resp_parser.set_limits(lim.max_response_head_bytes, lim.max_response_headers, 0);
}

Exchange::~Exchange() {
  session_->worker_state()->tunnel_clock().disarm(this);
  drop_upstream();
  if (!finished_ && !method().empty()) {
    if (std::string_view(termination_) == "ok") termination_ = "aborted";
    write_log();
    run_stream_end_hooks();
  }
}

// Close the upstream connection: after a failure, or when the exchange ends
// in a state the server's side cannot be reused from.
void Exchange::drop_upstream() {
  if (up_ == nullptr) return;
  up_->attach(nullptr);
  up_->close();
  up_ = nullptr;
}

int64_t Exchange::since_start_us() const {
  return static_cast<int64_t>(uv_hrtime() / 1000 - start_us_);
}

std::string_view Exchange::method() const {
  if (http_ != nullptr) return http_->req.method;
  return std::string_view(tunnel_request_).substr(0, tunnel_method_len_);
}

std::string_view Exchange::target() const {
  if (http_ != nullptr) return http_->req.target;
  std::string_view line(tunnel_request_);
  return line.size() > tunnel_method_len_ ? line.substr(tunnel_method_len_ + 1) : std::string_view();
}

std::string_view Exchange::path() const {
  std::string_view t = target();
  size_t q = t.find('?');
  return q == std::string_view::npos ? t : t.substr(0, q);
}

std::string_view Exchange::query() const {
  std::string_view t = target();
  size_t q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

int Exchange::on_request_head() {
  t_head_ = since_start_us();
  if (http_->req.version_major != 1) return -505;
  size_t hosts = http_->req.count("host");
  if (hosts > 1 || (http_->req.version_minor >= 1 && hosts == 0)) return -400;
  if (http_->req.method == "CONNECT") return -405;  // a reverse proxy opens no tunnels by CONNECT
  std::string_view t = http_->req.target;
  if (t.empty()) return -400;
  if (t[0] != '/') {
    if (t == "*") {
      if (http_->req.method != "OPTIONS") return -400;
    } else if (starts_with_ci(t, "http://") || starts_with_ci(t, "https://")) {
      // Absolute form: the authority replaces Host (RFC 9112 3.2.2).
      size_t s = t.find("//") + 2;
      size_t e = t.find_first_of("/?", s);
      std::string_view authority = t.substr(s, e == std::string_view::npos ? t.npos : e - s);
      if (authority.empty() || authority.find('@') != std::string_view::npos) return -400;
      std::string path = e == std::string_view::npos ? "/" : std::string(t.substr(e));
      if (path[0] == '?') path.insert(0, "/");
      http_->req.target = {http_->arena.copy(path.data(), path.size()), path.size()};
      http_->req.set(http_->arena, "Host", authority);
    } else {
      return -400;
    }
  }
  for (char c : http_->req.target) {
    // Only visible ASCII in a request target (RFC 3986); raw UTF-8 and
    // controls are refused rather than passed to servers that may differ.
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return -400;
  }
  for (const http::HeaderField& h : http_->req.headers) {
    for (char c : h.value)
      if (c == '\0' || c == '\r' || c == '\n') return -400;
  }
  if (const http::HeaderField* host = http_->req.find("host"); host != nullptr && !valid_host(host->value))
    return -400;
  // A Transfer-Encoding that llhttp did not turn into chunked framing (an
  // empty value) must not travel on next to a Content-Length.
  if (http_->req.find("transfer-encoding") != nullptr && !session_->parser().chunked()) return -400;
  head_request_ = http_->req.method == "HEAD";
  http::Parser& p = session_->parser();
  if (p.chunked()) {
    req_body_ = BodyMode::kChunked;
  } else if (p.has_content_length()) {
    req_body_ = BodyMode::kLength;
    declared_length_ = p.content_length();
  }
  if (!run_request_hooks()) return 0;
  after_request_hooks();
  return 0;
}

// Module hooks first, in config order; the first that answers, closes or
// pauses ends the chain.
bool Exchange::run_request_hooks() {
  const modules::Generation& gen = *snap_.gen;
  if (gen.with_request_headers.empty()) return true;
  if (stream_ctx_.empty()) stream_ctx_.assign(gen.instances.size(), nullptr);
  auto& cctx = session_->conn_ctx();
  while (next_hook_ < gen.with_request_headers.size()) {
    size_t i = gen.with_request_headers[next_hook_++];
    const modules::Instance& m = gen.instances[i];
    gantry_action_t a =
        m.hooks.on_request_headers(m.inst, this, cctx.empty() ? nullptr : cctx[i], &stream_ctx_[i]);
    if (a == GANTRY_CONTINUE || a == GANTRY_DECLINED) continue;
    if (a == GANTRY_DONE) {
      if (!response_started_) respond_local(500, {}, nullptr, "module_error");
      return false;
    }
    if (a == GANTRY_PAUSE) {
      paused_ = true;
      return false;
    }
    termination_ = "module_closed";
    close_client_ = true;
    session_->abort();
    return false;
  }
  return true;
}

gantry_status_t Exchange::resume(int32_t action) {
  if (!paused_) return GANTRY_ERR_BUSY;
  paused_ = false;
  if (action == GANTRY_CONTINUE || action == GANTRY_DECLINED) {
    // The modules after the one that paused still get their turn.
    if (!run_request_hooks()) return GANTRY_OK;
    after_request_hooks();
  } else if (action == GANTRY_DONE) {
    if (!response_started_) respond_local(500, {}, nullptr, "module_error");
  } else {
    termination_ = "module_closed";
    session_->abort();
  }
  return GANTRY_OK;
}

void Exchange::after_request_hooks() {
  if (response_started_) return;
  check_upgrade();
  if (response_started_) return;
  if (backend_ < 0) route_core();
  if (response_started_) return;
  if (backend_ < 0) {
    respond_local(503, {}, nullptr, "no_backend");
    return;
  }
  // A chunked body can still turn out malformed; the session connects once
  // everything that arrived with the head was parsed, so a request refused
  // with 400 for its framing never reaches a server (unless the bad chunk
  // comes in a later read, when the server gets a cut request and a close).
  // A client that asked for 100-continue sends nothing until a server answers.
  const http::HeaderField* expect = http_->req.find("expect");
  if (req_body_ == BodyMode::kChunked && !request_done_ &&
      !(expect && iequals(expect->value, "100-continue"))) {
    connect_deferred_ = true;
    return;
  }
  connect_upstream();
}

void Exchange::start_deferred_connect() {
  if (!connect_deferred_) return;
  connect_deferred_ = false;
  connect_upstream();
}

void Exchange::check_upgrade() {
  const http::HeaderField* up = http_->req.find("upgrade");
  if (up == nullptr || !session_->parser().upgrade()) return;
  const modules::Generation& gen = *snap_.gen;
  if (stream_ctx_.empty() && !gen.with_upgrade.empty())
    stream_ctx_.assign(gen.instances.size(), nullptr);
  for (size_t i : gen.with_upgrade) {
    const modules::Instance& m = gen.instances[i];
    gantry_action_t a =
        m.hooks.on_upgrade(m.inst, this, stream_ctx_[i], {up->value.data(), up->value.size()});
    if (a == GANTRY_DECLINED) continue;
    if (a == GANTRY_CONTINUE) {
      upgrade_allowed_ = true;
      continue;
    }
    if (!response_started_) respond_local(400, {}, nullptr, "upgrade_refused");
    return;
  }
}

void Exchange::route_core() {
  const config::Config& cfg = *snap_.cfg;
  if (cfg.routes.empty()) {
    backend_ = cfg.backends.empty() ? -1 : 0;
    return;
  }
  std::string_view p = path();
  const http::HeaderField* host = http_->req.find("host");
  std::string_view hostname = host ? host_without_port(host->value) : std::string_view();
  for (const config::Route& r : cfg.routes) {
    if (!r.path_prefix.empty() && p.substr(0, r.path_prefix.size()) != r.path_prefix) continue;
    if (!r.host.empty() && !iequals(hostname, r.host)) continue;
    if (r.has_respond) {
      respond_local(r.respond.status, r.respond.body, &r.respond.headers, "ok");
      return;
    }
    backend_ = r.backend;
    return;
  }
}

gantry_status_t Exchange::route_to(std::string_view backend) {
  int idx = snap_.cfg->backend_index(backend);
  if (idx < 0) return GANTRY_ERR_NOENT;
  backend_ = idx;
  return GANTRY_OK;
}

std::string_view Exchange::route_backend() const {
  if (backend_ < 0) return {};
  return snap_.cfg->backends[backend_].name;
}

void Exchange::log_note(std::string_view key, std::string_view value) {
  if (!notes_.empty()) notes_ += ' ';
  notes_.append(key);
  notes_ += '=';
  notes_.append(value);
}

void Exchange::connect_upstream() {
  const config::Backend& b = snap_.cfg->backends[backend_];
  uint32_t w = session_->worker_state()->worker()->index();
  upstream::BalancerState& bal = snap_.balancers[w][backend_];
  server_ = -1;
  if (!http_->balance_key.empty()) {
    // A module named the server (or a key to hash).
    server_ = bal.find_up(http_->balance_key);
    if (server_ < 0) server_ = bal.pick(http_->balance_key, -1);
  } else if (b.balance == config::Balance::kCookie) {
    std::string_view v = take_cookie(b.cookie_name);
    if (!v.empty()) server_ = bal.find_up(v);
    if (server_ < 0) {
      server_ = bal.pick({}, -1);
      set_cookie_ = server_ >= 0;
    }
  } else if (b.balance == config::Balance::kSourceHash) {
    server_ = bal.pick(session_->client_ip(), -1);
  } else {
    server_ = bal.pick({}, -1);
  }
  if (server_ < 0) {
    respond_local(503, {}, nullptr, "no_server");
    return;
  }
  if (!request_sent_ && attempts_ == 0) send_request_head();
  if (!try_connect(server_)) fail_upstream(502, "connect_failed");
}

// Cookie persistence, "indirect": our cookie picks the server and is removed
// from what the server sees. Returns its value (empty if absent).
std::string_view Exchange::take_cookie(const std::string& name) {
  std::string_view found;
  for (http::HeaderField& h : http_->req.headers) {
    if (h.name.empty() || !iequals(h.name, "cookie")) continue;
    std::string kept;
    std::string_view v = h.value;
    bool removed = false;
    while (!v.empty()) {
      size_t semi = v.find(';');
      std::string_view pair = v.substr(0, semi);
      v = semi == std::string_view::npos ? std::string_view() : v.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
        found = pair.substr(eq + 1);
        removed = true;
        continue;
      }
      if (pair.empty()) continue;
      if (!kept.empty()) kept += "; ";
      kept.append(pair);
    }
    if (!removed) continue;
    if (kept.empty()) {
      h.name = {};
      --http_->req.live_headers;
    } else {
      h.value = {http_->arena.copy(kept.data(), kept.size()), kept.size()};
    }
  }
  return found;
}

bool Exchange::try_connect(int server) {
  const config::Backend& b = snap_.cfg->backends[backend_];
  const config::Server& s = b.servers[server];
  const modules::ScopeState& scope = snap_.gen->backends[backend_];
  WorkerState* ws = session_->worker_state();
  ++attempts_;
  request_sent_ = false;
  // Pool identity: the address, and the transport context when re-encrypting.
  std::string key = s.address.text;
  if (scope.tls.tctx != nullptr) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "|tls%p", scope.tls.tctx);
    key += buf;
  }
  server_label_ = s.address.text;
  if (UpstreamConn* idle = ws->take_idle(key)) {
    reused_ = true;
    up_ = idle;
    up_->attach(this);
    up_->mark_used();
    t_connect_ = since_start_us();
    flush_pending_upstream();
    up_->conn()->set_timer(b.server_timeout ? b.server_timeout : snap_.cfg->timeouts.server);
    return true;
  }
  reused_ = false;
  up_ = new UpstreamConn(ws, key, snap_.cfg->timeouts.upstream_idle);
  up_->server_name = s.address.text;
  up_->attach(this);
  up_->mark_used();
  net::Conn* c = up_->conn();
  if (c->open_socket(s.address.sa.ss_family) != 0) return false;
  const modules::Generation& gen = *snap_.gen;
  for (size_t i : gen.with_connect_upstream) {
    const modules::Instance& m = gen.instances[i];
    void* sctx = i < scope.scope_ctx.size() ? scope.scope_ctx[i] : nullptr;
    gantry_action_t a = m.hooks.on_connect_upstream(m.inst, sctx, this, c->fd(),
                                                   (request_sent_ ? 0 : http_->head_wire.size()) + http_->pending_up.size());
    if (a != GANTRY_CONTINUE && a != GANTRY_DECLINED) return false;
  }
  if (scope.tls.transport != nullptr) {
    gantry_sess_params_t params{};
    params.struct_size = sizeof params;
    params.is_server = 0;
    const std::string& sni = b.tls_server_name;
    params.server_name = {sni.data(), sni.size()};
    if (c->set_transport(scope.tls.transport, scope.tls.tctx, params) != 0) return false;
  }
  if (c->connect(reinterpret_cast<const sockaddr*>(&s.address.sa)) != 0) return false;
  c->set_timer(b.connect_timeout ? b.connect_timeout : snap_.cfg->timeouts.connect);
  return true;
}

void Exchange::upstream_connected(int status) {
  if (status != 0) {
    GLOG_WARN("backend %s: connect to %s failed: %s", route_backend().data(),
              up_ ? up_->server_name.c_str() : "?", uv_strerror(status));
    size_t nservers = snap_.cfg->backends[backend_].servers.size();
    drop_upstream();
    if (!body_started_ && attempts_ < 3 && static_cast<size_t>(attempts_) < nservers + 1) {
      tried_server_ = server_;
      uint32_t w = session_->worker_state()->worker()->index();
      int next = snap_.balancers[w][backend_].pick({}, tried_server_);
      if (next >= 0 && next != tried_server_) {
        server_ = next;
        if (try_connect(server_)) return;
      }
    }
    fail_upstream(502, "connect_failed");
    return;
  }
  up_->set_connected();
  t_connect_ = since_start_us();
  const config::Backend& b = snap_.cfg->backends[backend_];
  up_->conn()->start_read();
  up_->conn()->set_timer(b.server_timeout ? b.server_timeout : snap_.cfg->timeouts.server);
  flush_pending_upstream();
}

// The request head as it goes to the server: hop-by-hop fields dropped,
// framing rewritten from what the parser established, forwarding headers added.
void Exchange::send_request_head() {
  const config::Config& cfg = *snap_.cfg;
  std::string& out = http_->head_wire;
  out.clear();
  out.reserve(512);
  out.append(http_->req.method);
  out += ' ';
  out.append(http_->req.target);
  out.append(" HTTP/1.1\r\n");
  std::string xff_joined;
  const http::HopByHop hop(http_->req);
  for (const http::HeaderField& h : http_->req.headers) {
    if (h.name.empty()) continue;
    if (hop(h.name)) continue;
    if (iequals(h.name, "content-length")) continue;
    if (cfg.proxy.x_forwarded_for && iequals(h.name, "x-forwarded-for")) {
      if (!xff_joined.empty()) xff_joined += ", ";
      xff_joined.append(h.value);
      continue;
    }
    if (cfg.proxy.x_forwarded_proto && iequals(h.name, "x-forwarded-proto")) continue;
    out.append(h.name);
    out.append(": ");
    out.append(h.value);
    out.append("\r\n");
  }
  if (cfg.proxy.x_forwarded_for) {
    out.append("X-Forwarded-For: ");
    if (!xff_joined.empty()) {
      out.append(xff_joined);
      out.append(", ");
    }
    out.append(session_->client_ip());
    out.append("\r\n");
  }
  if (cfg.proxy.x_forwarded_proto)
    out.append(session_->is_tls() ? "X-Forwarded-Proto: https\r\n" : "X-Forwarded-Proto: http\r\n");
  if (cfg.proxy.via) out.append(http_->req.version_minor == 0 ? "Via: 1.0 gantry\r\n" : "Via: 1.1 gantry\r\n");
  if (upgrade_allowed_) {
    const http::HeaderField* up = http_->req.find("upgrade");
    out.append("Connection: upgrade\r\nUpgrade: ");
    out.append(up->value);
    out.append("\r\n");
  }
  if (req_body_ == BodyMode::kLength) {
    char buf[48];
    int n = std::snprintf(buf, sizeof buf, "Content-Length: %llu\r\n",
                          static_cast<unsigned long long>(declared_length_));
    out.append(buf, n);
  } else if (req_body_ == BodyMode::kChunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
  out.append("\r\n");
}

void Exchange::flush_pending_upstream() {
  if (up_ == nullptr || !up_->connected()) return;
  net::Conn* c = up_->conn();
  if (!request_sent_) {
    request_sent_ = true;
    if (http_->pending_up.empty()) {
      c->write(http_->head_wire.data(), http_->head_wire.size());
    } else {
      uv_buf_t bufs[2] = {uv_buf_init(http_->head_wire.data(), static_cast<unsigned>(http_->head_wire.size())),
                          uv_buf_init(http_->pending_up.data(), static_cast<unsigned>(http_->pending_up.size()))};
      c->writev(bufs, 2);
      body_started_ = true;
      http_->pending_up.clear();
    }
  } else if (!http_->pending_up.empty()) {
    c->write(http_->pending_up.data(), http_->pending_up.size());
    body_started_ = true;
    http_->pending_up.clear();
  }
  if (c->above_high_water()) session_->pause_reading();
  else session_->resume_reading();
}

void Exchange::write_upstream(const char* p, size_t n) {
  if (up_ != nullptr && up_->connected() && request_sent_ && http_->pending_up.empty()) {
    body_started_ = true;
    up_->conn()->write(p, n);
    if (up_->conn()->above_high_water()) session_->pause_reading();
    return;
  }
  http_->pending_up.append(p, n);
  if (http_->pending_up.size() > net::Conn::kHighWater) session_->pause_reading();
}

void Exchange::write_upstream_chunk(const char* p, size_t n) {
  char size_line[24];
  int len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
  if (up_ != nullptr && up_->connected() && request_sent_ && http_->pending_up.empty()) {
    body_started_ = true;
    uv_buf_t bufs[3] = {uv_buf_init(size_line, static_cast<unsigned>(len)),
                        uv_buf_init(const_cast<char*>(p), static_cast<unsigned>(n)),
                        uv_buf_init(const_cast<char*>("\r\n"), 2)};
    up_->conn()->writev(bufs, 3);
    if (up_->conn()->above_high_water()) session_->pause_reading();
    return;
  }
  http_->pending_up.append(size_line, len);
  http_->pending_up.append(p, n);
  http_->pending_up.append("\r\n");
  if (http_->pending_up.size() > net::Conn::kHighWater) session_->pause_reading();
}

void Exchange::on_request_body(const char* p, size_t n) {
  if (response_started_ && up_ == nullptr) return;  // answered locally: discard
  if (req_body_ == BodyMode::kChunked) {
    write_upstream_chunk(p, n);
  } else {
    write_upstream(p, n);
  }
}

void Exchange::on_request_end() {
  request_done_ = true;
  if (req_body_ == BodyMode::kChunked && !(response_started_ && up_ == nullptr))
    write_upstream("0\r\n\r\n", 5);
  maybe_finish();
}

void Exchange::upstream_drained() { session_->resume_reading(); }

void Exchange::client_timeout() {
  if (upgraded_) {
    tunnel_timeout();
    return;
  }
  if (!response_started_) {
    close_client_ = true;
    drop_upstream();
    respond_local(408, {}, nullptr, "client_timeout");
    return;
  }
  termination_ = "client_timeout";
  session_->abort();
}

void Exchange::client_gone(const char* cause) {
  termination_ = cause;
  drop_upstream();
  session_->abort();
}

}  // namespace gantry::proxy
