#include "exchange/tunnel.h"

#include <uv.h>

namespace gantry::exchange {

Tunnel::Tunnel(TunnelOwner* owner, Downstream* down, upstream::UpstreamConn* up,
               loop::DeadlineClock* clock, Timeouts t)
    : Entry(on_deadline), owner_(owner), down_(down), up_(up), clock_(clock), timeouts_(t) {
  up_->hand_over(this);
  // The tunnel's deadline replaces the connection's own.
  up_->disarm();
  clock_->arm(this, timeouts_.idle_ms);
}

Tunnel::~Tunnel() {
  clock_->disarm(this);
  if (up_ != nullptr) up_->close();
}

void Tunnel::on_deadline(loop::DeadlineClock::Entry* e) { static_cast<Tunnel*>(e)->timed_out(); }

void Tunnel::start(const char* server_bytes, size_t n, const std::string& client_bytes) {
  if (n > 0) on_upstream_data(server_bytes, n);
  if (!client_bytes.empty()) from_client(client_bytes.data(), client_bytes.size());
}

void Tunnel::touch() {
  if (ends_ == Ends::kOpen && timeouts_.idle_ms != 0) clock_->arm(this, timeouts_.idle_ms);
}

namespace {
constexpr uint64_t kRefusalLingerMs = 1000;
}  // namespace

bool Tunnel::inject(uint32_t dir, const char* p, size_t n) {
  if (ends_ == Ends::kClosed || closing()) return false;
  refusal_ = Refusal::kDrain;
  if (dir == GANTRY_DIR_CLIENT_TO_SERVER) {
    up_->conn()->write(p, n);
  } else {
    down_->tunnel_send(p, n);
  }
  return true;
}

// A module refused the bytes: cut the tunnel, or, if the module wrote into
// it (a Close frame, say), let that go out and shut both directions down.
void Tunnel::refused() {
  if (refusal_ == Refusal::kCut) {
    close("module_closed");
    return;
  }
  ends_ = Ends::kClosing;
  down_->tunnel_shutdown();
  up_->conn()->shutdown_write();
  // Lingering, as after an HTTP error: what the peers still send is read and
  // dropped, so a close() with unread bytes cannot reset the connection
  // before they read the module's last words. Bounded by kRefusalLingerMs
  // (or a shorter fin timeout): peers that never close cost no more.
  uint64_t linger = kRefusalLingerMs;
  if (timeouts_.fin_ms != 0 && timeouts_.fin_ms < linger) linger = timeouts_.fin_ms;
  clock_->arm(this, linger);
}

void Tunnel::closing_eof() {
  if (ends_ == Ends::kClosing) {
    ends_ = Ends::kClosingHalf;
  } else {
    close("module_closed");
  }
}

void Tunnel::from_client(const char* p, size_t n) {
  if (ends_ == Ends::kClosed || closing()) return;
  if (!owner_->observe(GANTRY_DIR_CLIENT_TO_SERVER, p, n)) {
    refused();
    return;
  }
  net::Conn* c = up_->conn();
  c->write(p, n);
  touch();
  if (c->above_high_water()) down_->pause_request();
}

void Tunnel::on_upstream_data(const char* p, size_t n) {
  if (ends_ == Ends::kClosed || closing()) return;
  if (!owner_->observe(GANTRY_DIR_SERVER_TO_CLIENT, p, n)) {
    refused();
    return;
  }
  down_->tunnel_send(p, n);
  touch();
  if (down_->congested()) up_->conn()->stop_read();
}

void Tunnel::on_upstream_drained() { down_->resume_request(); }

void Tunnel::on_downstream_drained() {
  if (ends_ != Ends::kClosed) up_->conn()->start_read();
}

// One side finished sending: pass the FIN on, keep the other way open until
// it ends too or the fin timeout runs out.
void Tunnel::client_eof() {
  if (closing()) {
    closing_eof();
    return;
  }
  if (ends_ == Ends::kServerDone) {
    close("closed");
    return;
  }
  if (ends_ != Ends::kOpen) return;
  ends_ = Ends::kClientDone;
  up_->conn()->shutdown_write();
  clock_->arm(this, timeouts_.fin_ms);
}

void Tunnel::on_upstream_eof() {
  if (closing()) {
    closing_eof();
    return;
  }
  if (ends_ == Ends::kClientDone) {
    close("closed");
    return;
  }
  if (ends_ != Ends::kOpen) return;
  ends_ = Ends::kServerDone;
  down_->tunnel_shutdown();
  clock_->arm(this, timeouts_.fin_ms);
}

void Tunnel::on_upstream_error(int err) {
  if (closing()) {
    close("module_closed");
    return;
  }
  close(err == UV_EOF ? "server_closed" : "server_error");
}

void Tunnel::on_upstream_timeout() { timed_out(); }

// Name the side that kept the tunnel waiting.
void Tunnel::timed_out() {
  switch (ends_) {
    case Ends::kOpen: close("tunnel_idle_timeout"); return;
    case Ends::kClientDone: close("server_fin_timeout"); return;
    case Ends::kServerDone: close("client_fin_timeout"); return;
    case Ends::kClosing:
    case Ends::kClosingHalf: close("module_closed"); return;
    case Ends::kClosed: return;
  }
}

void Tunnel::close(const char* cause) {
  if (ends_ == Ends::kClosed) return;
  ends_ = Ends::kClosed;
  clock_->disarm(this);
  up_->close();
  up_ = nullptr;
  owner_->tunnel_ended(cause);
}

}  // namespace gantry::exchange
