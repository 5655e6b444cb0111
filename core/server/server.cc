#include "server/server.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <mutex>

#include "config/loader.h"
#include "discovery/discovery.h"
#include "doctor/doctor.h"
#include "loop/main_thread.h"
#include "loop/main_thread_internal.h"
#include "downstream/host_conn.h"
#include "exchange/host_stream.h"
#include "loop/worker_barrier.h"
#include "module_loader/host_services.h"
#include "net/listen_socket.h"
#include "service/pid_file.h"
#include "service/privileges.h"
#include "util/log.h"

namespace gantry::server {

Server::Server(std::string config_path) : config_path_(std::move(config_path)) {
  uv_loop_init(&loop_);
  modules::install_host_services(&downstream::fill_conn_services);
  modules::install_host_services(&exchange::fill_stream_services);
}

Server::~Server() { uv_loop_close(&loop_); }

int Server::run() {
  signal(SIGPIPE, SIG_IGN);
  loop::attach_main_queue(&loop_, &main_queue_);
  std::string inherit_error;
  if (!take_inherited(&inherited_, &inherit_error)) {
    GLOG_ERROR("upgrade: %s", inherit_error.c_str());
    return 1;
  }
  if (!apply_config(true)) {
    uv_close(reinterpret_cast<uv_handle_t*>(&main_queue_), nullptr);
    loop::detach_main_queue();
    uv_run(&loop_, UV_RUN_DEFAULT);
    return 1;
  }
  // Written before privileges go (a root-owned /run at first start); an
  // upgraded process writes it before it accepts, so a failure here leaves
  // the old process serving.
  pid_file_ = current_->cfg->pid_file;
  std::string pid_error;
  if (!pid_file_.empty() && !service::write_pid_file(pid_file_, &pid_error)) {
    GLOG_ERROR("%s", pid_error.c_str());
    _exit(1);
  }
  // Root was needed to bind; it is given up before any worker thread exists
  // (capabilities are per thread) and before a first connection is accepted.
  std::string not_dropped = service::drop_privileges(current_->cfg->run_as);
  if (!not_dropped.empty()) {
    GLOG_ERROR("cannot switch user/group: %s; exiting rather than serving with privileges",
               not_dropped.c_str());
    _exit(1);
  }
  uv_signal_init(&loop_, &sig_hup_);
  uv_signal_init(&loop_, &sig_term_);
  uv_signal_init(&loop_, &sig_int_);
  uv_signal_init(&loop_, &sig_quit_);
  uv_signal_init(&loop_, &sig_usr1_);
  uv_signal_init(&loop_, &sig_usr2_);
  for (uv_signal_t* s : {&sig_hup_, &sig_term_, &sig_int_, &sig_quit_, &sig_usr1_, &sig_usr2_})
    s->data = this;
  uv_signal_start(&sig_usr1_, on_signal, SIGUSR1);
  uv_signal_start(&sig_usr2_, on_signal, SIGUSR2);
  uv_signal_start(&sig_hup_, on_signal, SIGHUP);
  uv_signal_start(&sig_term_, on_signal, SIGTERM);
  uv_signal_start(&sig_int_, on_signal, SIGINT);
  uv_signal_start(&sig_quit_, on_signal, SIGQUIT);
  uv_timer_init(&loop_, &deadline_);
  deadline_.data = this;
  start_admin();
  for (auto& w : workers_) w->start();
  GLOG_INFO("gantry %s started: %u worker(s), config %s", GANTRY_VERSION, nworkers_,
            config_path_.c_str());
  // Workers listen before their loops start, so connections are accepted now.
  notifier_.ready("serving generation " + std::to_string(current_->generation_id) + " with " +
                  std::to_string(nworkers_) + " worker(s)");
  if (inherited_.channel >= 0) {
    // Serving on the sockets the old process handed over: it may stop now.
    // systemd follows this process from here (NotifyAccess=all).
    notifier_.send("MAINPID=" + std::to_string(::getpid()));
    report_ready(&inherited_);
    GLOG_INFO("upgrade: serving in place of the old process");
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  for (auto& w : workers_) w->join();
  loop::detach_main_queue();
  states_.clear();
  current_.reset();
  loop::drain_main_queue();
  if (!pid_file_.empty()) service::remove_own_pid_file(pid_file_);
  GLOG_INFO("gantry stopped");
  return 0;
}

void Server::start_admin() {
  const config::Admin& ac = current_->cfg->admin;
  if (ac.bind.empty()) return;
  admin_ = std::make_unique<admin::AdminServer>(&loop_, this);
  std::string why;
  if (!admin_->start(ac, &why)) {
    // Bound after the privilege drop: a port below 1024 needs the kept
    // capability, a socket path a directory the user may write.
    GLOG_ERROR("%s", why.c_str());
    admin_.reset();
  }
  admin_bind_ = ac.bind;
}

void Server::on_signal(uv_signal_t* h, int signum) {
  auto* self = static_cast<Server*>(h->data);
  if (signum == SIGHUP) {
    self->reload();
  } else if (signum == SIGUSR1) {
    self->reopen_logs();
  } else if (signum == SIGUSR2) {
    self->start_upgrade();
  } else {
    self->begin_shutdown(strsignal(signum), self->current_->cfg->shutdown_timeout);
  }
}

// SIGUSR2: the binary at our own path starts with our listening sockets;
// once it serves, this process drains and exits within hard_stop_after.
void Server::start_upgrade() {
  if (shutting_down_) return;
  if (upgrade_ && upgrade_->running()) {
    GLOG_WARN("upgrade: one is already under way");
    return;
  }
  GLOG_INFO("upgrade: starting the new binary with %zu listening address(es)", sockets_.size());
  // The admin listener is bound by address, not handed over: the new
  // process binds it itself.
  if (admin_) {
    admin_->stop();
    stopped_admins_.push_back(std::move(admin_));
  }
  upgrade_ = std::make_unique<Upgrade>(&loop_);
  upgrade_->start(sockets_, 30000, [this](bool ok, const std::string& message) {
    if (!ok) {
      GLOG_ERROR("upgrade failed: %s; this process keeps serving", message.c_str());
      start_admin();
      std::string why;  // the new process may have written its own id
      if (!pid_file_.empty() && !service::write_pid_file(pid_file_, &why))
        GLOG_WARN("%s", why.c_str());
      return;
    }
    const config::Config& c = *current_->cfg;
    uint64_t deadline = c.hard_stop_after != 0 ? c.hard_stop_after : c.shutdown_timeout;
    GLOG_INFO("upgrade: %s; this process stops accepting and drains", message.c_str());
    begin_shutdown("upgrade", deadline, false);
  });
}

void Server::reload() { reload_now(); }

// For logrotate: the access log file is opened again under its name and
// put in place of the old descriptor with dup2, so workers go on writing to
// the same descriptor number and no line is split between the files.
void Server::reopen_logs() {
  const runtime::Snapshot& s = *current_;
  if (s.access.kind != runtime::AccessSink::Kind::kFile) {
    GLOG_INFO("SIGUSR1: no access log file to reopen");
    return;
  }
  std::string path = s.cfg->access_log;
  if (path[0] != '/') path = s.cfg->dir + "/" + path;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    GLOG_ERROR("SIGUSR1: cannot reopen access log '%s': %s; still writing to the old file",
               path.c_str(), std::strerror(errno));
    return;
  }
  if (::dup3(fd, s.access.fd, O_CLOEXEC) < 0)
    GLOG_ERROR("SIGUSR1: cannot reopen access log '%s': %s", path.c_str(), std::strerror(errno));
  else
    GLOG_INFO("SIGUSR1: access log %s reopened", path.c_str());
  ::close(fd);
}

admin::ReloadResult Server::reload_now() {
  admin::ReloadResult res;
  if (shutting_down_) {
    res.generation = current_->generation_id;
    res.message = "shutting down";
    return res;
  }
  GLOG_INFO("reloading %s", config_path_.c_str());
  notifier_.reloading("reloading " + config_path_);
  std::shared_ptr<const runtime::Snapshot> before = current_;
  std::string outcome;
  res.ok = apply_config(false);
  if (res.ok) {
    ++reloads_.ok;
    if (current_->cfg->admin.bind != admin_bind_)
      GLOG_WARN("[admin] bind changed: the admin listener stays on \"%s\" until a restart",
                admin_bind_.c_str());
    service::warn_if_identity_changed(before->cfg->run_as, current_->cfg->run_as);
    GLOG_INFO("reload complete: generation %llu",
              static_cast<unsigned long long>(current_->generation_id));
    outcome = "reload complete: serving generation ";
  } else {
    ++reloads_.failed;
    GLOG_ERROR("reload failed: still serving generation %llu",
               static_cast<unsigned long long>(current_->generation_id));
    outcome = "reload failed (see the log): still serving generation ";
  }
  outcome += std::to_string(current_->generation_id);
  // Ready again once every worker listens on what the outcome says, unless
  // a stop began meanwhile: READY after STOPPING would tell systemd the
  // service runs again.
  loop::after_workers(worker_ptrs_, [this, outcome] {
    if (!shutting_down_) notifier_.ready(outcome);
  });
  res.generation = current_->generation_id;
  res.message = outcome;
  return res;
}

// Each worker copies its own counters on its own thread; the copies meet
// on the main thread. No worker waits for another, none takes a lock.
void Server::collect(std::function<void(metrics::WorkerMetrics)> done) {
  struct Gather {
    std::mutex mu;  // copies arrive from several worker threads
    metrics::WorkerMetrics sum;
  };
  auto g = std::make_shared<Gather>();
  for (size_t w = 0; w < workers_.size(); ++w) {
    worker::WorkerState* ws = states_[w].get();
    workers_[w]->post([ws, g] {
      metrics::WorkerMetrics m = ws->metrics_copy();
      std::lock_guard<std::mutex> lock(g->mu);
      g->sum.add(m);
    });
  }
  loop::after_workers(worker_ptrs_, [g, done] {
    std::lock_guard<std::mutex> lock(g->mu);
    done(std::move(g->sum));
  });
}

// Everything that can fail happens before any worker sees the new
// generation, so a failed reload leaves the running one untouched.
bool Server::apply_config(bool initial) {
  auto cfg = config::load_config(config_path_);
  if (!cfg) {
    GLOG_ERROR("%s", cfg.error().c_str());
    return false;
  }
  log::Level level;
  if (log::parse_level((*cfg)->error_log_level.c_str(), &level)) log::set_level(level);
  if (initial) {
    nworkers_ = (*cfg)->workers;
    modules::set_host_worker_count(nworkers_);
  } else if ((*cfg)->workers != nworkers_) {
    GLOG_WARN("workers = %u needs a restart; keeping %u", (*cfg)->workers, nworkers_);
  }
  auto gen = modules::build_generation(*cfg);
  if (!gen) {
    GLOG_ERROR("%s", gen.error().c_str());
    return false;
  }
  auto snap = runtime::make_snapshot(*gen, next_generation_, nworkers_);
  if (!snap) {
    GLOG_ERROR("%s", snap.error().c_str());
    return false;
  }
  const config::Config& c = *(*snap)->cfg;

  // New addresses get fresh sockets; kept ones keep theirs.
  std::map<std::string, std::vector<int>> fresh;
  for (const config::Listener& l : c.listeners) {
    if (sockets_.count(l.bind.text) || fresh.count(l.bind.text)) continue;
    std::vector<int> fds;
    // After an upgrade, the old process's sockets for this address.
    std::vector<int>* handed = nullptr;
    if (auto it = inherited_.fds.find(l.bind.text); initial && it != inherited_.fds.end())
      handed = &it->second;
    for (uint32_t w = 0; w < nworkers_; ++w) {
      if (handed != nullptr && w < handed->size() && (*handed)[w] >= 0) {
        fds.push_back((*handed)[w]);
        (*handed)[w] = -1;
        continue;
      }
      int fd = net::make_listen_socket(l.bind);
      if (fd < 0) {
        GLOG_ERROR("%s: listener %s: cannot bind %s: %s", l.pos.str().c_str(), l.name.c_str(),
                   l.bind.text.c_str(), std::strerror(-fd));
        for (int f : fds) ::close(f);
        for (auto& [b, v] : fresh)
          for (int f : v) ::close(f);
        return false;
      }
      fds.push_back(fd);
    }
    fresh[l.bind.text] = std::move(fds);
  }
  // Socket hooks see every listening socket of the new generation.
  const modules::Generation& g = **gen;
  listener_handles_.resize(std::max(listener_handles_.size(), c.listeners.size()));
  for (size_t li = 0; li < c.listeners.size(); ++li) {
    const config::Listener& l = c.listeners[li];
    const std::vector<int>& fds = fresh.count(l.bind.text) ? fresh[l.bind.text] : sockets_[l.bind.text];
    for (size_t i = 0; i < g.instances.size(); ++i) {
      const modules::Instance& m = g.instances[i];
      if (m.hooks.on_listen == nullptr) continue;
      void* sctx = i < g.listeners[li].scope_ctx.size() ? g.listeners[li].scope_ctx[i] : nullptr;
      for (int fd : fds) {
        gantry_action_t a = m.hooks.on_listen(m.inst, sctx, &listener_handles_[li], fd);
        if (a != GANTRY_CONTINUE && a != GANTRY_DECLINED) {
          GLOG_ERROR("%s: listener %s: module '%s' refused the socket", l.pos.str().c_str(),
                     l.name.c_str(), m.name.c_str());
          for (auto& [b, v] : fresh)
            for (int f : v) ::close(f);
          return false;
        }
      }
    }
  }

  // Commit.
  ++next_generation_;
  for (auto it = sockets_.begin(); it != sockets_.end();) {
    // Dropped addresses: their fds belong to the workers' handles, which
    // close them when they adopt the new generation.
    if ((*snap)->listener_index(it->first) < 0) it = sockets_.erase(it);
    else ++it;
  }
  for (auto& [bind, fds] : fresh) sockets_[bind] = fds;
  if (initial) close_unused(&inherited_);  // addresses the new config dropped
  if (initial) {
    for (uint32_t w = 0; w < nworkers_; ++w) {
      workers_.push_back(std::make_unique<loop::Worker>(w));
      worker_ptrs_.push_back(workers_.back().get());
      states_.push_back(std::make_unique<worker::WorkerState>(workers_.back().get()));
      workers_.back()->user_data = states_.back().get();
      states_.back()->set_on_stopped([this] { loop::run_on_main([this] { worker_stopped(); }); });
    }
    modules::set_host_workers(&worker_ptrs_);
  }
  for (uint32_t w = 0; w < nworkers_; ++w) {
    std::vector<std::pair<std::string, int>> mine;
    for (auto& [bind, fds] : fresh) mine.emplace_back(bind, fds[w]);
    worker::WorkerState* ws = states_[w].get();
    std::shared_ptr<const runtime::Snapshot> s = *snap;
    if (initial) {
      ws->adopt(std::move(s), mine);  // the loop is not running yet
    } else {
      workers_[w]->post([ws, s, mine] { ws->adopt(s, mine); });
    }
  }
  if (current_) runtime::carry_server_state(*current_, **snap);
  current_ = *snap;
  restart_health_checks();
  if (initial) doctor::log_startup_summary(c);
  start_discovery();
  for (const config::Listener& l : c.listeners)
    if (fresh.count(l.bind.text))
      GLOG_INFO("listening on %s (%s%s)", l.bind.text.c_str(), l.name.c_str(),
                l.tls.provider.empty() ? "" : (", " + l.tls.provider).c_str());
  return true;
}

// Host-name servers (core/discovery): resolved on this loop, never a worker's.
void Server::start_discovery() {
  if (!discovery_)
    discovery_ = std::make_unique<discovery::Discovery>(
        &loop_, [this] { return current_; },
        [this](size_t b, std::shared_ptr<const upstream::ServerSet> set) { publish_servers(b, set); });
  discovery_->start(current_);
}

void Server::restart_health_checks() {
  if (health_) health_->stop();
  health_ = std::make_unique<upstream::HealthChecker>(&loop_, current_->cfg, current_->servers);
  health_->start();
}

void Server::publish_servers(size_t backend, std::shared_ptr<const upstream::ServerSet> set) {
  std::shared_ptr<const runtime::Snapshot> snap = current_;
  snap->servers[backend] = set;
  for (uint32_t w = 0; w < nworkers_; ++w) {
    workers_[w]->post([snap, w, backend, set] { snap->balancers[w][backend].adopt(set); });
  }
  restart_health_checks();
}

void Server::begin_shutdown(const char* why, uint64_t deadline_ms, bool tell_service_manager) {
  if (shutting_down_) return;
  shutting_down_ = true;
  // After an upgrade the service goes on in the new process.
  if (tell_service_manager) notifier_.stopping(std::string(why) + ": draining connections");
  GLOG_INFO("%s: draining connections (deadline %llu ms)", why,
            static_cast<unsigned long long>(deadline_ms));
  uv_signal_stop(&sig_hup_);
  if (health_) health_->stop();
  if (discovery_) discovery_->stop();
  if (admin_) admin_->stop();
  uv_timer_start(&deadline_, [](uv_timer_t* t) {
    GLOG_WARN("shutdown deadline reached with connections still open; exiting");
    const std::string& pid_file = static_cast<Server*>(t->data)->pid_file_;
    if (!pid_file.empty()) service::remove_own_pid_file(pid_file);
    _exit(0);
  }, deadline_ms, 0);
  uv_unref(reinterpret_cast<uv_handle_t*>(&deadline_));
  for (size_t w = 0; w < workers_.size(); ++w) {
    worker::WorkerState* ws = states_[w].get();
    workers_[w]->post([ws] { ws->drain(); });
  }
}

void Server::close_main_handles() {
  for (uv_signal_t* s : {&sig_hup_, &sig_term_, &sig_int_, &sig_quit_, &sig_usr1_, &sig_usr2_})
    uv_close(reinterpret_cast<uv_handle_t*>(s), nullptr);
  upgrade_.reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&main_queue_), nullptr);
}

void Server::worker_stopped() {
  if (++stopped_workers_ == workers_.size()) close_main_handles();
}

}  // namespace gantry::server
