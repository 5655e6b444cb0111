#pragma once
// The process: main loop (signals, reloads, health checks, module lifetimes)
// and the workers. Listening sockets are made here, one per worker per
// address (SO_REUSEPORT), and survive reloads that keep their address.
#include <uv.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "admin/admin_server.h"
#include "admin/controller.h"
#include "discovery/discovery.h"
#include "loop/worker.h"
#include "module_loader/handles.h"
#include "runtime/snapshot.h"
#include "server/upgrade.h"
#include "service/notify.h"
#include "upstream/health.h"
#include "worker/worker_state.h"

namespace gantry::server {

class Server final : public admin::Controller {
 public:
  explicit Server(std::string config_path);
  ~Server() override;
  // Runs until SIGTERM/SIGQUIT/SIGINT drained the workers. Returns the exit code.
  int run();

 // A new set of servers for backend `backend` of the running generation
  // (main thread): workers adopt it between requests, health checks follow.
  void publish_servers(size_t backend, std::shared_ptr<const upstream::ServerSet> set) override;

  // admin::Controller (main thread).
  std::shared_ptr<const runtime::Snapshot> current() const override { return current_; }
  void collect(std::function<void(metrics::WorkerMetrics)> done) override;
  admin::ReloadResult reload_now() override;
  admin::ReloadCounts reloads() const override { return reloads_; }

 private:
  bool apply_config(bool initial);
  void restart_health_checks();
  void start_discovery();
  void reload();
  void reopen_logs();
  // Stop accepting, drain, exit: by `deadline_ms` at the latest.
  void begin_shutdown(const char* why, uint64_t deadline_ms, bool tell_service_manager = true);
  void start_upgrade();
  void start_admin();
  void worker_stopped();
  void close_main_handles();
  static void on_signal(uv_signal_t* h, int signum);

  std::string config_path_;
  std::string pid_file_;  // from the config at start; a reload keeps it
  uv_loop_t loop_;
  uv_signal_t sig_hup_, sig_term_, sig_int_, sig_quit_, sig_usr1_, sig_usr2_;
  uv_async_t main_queue_;
  uv_timer_t deadline_;
  std::vector<std::unique_ptr<loop::Worker>> workers_;
  std::vector<loop::Worker*> worker_ptrs_;
  std::vector<std::unique_ptr<worker::WorkerState>> states_;
  std::map<std::string, std::vector<int>> sockets_;  // bind text -> fd per worker
  std::vector<gantry_listener> listener_handles_;
  std::shared_ptr<const runtime::Snapshot> current_;
  std::unique_ptr<upstream::HealthChecker> health_;
  std::unique_ptr<discovery::Discovery> discovery_;
  uint64_t next_generation_ = 1;
  service::Notifier notifier_ = service::Notifier::from_environment();
  uint32_t nworkers_ = 0;
  size_t stopped_workers_ = 0;
  bool shutting_down_ = false;
  admin::ReloadCounts reloads_;
  std::unique_ptr<admin::AdminServer> admin_;
  std::vector<std::unique_ptr<admin::AdminServer>> stopped_admins_;  // closing, kept alive
  // Binary upgrade: the sockets this process got from its predecessor, and
  // the upgrade it is running for a successor.
  Inherited inherited_;
  std::unique_ptr<Upgrade> upgrade_;
  std::string admin_bind_;  // what the admin listener was started with
};

}  // namespace gantry::server
