#include "worker/worker_state.h"

#include <fcntl.h>

#include <algorithm>

#include "downstream/http1_session.h"
#include "loop/worker.h"
#include "util/log.h"

namespace gantry::worker {

WorkerState::WorkerState(loop::Worker* worker) : ctx_(worker) { ctx_.scratch.reserve(4096); }

WorkerState::~WorkerState() = default;

void WorkerState::adopt(std::shared_ptr<const runtime::Snapshot> snap,
                        const std::vector<std::pair<std::string, int>>& new_fds) {
  snapshot_ = std::move(snap);
  for (ListenHandle* h : listeners_) {
    if (!h->closing && snapshot_->listener_index(h->bind_text) < 0) close_listener(h);
  }
  if (!spare_fd_watched_ && !new_fds.empty()) {
    // Listening handles exist from here on, and with them libuv's spare fd.
    spare_fd_watched_ = true;
    spare_fd_.start(ctx_.worker->loop(), [this] { accept_failed("a client listener", UV_EMFILE); });
  }
  std::vector<NewListener> fresh;
  for (const auto& [bind, fd] : new_fds) {
    auto* h = new ListenHandle();
    h->bind_text = bind;
    h->owner = this;
    uv_tcp_init(ctx_.worker->loop(), &h->tcp);
    h->tcp.data = h;
    int backlog = 511;
    int idx = snapshot_->listener_index(bind);
    if (idx >= 0) backlog = snapshot_->cfg->listeners[idx].backlog;
    int r = uv_tcp_open(&h->tcp, fd);
    if (r == 0) r = uv_listen(reinterpret_cast<uv_stream_t*>(&h->tcp), backlog, on_connection);
    listeners_.push_back(h);
    if (r != 0) {
      GLOG_ERROR("worker %u: cannot listen on %s: %s", ctx_.index(), bind.c_str(),
                 uv_strerror(r));
      close_listener(h);
      continue;
    }
    if (idx >= 0) fresh.push_back({h, idx, fd});
  }
  if (fresh.empty() || snapshot_->gen->with_listening.empty()) return;
  // on_listening runs on the worker's own loop, as the ABI promises; at
  // start-up adopt() runs on the main thread before that loop does. A later
  // adopt() is posted after this, so the handles outlive the hooks.
  if (loop::Worker::current() == ctx_.worker) {
    run_listening_hooks(*snapshot_, fresh);
  } else {
    ctx_.worker->post([this, snap = snapshot_, fresh] { run_listening_hooks(*snap, fresh); });
  }
}

void WorkerState::run_listening_hooks(const runtime::Snapshot& snap,
                                      const std::vector<NewListener>& fresh) {
  const modules::Generation& gen = *snap.gen;
  for (const NewListener& l : fresh) {
    if (!l.handle->closing) run_listening_hooks_on(gen, l);
  }
}

void WorkerState::run_listening_hooks_on(const modules::Generation& gen, const NewListener& l) {
  ListenHandle* h = l.handle;
  const modules::ScopeState& scope = gen.listeners[l.listener];
  for (size_t i : gen.with_listening) {
    const modules::Instance& m = gen.instances[i];
    void* sctx = i < scope.scope_ctx.size() ? scope.scope_ctx[i] : nullptr;
    gantry_action_t a = m.hooks.on_listening(m.inst, sctx, h, l.fd);
    if (a != GANTRY_CONTINUE && a != GANTRY_DECLINED) {
      GLOG_WARN("worker %u: module '%s' objected to listening socket %s (it keeps listening)",
                ctx_.index(), m.name.c_str(), h->bind_text.c_str());
    }
  }
}

void WorkerState::close_listener(ListenHandle* h) {
  if (h->closing) return;
  h->closing = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&h->tcp), [](uv_handle_t* hd) {
    auto* lh = static_cast<ListenHandle*>(hd->data);
    WorkerState* ws = lh->owner;
    auto& v = ws->listeners_;
    v.erase(std::remove(v.begin(), v.end(), lh), v.end());
    delete lh;
    ws->maybe_finish_drain();
  });
}

