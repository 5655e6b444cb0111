// After a 101: bytes relayed both ways with back-pressure, half-close
// propagation, and explicit timers. Frames are observed in place by modules
// that ask for it (on_tunnel_data); nothing is copied or reassembled.
#include "proxy/client_session.h"
#include "proxy/exchange.h"
#include "proxy/snapshot.h"
#include "proxy/upstream_conn.h"

namespace gantry::proxy {

// An idle tunnel should cost little more than its two connections: keep
// what the log line needs and release the heads, the arena and the
// serialization buffers (module.h documents that heads end with the tunnel).
void Exchange::shed_head_state() {
  tunnel_request_.assign(req_.method).append(" ").append(req_.target);
  size_t mlen = req_.method.size();
  req_ = http::Head();
  resp_ = http::Head();
  std::string_view line(tunnel_request_);
  req_.method = line.substr(0, mlen);
  req_.target = line.substr(mlen + 1);
  head_wire_ = std::string();
  pending_up_ = std::string();
  arena_.reset_all();
}

void Exchange::start_tunnel(const char* rest, size_t n) {
  upgraded_ = true;
  response_done_ = true;
  shed_head_state();
  const config::Timeouts& t = snap_.cfg->timeouts;
  session_->enter_tunnel();
  up_->conn()->set_timer(t.tunnel);
  session_->conn()->set_timer(t.tunnel);
  if (n > 0) tunnel_server_data(rest, n);
  std::string early = session_->take_backlog();
  if (!early.empty() && up_ != nullptr) tunnel_client_data(early.data(), early.size());
}

bool Exchange::tunnel_hooks(uint32_t dir, const char* p, size_t n) {
  const modules::Generation& gen = *snap_.gen;
  if (gen.with_tunnel_data.empty()) return true;
  if (stream_ctx_.empty()) stream_ctx_.assign(gen.instances.size(), nullptr);
  for (size_t i : gen.with_tunnel_data) {
    const modules::Instance& m = gen.instances[i];
    gantry_action_t a = m.hooks.on_tunnel_data(m.inst, this, stream_ctx_[i], dir,
                                               reinterpret_cast<const uint8_t*>(p), n);
    if (a != GANTRY_CONTINUE && a != GANTRY_DECLINED) return false;
  }
  return true;
}

void Exchange::tunnel_client_data(const char* p, size_t n) {
  if (up_ == nullptr) return;
  if (!tunnel_hooks(GANTRY_DIR_CLIENT_TO_SERVER, p, n)) {
    tunnel_close("module_closed");
    return;
  }
  net::Conn* up = up_->conn();
  up->write(p, n);
  const config::Timeouts& t = snap_.cfg->timeouts;
  if (!client_eof_in_tunnel_ && !server_eof_in_tunnel_) {
    up->set_timer(t.tunnel);
    session_->conn()->set_timer(t.tunnel);
  }
  if (up->above_high_water()) session_->pause_reading();
}

void Exchange::tunnel_server_data(const char* p, size_t n) {
  if (!tunnel_hooks(GANTRY_DIR_SERVER_TO_CLIENT, p, n)) {
    tunnel_close("module_closed");
    return;
  }
  net::Conn* c = session_->conn();
  c->write(p, n);
  const config::Timeouts& t = snap_.cfg->timeouts;
  if (!client_eof_in_tunnel_ && !server_eof_in_tunnel_) {
    c->set_timer(t.tunnel);
    if (up_ != nullptr) up_->conn()->set_timer(t.tunnel);
  }
  if (c->above_high_water() && up_ != nullptr && !up_paused_) {
    up_paused_ = true;
    up_->conn()->stop_read();
  }
}

// One side finished sending: pass the FIN on, keep the other way open until
// it ends too or client_fin expires.
void Exchange::tunnel_client_eof() {
  client_eof_in_tunnel_ = true;
  if (server_eof_in_tunnel_ || up_ == nullptr) {
    tunnel_close("closed");
    return;
  }
  up_->conn()->shutdown_write();
  uint64_t fin = snap_.cfg->timeouts.client_fin;
  up_->conn()->set_timer(fin);
  session_->conn()->set_timer(fin);
}

void Exchange::tunnel_server_eof() {
  server_eof_in_tunnel_ = true;
  if (client_eof_in_tunnel_) {
    tunnel_close("closed");
    return;
  }
  session_->conn()->shutdown_write();
  uint64_t fin = snap_.cfg->timeouts.client_fin;
  session_->conn()->set_timer(fin);
  if (up_ != nullptr) up_->conn()->set_timer(fin);
}

void Exchange::tunnel_close(const char* cause) {
  if (finished_) return;
  termination_ = cause;
  finished_ = true;
  write_log();
  run_stream_end_hooks();
  drop_upstream();
  session_->abort();
}

}  // namespace gantry::proxy
