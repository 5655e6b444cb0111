#pragma once
// The client side of the proxy: one accepted connection, its request parser,
// keep-alive and pipelining, client timeouts. One Exchange at a time.
#include <memory>
#include <string>
#include <vector>

#include "http/parser.h"
#include "net/conn.h"
#include "proxy/handles.h"
#include "proxy/snapshot.h"

namespace gantry::proxy {

class Exchange;
class WorkerState;

class ClientSession final : public gantry_conn, public net::ConnHandler, public http::ParserEvents {
 public:
  ClientSession(WorkerState* ws, std::shared_ptr<const Snapshot> snap, int listener);
  // Accept from `server`; false if the connection was refused/closed.
  bool start(uv_stream_t* server);

  net::Conn* conn() { return conn_; }
  WorkerState* worker_state() { return ws_; }
  const Snapshot& snap() const { return *snap_; }
  const std::shared_ptr<const Snapshot>& snap_ptr() const { return snap_; }
  int listener() const { return listener_; }
  bool is_tls() const { return conn_->has_transport(); }
  std::vector<void*>& conn_ctx() { return conn_ctx_; }
  // Client address as text, computed once per connection.
  const std::string& client_ip();
  http::Parser& parser() { return *parser_; }

  // Called by the Exchange.
  bool send(const char* p, size_t n) { return conn_->write(p, n); }
  void exchange_done(bool keep_alive);
  void pause_reading();   // back-pressure from upstream
  void resume_reading();
  void enter_tunnel();    // after 101: bytes flow raw both ways
  std::string take_backlog();  // bytes that followed the upgrade request
  void abort();           // close now, no response
  void close_gracefully();  // after queued bytes are sent
  // Worker drain: close now if idle, else after the current exchange.
  void on_drain();
  bool worker_state_draining() const;
  // Position in the worker's session list, kept by WorkerState.
  size_t slot() const { return slot_; }
  void set_slot(size_t slot) { slot_ = slot; }

 private:
  // ConnHandler
  void on_conn_data(net::Conn* c, const char* p, size_t n) override;
  void on_conn_eof(net::Conn* c) override;
  void on_conn_error(net::Conn* c, int err) override;
  void on_conn_timeout(net::Conn* c) override;
  void on_conn_handshake(net::Conn* c) override;
  void on_conn_drained(net::Conn* c) override;
  void on_conn_closed(net::Conn* c) override;
  // ParserEvents (requests)
  int on_head(http::Head& head) override;
  void on_body(const char* p, size_t n) override;
  void on_message_end() override;

  void parse(const char* p, size_t n);
  void drive();
  void finish_exchange(bool keep_alive);
  void reject(int status, const char* why);
  void run_conn_close_hooks();

  enum class State { kIdle, kRequest, kWaiting, kTunnel, kLingering, kClosed };
  static constexpr size_t kMaxBacklog = 64 * 1024;  // pipelined bytes held per connection

  WorkerState* ws_;
  std::shared_ptr<const Snapshot> snap_;
  int listener_;
  net::Conn* conn_;
  std::unique_ptr<http::Parser> parser_;  // released when the connection becomes a tunnel
  std::unique_ptr<Exchange> exchange_;
  std::string backlog_;  // pipelined bytes waiting for the current exchange
  std::vector<void*> conn_ctx_;
  std::string client_ip_;
  size_t slot_ = 0;
  State state_ = State::kIdle;
  int reject_status_ = 0;
  bool in_drive_ = false;
  bool in_parse_ = false;
  bool done_pending_ = false;
  bool done_keep_ = false;
  bool drive_again_ = false;
  bool client_eof_ = false;
  bool paused_by_upstream_ = false;
  bool close_after_ = false;
  bool hooks_accepted_ = false;
};

}  // namespace gantry::proxy
