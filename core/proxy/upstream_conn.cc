#include "proxy/upstream_conn.h"

#include "proxy/exchange.h"
#include "proxy/worker_state.h"

namespace gantry::proxy {

UpstreamConn::UpstreamConn(WorkerState* ws, std::string key, uint64_t idle_timeout_ms)
    : ws_(ws),
      conn_(new net::Conn(ws->worker(), this)),
      key_(std::move(key)),
      idle_timeout_ms_(idle_timeout_ms) {
  ws_->upstream_opened(this);
}

void UpstreamConn::release(bool reusable) {
  owner_ = nullptr;
  if (!reusable || conn_->closing() || ws_->draining()) {
    close();
    return;
  }
  in_pool_ = true;
  conn_->start_read();  // to notice the server closing it
  conn_->set_timer(idle_timeout_ms_);
  ws_->put_idle(this);
}

void UpstreamConn::close() {
  if (in_pool_) {
    ws_->forget_idle(this);
    in_pool_ = false;
  }
  owner_ = nullptr;
  conn_->close();
}

void UpstreamConn::on_conn_data(net::Conn*, const char* p, size_t n) {
  if (owner_ != nullptr) {
    owner_->upstream_data(p, n);
    return;
  }
  close();  // an idle connection must stay silent
}

void UpstreamConn::on_conn_eof(net::Conn*) {
  if (owner_ != nullptr) {
    owner_->upstream_eof();
    return;
  }
  close();
}

void UpstreamConn::on_conn_error(net::Conn*, int err) {
  if (owner_ != nullptr) {
    owner_->upstream_error(err);
    return;
  }
  close();
}

void UpstreamConn::on_conn_timeout(net::Conn*) {
  if (owner_ != nullptr) {
    owner_->upstream_timeout();
    return;
  }
  close();
}

void UpstreamConn::on_conn_connected(net::Conn*, int status) {
  if (owner_ != nullptr) {
    owner_->upstream_connected(status);
    return;
  }
  close();
}

void UpstreamConn::on_conn_drained(net::Conn*) {
  if (owner_ != nullptr) owner_->upstream_drained();
}

void UpstreamConn::on_conn_closed(net::Conn*) {
  if (in_pool_) ws_->forget_idle(this);
  ws_->upstream_closed(this);
  delete conn_;
  delete this;
}

}  // namespace gantry::proxy
