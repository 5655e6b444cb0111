// Response side of an exchange: relaying the server's answer, local answers,
// and the end of the exchange (log, hooks, connection reuse).
#include <uv.h>

#include <cstdio>

#include "http/semantics.h"
#include "proxy/client_session.h"
#include "proxy/exchange.h"
#include "proxy/snapshot.h"
#include "proxy/upstream_conn.h"
#include "proxy/access_log.h"
#include "util/log.h"
#include "util/strings.h"

namespace gantry::proxy {
namespace {

// The termination cause of a response the parser refused.
const char* bad_response_cause(http::ParseError e) {
  switch (e) {
    case http::ParseError::kHeadSyntax: return "bad_response_head";
    case http::ParseError::kHeadTooLarge: return "response_head_too_large";
    case http::ParseError::kFraming: return "bad_response_framing";
    case http::ParseError::kBody: return "bad_response_body";
    default: return "bad_response";
  }
}

}  // namespace

void Exchange::upstream_data(const char* p, size_t n) {
  if (upgraded_) {
    tunnel_server_data(p, n);
    return;
  }
  if (t_response_ < 0) t_response_ = since_start_us();
  const config::Backend& b = snap_.cfg->backends[backend_];
  up_->conn()->set_timer(b.server_timeout ? b.server_timeout : snap_.cfg->timeouts.server);
  while (n > 0) {
    size_t used = 0;
    in_resp_parse_ = true;
    http::ParseResult r = http_->resp_parser.feed(p, n, &used);
    in_resp_parse_ = false;
    if (r == http::ParseResult::kOk) {
      flush_response_head();
      break;
    }
    if (r == http::ParseResult::kError) {
      const char* cause = bad_response_cause(http_->resp_parser.error_kind());
      GLOG_WARN("backend %s server %s: malformed response (%s): %s", route_backend().data(),
                up_ ? up_->server_name.c_str() : "?", cause, http_->resp_parser.error_reason());
      if (resp_head_pending_) {
        // The head is composed but nothing of it reached the client: drop it
        // and answer 502 instead.
        resp_head_pending_ = false;
        response_started_ = false;
      }
      if (!response_started_) {
        fail_upstream(502, cause);
      } else {
        termination_ = cause;
        session_->abort();
      }
      return;
    }
    if (r == http::ParseResult::kUpgrade) {
      if (http_->resp.status == 101 && upgrade_allowed_) {
        start_tunnel(p + used, n - used);
        return;
      }
      fail_upstream(502, "bad_response");
      return;
    }
    // kPaused: a message ended.
    p += used;
    n -= used;
    if (hand_back_pending_ || finished_) {
      // Bytes after a complete response: the server is not speaking HTTP/1.1
      // keep-alive correctly, so the connection cannot be reused.
      break;
    }
    // An interim (1xx) response ended: parse the next head fresh.
    http_->resp_parser.reset();
    http_->resp.clear();
  }
  if (hand_back_pending_) {
    hand_back_pending_ = false;
    session_->exchange_done(!close_client_);
  }
}

int Exchange::on_head(http::Head& head) {
  if (head.status >= 100 && head.status < 200 && head.status != 101) {
    interim_ = true;
    if (http_->req.version_minor >= 1) {
      std::string& out = http_->head_wire;  // the request head is sent by now
      out.clear();
      char line[64];
      int len = std::snprintf(line, sizeof line, "HTTP/1.1 %d %.*s\r\n", head.status,
                              static_cast<int>(http::reason_phrase(head.status).size()),
                              http::reason_phrase(head.status).data());
      out.append(line, len);
      const http::HopByHop hop(head);
      for (const http::HeaderField& h : head.headers) {
        if (h.name.empty() || hop(h.name)) continue;
        out.append(h.name).append(": ").append(h.value).append("\r\n");
      }
      out.append("\r\n");
      session_->send(out.data(), out.size());
    }
    return 0;
  }
  interim_ = false;
  if (head.status == 101) {
    if (!upgrade_allowed_) return -1;
    std::string out = "HTTP/1.1 101 Switching Protocols\r\n";
    const http::HopByHop hop(head);
    for (const http::HeaderField& h : head.headers) {
      if (h.name.empty()) continue;
      if (iequals(h.name, "connection") || iequals(h.name, "upgrade") || !hop(h.name)) {
        out.append(h.name).append(": ").append(h.value).append("\r\n");
      }
    }
    out.append("\r\n");
    status_ = 101;
    switching_ = true;  // the tunnel starts when the parser hands back the rest
    response_started_ = true;
    session_->send(out.data(), out.size());
    return 0;
  }
  const modules::Generation& gen = *snap_.gen;
  if (!gen.with_response_headers.empty()) {
    if (stream_ctx_.empty()) stream_ctx_.assign(gen.instances.size(), nullptr);
    for (size_t i : gen.with_response_headers) {
      const modules::Instance& m = gen.instances[i];
      gantry_action_t a = m.hooks.on_response_headers(m.inst, this, stream_ctx_[i]);
      if (a == GANTRY_CONTINUE || a == GANTRY_DECLINED) continue;
      return -1;  // a module refused the response
    }
  }
  send_response_head();
  return head_request_ ? 1 : 0;
}

void Exchange::send_response_head() {
  const http::Head& h = http_->resp;
  bool client11 = http_->req.version_minor >= 1;
  bool client_wants_close = !session_->parser().keep_alive() && request_done_;
  const http::HeaderField* conn_hdr = http_->req.find("connection");
  if (conn_hdr && list_has_token(conn_hdr->value, "close")) client_wants_close = true;
  if (!client11 && !(conn_hdr && list_has_token(conn_hdr->value, "keep-alive")))
    client_wants_close = true;

  bool no_body = head_request_ || http::status_has_no_body(h.status);
  if (no_body) {
    resp_body_ = BodyMode::kNone;
  } else if (http_->resp_parser.has_content_length()) {
    resp_body_ = BodyMode::kLength;
  } else if (client11) {
    resp_body_ = BodyMode::kChunked;
  } else {
    resp_body_ = BodyMode::kUntilClose;
    close_client_ = true;
  }
  if (client_wants_close || session_->worker_state_draining()) close_client_ = true;

  std::string& out = http_->head_wire;
  out.clear();
  out.reserve(512);
  char line[96];
  std::string_view reason = h.reason.empty() ? http::reason_phrase(h.status) : h.reason;
  int len = std::snprintf(line, sizeof line, "HTTP/1.1 %d ", h.status);
  out.append(line, len).append(reason).append("\r\n");
  const http::HopByHop hop(h);
  for (const http::HeaderField& f : h.headers) {
    if (f.name.empty() || hop(f.name)) continue;
    if (!no_body && iequals(f.name, "content-length")) continue;
    out.append(f.name).append(": ").append(f.value).append("\r\n");
  }
  if (set_cookie_ && backend_ >= 0 && server_ >= 0) {
    const config::Backend& b = snap_.cfg->backends[backend_];
    out.append("Set-Cookie: ").append(b.cookie_name).append("=");
    out.append(b.servers[server_].name).append("; Path=/; HttpOnly\r\n");
    // "nocache": a shared cache must not hand one client's cookie to another.
    if (h.find("cache-control") == nullptr) out.append("Cache-Control: private\r\n");
  }
  if (resp_body_ == BodyMode::kLength) {
    len = std::snprintf(line, sizeof line, "Content-Length: %llu\r\n",
                        static_cast<unsigned long long>(http_->resp_parser.content_length()));
    out.append(line, len);
  } else if (resp_body_ == BodyMode::kChunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
  if (close_client_) {
    out.append("Connection: close\r\n");
  } else if (!client11) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  status_ = h.status;
  response_started_ = true;
  // Held back so the head and the first body bytes (often all of them) leave
  // in one write; flush_response_head() sends it if no body comes soon.
  resp_head_pending_ = true;
}

void Exchange::flush_response_head() {
  if (!resp_head_pending_) return;
  resp_head_pending_ = false;
  session_->send(http_->head_wire.data(), http_->head_wire.size());
}

void Exchange::write_client_body(const char* p, size_t n) {
  net::Conn* c = session_->conn();
  uv_buf_t bufs[4];
  int nb = 0;
  if (resp_head_pending_) {
    resp_head_pending_ = false;
    bufs[nb++] = uv_buf_init(http_->head_wire.data(), static_cast<unsigned>(http_->head_wire.size()));
  }
  char size_line[24];
  if (resp_body_ == BodyMode::kChunked) {
    int len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
    bufs[nb++] = uv_buf_init(size_line, static_cast<unsigned>(len));
    bufs[nb++] = uv_buf_init(const_cast<char*>(p), static_cast<unsigned>(n));
    bufs[nb++] = uv_buf_init(const_cast<char*>("\r\n"), 2);
  } else if (resp_body_ != BodyMode::kNone) {
    bufs[nb++] = uv_buf_init(const_cast<char*>(p), static_cast<unsigned>(n));
  }
  if (nb > 0) c->writev(bufs, nb);
  // Back-pressure: a slow client stops reads from the server.
  if (c->above_high_water() && up_ != nullptr && !up_paused_) {
    up_paused_ = true;
    up_->conn()->stop_read();
  }
}

void Exchange::client_drained() {
  if (up_paused_ && up_ != nullptr) {
    up_paused_ = false;
    up_->conn()->start_read();
  }
}

void Exchange::on_body(const char* p, size_t n) { write_client_body(p, n); }

void Exchange::on_message_end() {
  if (interim_ || switching_) return;  // a final response or the tunnel follows
  if (resp_body_ == BodyMode::kChunked) {
    if (resp_head_pending_) http_->head_wire.append("0\r\n\r\n");
    else session_->send("0\r\n\r\n", 5);
  }
  flush_response_head();
  response_done_ = true;
  upstream_reusable_ = http_->resp_parser.keep_alive() && request_done_;
  if (!request_done_) close_client_ = true;  // answered before the body ended
  maybe_finish();
}

void Exchange::upstream_eof() {
  if (upgraded_) {
    tunnel_server_eof();
    return;
  }
  if (response_started_ && http_->resp_parser.in_message()) {
    // A body delimited by the close of the connection ends here.
    upstream_reusable_ = false;
    in_resp_parse_ = true;
    bool ok = http_->resp_parser.finish();
    in_resp_parse_ = false;
    if (ok && response_done_) {
      if (hand_back_pending_) {
        hand_back_pending_ = false;
        session_->exchange_done(!close_client_);
      }
      return;
    }
    termination_ = "server_aborted";
    session_->abort();
    return;
  }
  upstream_error(UV_EOF);
}

void Exchange::upstream_error(int err) {
  if (upgraded_) {
    tunnel_close(err == UV_EOF ? "server_closed" : "server_error");
    return;
  }
  if (response_started_) {
    termination_ = "server_aborted";
    session_->abort();
    return;
  }
  // A pooled connection the server closed just as we reused it: try once
  // more on a fresh one if nothing of the body is gone.
  if (up_ != nullptr && up_->reused() && t_response_ < 0 && !body_started_ && attempts_ < 3) {
    drop_upstream();
    if (try_connect(server_)) return;
  }
  GLOG_WARN("backend %s server %s: %s before a response", route_backend().data(),
            up_ ? up_->server_name.c_str() : "?", uv_strerror(err));
  fail_upstream(502, err == UV_EOF ? "server_closed" : "server_error");
}

void Exchange::upstream_timeout() {
  if (upgraded_) {
    tunnel_timeout();
    return;
  }
  if (up_ != nullptr && !up_->connected()) {
    GLOG_WARN("backend %s: connect to %s timed out", route_backend().data(),
              up_->server_name.c_str());
    fail_upstream(504, "connect_timeout");
    return;
  }
  if (response_started_) {
    termination_ = "server_timeout";
    session_->abort();
    return;
  }
  fail_upstream(504, "server_timeout");
}

void Exchange::fail_upstream(int status, const char* termination) {
  drop_upstream();
  if (response_started_) {
    termination_ = termination;
    session_->abort();
    return;
  }
  if (!request_done_) close_client_ = true;
  respond_local(status, {}, nullptr, termination);
}

void Exchange::respond_local(int status, std::string_view body,
                             const std::vector<std::pair<std::string, std::string>>* headers,
                             const char* termination) {
  if (response_started_) return;
  std::string generated;
  if (body.empty() && status >= 400) {
    generated = std::to_string(status) + " " + std::string(http::reason_phrase(status)) + "\n";
    body = generated;
  }
  bool has_type = false;
  std::string out;
  out.reserve(256 + body.size());
  char line[96];
  int len = std::snprintf(line, sizeof line, "HTTP/1.1 %d ", status);
  out.append(line, len).append(http::reason_phrase(status)).append("\r\n");
  if (headers != nullptr) {
    for (const auto& h : *headers) {
      if (iequals(h.first, "content-type")) has_type = true;
      out.append(h.first).append(": ").append(h.second).append("\r\n");
    }
  }
  if (!has_type && !body.empty()) out.append("Content-Type: text/plain\r\n");
  len = std::snprintf(line, sizeof line, "Content-Length: %zu\r\n", body.size());
  out.append(line, len);
  if (!session_->parser().head_done() || (!session_->parser().keep_alive() && request_done_))
    close_client_ = true;
  if (close_client_) out.append("Connection: close\r\n");
  out.append("\r\n");
  if (!head_request_) out.append(body);
  status_ = status;
  termination_ = termination;
  response_started_ = true;
  response_done_ = true;
  session_->send(out.data(), out.size());
  maybe_finish();
}

gantry_status_t Exchange::respond_from_module(int status, const gantry_header_t* headers,
                                              size_t n, std::string_view body) {
  if (response_started_) return GANTRY_ERR_BUSY;
  if (status < 100 || status > 599) return GANTRY_ERR_INVAL;
  std::vector<std::pair<std::string, std::string>> hs;
  hs.reserve(n);
  for (size_t i = 0; i < n; ++i)
    hs.emplace_back(std::string(headers[i].name.ptr, headers[i].name.len),
                    std::string(headers[i].value.ptr, headers[i].value.len));
  respond_local(status, body, &hs, "local");
  return GANTRY_OK;
}

void Exchange::maybe_finish() {
  if (finished_ || !response_done_) return;
  if (!request_done_ && !close_client_) return;
  finish();
}

void Exchange::finish() {
  finished_ = true;
  if (up_ != nullptr) {
    UpstreamConn* u = up_;
    up_ = nullptr;
    u->attach(nullptr);
    u->release(upstream_reusable_ && request_done_ && response_done_);
  }
  write_log();
  run_stream_end_hooks();
  hand_back();
}

void Exchange::hand_back() {
  if (in_resp_parse_) {
    hand_back_pending_ = true;
    return;
  }
  session_->exchange_done(!close_client_);
}

void Exchange::run_stream_end_hooks() {
  const modules::Generation& gen = *snap_.gen;
  if (stream_ctx_.empty()) return;
  for (size_t i : gen.with_stream_end) {
    const modules::Instance& m = gen.instances[i];
    m.hooks.on_stream_end(m.inst, this, stream_ctx_[i]);
  }
  stream_ctx_.clear();
}

void Exchange::write_log() {
  const modules::Generation& gen = *snap_.gen;
  if (snap_.access_fd < 0 && gen.with_log.empty()) return;
  AccessRecord r;
  r.status = status_;
  r.method = method();
  r.target = target();
  r.backend = route_backend();
  r.server = server_label_;
  r.termination = termination_;
  r.bytes_in = bytes_in_;
  r.bytes_out = session_->conn()->bytes_written() - bytes_out_start_;
  r.t_head = t_head_;
  r.t_connect = t_connect_;
  r.t_response = t_response_;
  r.t_total = since_start_us();
  r.upgraded = upgraded_;
  r.reused = reused_;
  r.client = session_->client_ip();
  // Log hooks first: what they add with log_note belongs on this line.
  if (!gen.with_log.empty()) {
    gantry_log_record_t rec = to_log_record(r);
    for (size_t i : gen.with_log) {
      const modules::Instance& m = gen.instances[i];
      m.hooks.on_log(m.inst, this, stream_ctx_.empty() ? nullptr : stream_ctx_[i], &rec);
    }
  }
  if (snap_.access_fd < 0) return;
  std::string notes;
  if (session_->is_tls()) {
    // TLS facts from the transport, as bytes, like any module sees them.
    gantry_tls_info_t ti{};
    ti.struct_size = sizeof ti;
    if (session_->conn()->transport_info(&ti) == GANTRY_OK) {
      auto add = [&notes](const char* k, gantry_str_t v) {
        if (v.len == 0) return;
        if (!notes.empty()) notes += ' ';
        notes.append(k).append(v.ptr, v.len);
      };
      add("tls=", ti.version);
      add("sni=", ti.sni);
      add("cipher=", ti.cipher);
      if (ti.peer_verified) add("client=", ti.peer_subject);
    }
    if (!notes_.empty()) notes += ' ';
  }
  notes += notes_;
  r.notes = notes;
  write_access_line(snap_.access_fd, r);
}

}  // namespace gantry::proxy
