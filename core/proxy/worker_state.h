#pragma once
// Everything one worker owns: its listening handles, client sessions, idle
// upstream connections and the config snapshot new connections use.
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/snapshot.h"
#include "proxy/tunnel_clock.h"

namespace gantry::loop {
class Worker;
}

namespace gantry::proxy {

class ClientSession;
class UpstreamConn;

struct ListenHandle {
  uv_tcp_t tcp;
  std::string bind_text;  // identity across reloads
  class WorkerState* owner = nullptr;
  bool closing = false;
};

class WorkerState {
 public:
  explicit WorkerState(loop::Worker* worker);
  ~WorkerState();

  loop::Worker* worker() const { return worker_; }
  const std::shared_ptr<const Snapshot>& snapshot() const { return snapshot_; }
  // Adopt a new generation; listeners not in `keep_binds` are closed, new
  // fds (bind text -> fd) start listening.
  void adopt(std::shared_ptr<const Snapshot> snap,
             const std::vector<std::pair<std::string, int>>& new_fds);
  // Stop accepting, close idle connections, finish the rest, then stop the loop.
  void drain();
  bool draining() const { return draining_; }

  void session_closed(ClientSession* s);
  // Upstream connection pool, keyed by server identity.
  UpstreamConn* take_idle(const std::string& key);
  void put_idle(UpstreamConn* u);
  void forget_idle(UpstreamConn* u);
  void upstream_closed(UpstreamConn* u);
  void upstream_opened(UpstreamConn* u);

  TunnelClock& tunnel_clock() { return tunnel_clock_; }
  std::string& scratch() { return scratch_; }  // serialization buffer, per worker
  size_t session_count() const { return sessions_.size(); }
  // Called on this worker's thread once a drain finished.
  void set_on_stopped(std::function<void()> fn) { on_stopped_ = std::move(fn); }

 private:
  static void on_connection(uv_stream_t* server, int status);
  void close_listener(ListenHandle* h);
  void maybe_finish_drain();

  loop::Worker* worker_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::vector<ListenHandle*> listeners_;
  // Sessions by slot (ClientSession::slot()): O(1) removal without a
  // hash node per connection.
  std::vector<ClientSession*> sessions_;
  std::unordered_map<std::string, std::vector<UpstreamConn*>> idle_;
  size_t upstreams_ = 0;  // open upstream connections; a drain waits for 0
  std::string scratch_;
  TunnelClock tunnel_clock_;
  bool draining_ = false;
  bool stopped_ = false;
  std::function<void()> on_stopped_;
};

}  // namespace gantry::proxy