void WorkerState::on_connection(uv_stream_t* server, int status) {
  auto* h = static_cast<ListenHandle*>(server->data);
  WorkerState* ws = h->owner;
  if (status != 0) {
    if (status == UV_EMFILE || status == UV_ENFILE) ws->restore_spare_fd();
    ws->accept_failed(h->bind_text, status);
    return;
  }
  if (ws->ctx_.draining) return;
  const auto& snap = ws->snapshot_;
  int idx = snap->listener_index(h->bind_text);
  uint32_t max = snap->cfg->limits.max_connections;
  if (idx < 0 || (max != 0 && ws->conns_.size() >= max)) {
    // Over the limit: accept and close at once rather than leave the kernel
    // queue to fill (the client gets a clean close, not a hang).
    auto* tmp = new uv_tcp_t;
    uv_tcp_init(ws->ctx_.worker->loop(), tmp);
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(tmp)) == 0 && idx >= 0)
      GLOG_WARN("worker %u: connection limit %u reached", ws->ctx_.index(), max);
    uv_close(reinterpret_cast<uv_handle_t*>(tmp),
             [](uv_handle_t* t) { delete reinterpret_cast<uv_tcp_t*>(t); });
    return;
  }
  auto* c = new downstream::Http1Session(ws->ctx_, snap, idx, ws);
  c->set_slot(ws->conns_.size());
  ws->conns_.push_back(c);
  c->start(server);
}

// libuv sheds a client it cannot take by closing its spare descriptor,
// accepting and closing the client, and opening a spare again. If another
// thread takes the freed slot first, the spare is gone, and libuv reports
// EMFILE here and retries accept() at once, for as long as it fails: this
// worker would never get back to the connections whose closing frees
// descriptors. A new spare is opened, from an idle connection's descriptor
// if none is free, as nginx reuses idle keep-alive connections when out.
void WorkerState::restore_spare_fd() {
  uv_loop_t* loop = ctx_.worker->loop();
  if (loop->emfile_fd >= 0) return;
  int fd = ::open("/", O_RDONLY | O_CLOEXEC);
  size_t shed = 0;
  for (size_t i = conns_.size(); fd < 0 && i > 0; --i) {
    downstream::ClientConn* c = conns_[i - 1];
    if (!c->idle()) continue;
    c->shed();  // its descriptor is closed now; the object goes from the loop
    ++shed;
    fd = ::open("/", O_RDONLY | O_CLOEXEC);
  }
  if (fd >= 0) loop->emfile_fd = fd;
  if (shed > 0)
    GLOG_WARN("worker %u: out of file descriptors: closed %zu idle client connection(s) to %s",
              ctx_.index(), shed, fd >= 0 ? "keep shedding new clients" : "no avail");
}

// Out of file descriptors (EMFILE/ENFILE) the kernel keeps the client
// queued or resets it; the operator must hear of it, but a flood must not
// flood the log: one line a second at most, with the count since the last.
void WorkerState::accept_failed(const std::string& bind, int status) {
  ++ctx_.metrics.accept_failures;
  ++accept_failures_unlogged_;
  uint64_t now = uv_now(ctx_.worker->loop());
  if (last_accept_log_ms_ != 0 && now - last_accept_log_ms_ < 1000) return;
  last_accept_log_ms_ = now;
  GLOG_ERROR("worker %u: accept on %s failed: %s (%llu failure(s) since the last report)",
             ctx_.index(), bind.c_str(), uv_strerror(status),
             static_cast<unsigned long long>(accept_failures_unlogged_));
  accept_failures_unlogged_ = 0;
}

metrics::WorkerMetrics WorkerState::metrics_copy() const {
  metrics::WorkerMetrics m = ctx_.metrics;
  for (const downstream::ClientConn* c : conns_) ++(c->idle() ? m.client_idle : m.client_active);
  m.upstream_idle = ctx_.pool.idle_total();
  size_t open = ctx_.pool.open();
  m.upstream_active = open > m.upstream_idle ? open - m.upstream_idle : 0;
  return m;
}

void WorkerState::conn_closed(downstream::ClientConn* c) {
  size_t slot = c->slot();
  if (slot < conns_.size() && conns_[slot] == c) {
    conns_[slot] = conns_.back();
    conns_[slot]->set_slot(slot);
    conns_.pop_back();
  }
  maybe_finish_drain();
}

void WorkerState::drain() {
  if (ctx_.draining) return;
  ctx_.draining = true;
  spare_fd_.stop();
  for (ListenHandle* h : std::vector<ListenHandle*>(listeners_)) close_listener(h);
  for (downstream::ClientConn* c : std::vector<downstream::ClientConn*>(conns_)) c->on_drain();
  ctx_.pool.drain([this] { maybe_finish_drain(); });
  maybe_finish_drain();
}

void WorkerState::maybe_finish_drain() {
  if (!ctx_.draining || stopped_) return;
  if (!conns_.empty() || !listeners_.empty() || ctx_.pool.open() != 0) return;
  stopped_ = true;
  ctx_.clock.close();
  ctx_.worker->stop_when_idle();
  if (on_stopped_) on_stopped_();
}

}  // namespace gantry::worker
