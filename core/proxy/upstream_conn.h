#pragma once
// A connection to one backend server: owned by an Exchange while in use, by
// the worker's pool while idle. Bytes only; the Exchange parses them.
#include <string>

#include "net/conn.h"

namespace gantry::proxy {

class Exchange;
class WorkerState;

class UpstreamConn final : public net::ConnHandler {
 public:
  UpstreamConn(WorkerState* ws, std::string key, uint64_t idle_timeout_ms);
  net::Conn* conn() { return conn_; }
  const std::string& key() const { return key_; }
  void attach(Exchange* ex) { owner_ = ex; }
  Exchange* owner() const { return owner_; }
  // Back to the pool (reading, to notice a server-side close) or closed.
  void release(bool reusable);
  void close();
  void taken_from_pool() {
    in_pool_ = false;
    conn_->stop_timer();
  }
  bool reused() const { return uses_ > 1; }
  void mark_used() { ++uses_; }
  bool connected() const { return connected_; }
  void set_connected() { connected_ = true; }
  std::string server_name;  // "host:port", for logs

 private:
  void on_conn_data(net::Conn* c, const char* p, size_t n) override;
  void on_conn_eof(net::Conn* c) override;
  void on_conn_error(net::Conn* c, int err) override;
  void on_conn_timeout(net::Conn* c) override;
  void on_conn_connected(net::Conn* c, int status) override;
  void on_conn_drained(net::Conn* c) override;
  void on_conn_closed(net::Conn* c) override;

  WorkerState* ws_;
  net::Conn* conn_;
  std::string key_;
  Exchange* owner_ = nullptr;
  uint64_t idle_timeout_ms_;
  uint32_t uses_ = 0;
  bool connected_ = false;
  bool in_pool_ = false;
};

}  // namespace gantry::proxy
