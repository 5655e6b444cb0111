// After a 101: bytes relayed both ways with back-pressure, half-close
// propagation, and explicit timers. Frames are observed in place by modules
// that ask for it (on_tunnel_data); nothing is copied or reassembled.
#include "proxy/client_session.h"
#include "proxy/exchange.h"
#include "proxy/snapshot.h"
#include "proxy/upstream_conn.h"
#include "proxy/worker_state.h"

namespace gantry::proxy {

// An idle tunnel should cost little more than its two connections: keep
// what the log line needs and release the heads, the arena, the response
// parser and the serialization buffers (module.h documents that heads end
// with the tunnel).
void Exchange::shed_head_state() {
  const http::Head& req = http_->req;
  tunnel_request_.assign(req.method).append(" ").append(req.target);
  tunnel_method_len_ = static_cast<uint32_t>(req.method.size());
  http_.reset();
}

// A tunnel has one deadline for both sides, on the worker's TunnelClock:
// any byte either way pushes it back, so a timeout means both were quiet.
void Exchange::arm_tunnel_timer(uint64_t ms) {
  session_->worker_state()->tunnel_clock().arm(this, ms);
}

void Exchange::on_tunnel_deadline(TunnelClock::Entry* e) {
  static_cast<Exchange*>(e)->tunnel_timeout();
}

void Exchange::start_tunnel(const char* rest, size_t n) {
  upgraded_ = true;
  response_done_ = true;
  shed_head_state();
  session_->enter_tunnel();
  session_->conn()->release_timer();
  up_->conn()->release_timer();
  arm_tunnel_timer(snap_.cfg->timeouts.tunnel);
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
  uint64_t idle = snap_.cfg->timeouts.tunnel;
  if (idle != 0 && !client_eof_in_tunnel_ && !server_eof_in_tunnel_) arm_tunnel_timer(idle);
  if (up->above_high_water()) session_->pause_reading();
}

void Exchange::tunnel_server_data(const char* p, size_t n) {
  if (!tunnel_hooks(GANTRY_DIR_SERVER_TO_CLIENT, p, n)) {
    tunnel_close("module_closed");
    return;
  }
  net::Conn* c = session_->conn();
  c->write(p, n);
  uint64_t idle = snap_.cfg->timeouts.tunnel;
  if (idle != 0 && !client_eof_in_tunnel_ && !server_eof_in_tunnel_) arm_tunnel_timer(idle);
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
  arm_tunnel_timer(snap_.cfg->timeouts.client_fin);
}

void Exchange::tunnel_server_eof() {
  server_eof_in_tunnel_ = true;
  if (client_eof_in_tunnel_) {
    tunnel_close("closed");
    return;
  }
  session_->conn()->shutdown_write();
  arm_tunnel_timer(snap_.cfg->timeouts.client_fin);
}

// The tunnel's timer fired: name the side that kept the tunnel waiting.
void Exchange::tunnel_timeout() {
  if (!client_eof_in_tunnel_ && !server_eof_in_tunnel_) {
    tunnel_close("tunnel_idle_timeout");
  } else {
    tunnel_close(client_eof_in_tunnel_ ? "server_fin_timeout" : "client_fin_timeout");
  }
}

void Exchange::tunnel_close(const char* cause) {
  if (finished_) return;
  termination_ = cause;
  finished_ = true;
  arm_tunnel_timer(0);
  write_log();
  run_stream_end_hooks();
  drop_upstream();
  session_->abort();
}

}  // namespace gantry::proxy
