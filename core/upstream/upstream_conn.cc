#include "upstream/upstream_conn.h"

#include "upstream/pool.h"

namespace gantry::upstream {

UpstreamConn::UpstreamConn(Pool* pool, std::string key, std::string server_name, Keep keep)
    : Entry(on_deadline),
      pool_(pool),
      conn_(new net::Conn(pool->worker(), this)),
      key_(std::move(key)),
      server_name_(std::move(server_name)),
      keep_(keep) {
  pool_->opened();
}

void UpstreamConn::attach(UpstreamEvents* user) {
  user_ = user;
  ++uses_;
}

void UpstreamConn::release(bool reusable) {
  user_ = nullptr;
  if (!reusable || phase_ != Phase::kActive || conn_->closing()) {
    close();
    return;
  }
  pool_->put(this, keep_.cap, keep_.idle_timeout_ms);
}

void UpstreamConn::enter_pool(uint64_t idle_timeout_ms) {
  phase_ = Phase::kIdle;
  conn_->start_read();  // to notice the server closing it
  arm(idle_timeout_ms);
}

void UpstreamConn::leave_pool() {
  phase_ = Phase::kActive;
  disarm();
}

void UpstreamConn::arm(uint64_t ms) { pool_->clock()->arm(this, ms); }

void UpstreamConn::on_deadline(loop::DeadlineClock::Entry* e) {
  static_cast<UpstreamConn*>(e)->on_conn_timeout(nullptr);
}

void UpstreamConn::close() {
  if (phase_ == Phase::kClosed) return;
  if (phase_ == Phase::kIdle) pool_->forget(this);
  phase_ = Phase::kClosed;
  user_ = nullptr;
  disarm();
  conn_->close();
}

// While idle, anything from the server (bytes, a close, an error) or the
// idle timer ends the connection: an idle HTTP/1.1 connection stays silent.
void UpstreamConn::on_conn_data(net::Conn*, const char* p, size_t n) {
  if (user_ != nullptr) {
    user_->on_upstream_data(p, n);
    return;
  }
  close();
}

void UpstreamConn::on_conn_eof(net::Conn*) {
  if (user_ != nullptr) {
    user_->on_upstream_eof();
    return;
  }
  close();
}

void UpstreamConn::on_conn_error(net::Conn*, int err) {
  if (user_ != nullptr) {
    user_->on_upstream_error(err);
    return;
  }
  close();
}

void UpstreamConn::on_conn_timeout(net::Conn*) {
  if (user_ != nullptr) {
    user_->on_upstream_timeout();
    return;
  }
  close();
}

void UpstreamConn::on_conn_connected(net::Conn*, int status) {
  if (user_ == nullptr) {
    close();
    return;
  }
  if (status != 0) {
    user_->on_upstream_connect_failed(status);
    return;
  }
  phase_ = Phase::kActive;
  user_->on_upstream_ready();
}

void UpstreamConn::on_conn_drained(net::Conn*) {
  if (user_ != nullptr) user_->on_upstream_drained();
}

void UpstreamConn::on_conn_closed(net::Conn*) {
  if (phase_ == Phase::kIdle) pool_->forget(this);
  Pool* pool = pool_;
  delete conn_;
  delete this;
  pool->closed();
}

}  // namespace gantry::upstream
