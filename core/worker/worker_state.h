#pragma once
// Everything one worker owns: its listening handles, its client
// connections, the context its exchanges share (pool, clocks) and the config
// snapshot new connections use.
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "downstream/client_conn.h"
#include "module_loader/handles.h"
#include "runtime/snapshot.h"
#include "runtime/worker_context.h"
#include "worker/spare_fd_watch.h"

namespace gantry::worker {

// What modules see as gantry_listener_t in on_listening.
struct ListenHandle : gantry_listener {
  uv_tcp_t tcp;
  std::string bind_text;  // identity across reloads
  class WorkerState* owner = nullptr;
  bool closing = false;
};

class WorkerState final : public downstream::ConnList {
 public:
  explicit WorkerState(loop::Worker* worker);
  ~WorkerState() override;

  loop::Worker* worker() const { return ctx_.worker; }
  const std::shared_ptr<const runtime::Snapshot>& snapshot() const { return snapshot_; }
  // Adopt a new generation; listeners whose address left the config are
  // closed, new fds (bind text -> fd) start listening.
  void adopt(std::shared_ptr<const runtime::Snapshot> snap,
             const std::vector<std::pair<std::string, int>>& new_fds);
  // Stop accepting, close idle connections, finish the rest, then stop the loop.
  void drain();
  size_t conn_count() const { return conns_.size(); }
  // Called on this worker's thread once a drain finished.
  void set_on_stopped(std::function<void()> fn) { on_stopped_ = std::move(fn); }

  void conn_closed(downstream::ClientConn* c) override;
  // This worker's counters with its gauges filled in (its thread only).
  metrics::WorkerMetrics metrics_copy() const;

 private:
  static void on_connection(uv_stream_t* server, int status);
  void close_listener(ListenHandle* h);
  struct NewListener {
    ListenHandle* handle;
    int listener;  // index in the config
    int fd;
  };
  void run_listening_hooks(const runtime::Snapshot& snap, const std::vector<NewListener>& fresh);
  void run_listening_hooks_on(const modules::Generation& gen, const NewListener& l);
  void maybe_finish_drain();
  void accept_failed(const std::string& bind, int status);
  void restore_spare_fd();

  runtime::WorkerContext ctx_;
  std::shared_ptr<const runtime::Snapshot> snapshot_;
  std::vector<ListenHandle*> listeners_;
  // Connections by slot (ClientConn::slot()): O(1) removal without a hash
  // node per connection.
  std::vector<downstream::ClientConn*> conns_;
  bool stopped_ = false;
  SpareFdWatch spare_fd_;
  bool spare_fd_watched_ = false;
  uint64_t accept_failures_unlogged_ = 0;
  uint64_t last_accept_log_ms_ = 0;
  std::function<void()> on_stopped_;
};

}  // namespace gantry::worker
