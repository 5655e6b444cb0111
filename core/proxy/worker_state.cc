#include "proxy/worker_state.h"

#include <unistd.h>

#include <algorithm>

#include "loop/worker.h"
#include "proxy/client_session.h"
#include "proxy/exchange.h"
#include "proxy/upstream_conn.h"
#include "util/log.h"

namespace gantry::proxy {

WorkerState::WorkerState(loop::Worker* worker)
    : worker_(worker), tunnel_clock_(worker->loop(), Exchange::on_tunnel_deadline) {
  scratch_.reserve(4096);
}

WorkerState::~WorkerState() = default;

void WorkerState::adopt(std::shared_ptr<const Snapshot> snap,
                        const std::vector<std::pair<std::string, int>>& new_fds) {
  snapshot_ = std::move(snap);
  // Close listeners whose address left the config.
  for (ListenHandle* h : listeners_) {
    if (!h->closing && snapshot_->listener_index(h->bind_text) < 0) close_listener(h);
  }
  for (const auto& [bind, fd] : new_fds) {
    auto* h = new ListenHandle();
    h->bind_text = bind;
    h->owner = this;
    uv_tcp_init(worker_->loop(), &h->tcp);
    h->tcp.data = h;
    int backlog = 511;
    int idx = snapshot_->listener_index(bind);
    if (idx >= 0) backlog = snapshot_->cfg->listeners[idx].backlog;
    int r = uv_tcp_open(&h->tcp, fd);
    if (r == 0) r = uv_listen(reinterpret_cast<uv_stream_t*>(&h->tcp), backlog, on_connection);
    if (r != 0) {
      GLOG_ERROR("worker %u: cannot listen on %s: %s", worker_->index(), bind.c_str(),
                 uv_strerror(r));
      listeners_.push_back(h);
      close_listener(h);
      continue;
    }
    listeners_.push_back(h);
  }
}

void WorkerState::close_listener(ListenHandle* h) {
  if (h->closing) return;
  h->closing = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&h->tcp), [](uv_handle_t* hd) {
    auto* lh = static_cast<ListenHandle*>(hd->data);
    WorkerState* ws = lh->owner;
    if (ws != nullptr) {
      auto& v = ws->listeners_;
      v.erase(std::remove(v.begin(), v.end(), lh), v.end());
    }
    delete lh;
    if (ws != nullptr) ws->maybe_finish_drain();
  });
}

void WorkerState::on_connection(uv_stream_t* server, int status) {
  auto* h = static_cast<ListenHandle*>(server->data);
  WorkerState* ws = h->owner;
  if (status != 0 || ws->draining_) return;
  const auto& snap = ws->snapshot_;
  int idx = snap->listener_index(h->bind_text);
  uint32_t max = snap->cfg->limits.max_connections;
  if (idx < 0 || (max != 0 && ws->sessions_.size() >= max)) {
    // Over the limit: accept and close at once rather than leave the kernel
    // queue to fill (the client gets a clean close, not a hang).
    uv_tcp_t* tmp = new uv_tcp_t;
    uv_tcp_init(ws->worker_->loop(), tmp);
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(tmp)) == 0 && idx >= 0)
      GLOG_WARN("worker %u: connection limit %u reached", ws->worker_->index(), max);
    uv_close(reinterpret_cast<uv_handle_t*>(tmp), [](uv_handle_t* t) { delete reinterpret_cast<uv_tcp_t*>(t); });
    return;
  }
  auto* s = new ClientSession(ws, snap, idx);
  s->set_slot(ws->sessions_.size());
  ws->sessions_.push_back(s);
  s->start(server);
}

void WorkerState::session_closed(ClientSession* s) {
  size_t slot = s->slot();
  if (slot < sessions_.size() && sessions_[slot] == s) {
    sessions_[slot] = sessions_.back();
    sessions_[slot]->set_slot(slot);
    sessions_.pop_back();
  }
  maybe_finish_drain();
}

UpstreamConn* WorkerState::take_idle(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  UpstreamConn* u = it->second.back();  // most recent: least likely closed by the server
  it->second.pop_back();
  u->taken_from_pool();
  return u;
}

void WorkerState::put_idle(UpstreamConn* u) {
  auto& v = idle_[u->key()];
  const Snapshot& snap = *snapshot_;
  size_t cap = 32;
  for (const auto& b : snap.cfg->backends) cap = std::max<size_t>(cap, b.keepalive);
  if (v.size() >= cap) {
    UpstreamConn* oldest = v.front();
    v.erase(v.begin());
    oldest->taken_from_pool();
    oldest->close();
  }
  v.push_back(u);
}

void WorkerState::forget_idle(UpstreamConn* u) {
  auto it = idle_.find(u->key());
  if (it == idle_.end()) return;
  auto& v = it->second;
  v.erase(std::remove(v.begin(), v.end(), u), v.end());
}

void WorkerState::upstream_opened(UpstreamConn*) { ++upstreams_; }

void WorkerState::upstream_closed(UpstreamConn*) {
  --upstreams_;
  maybe_finish_drain();
}

void WorkerState::drain() {
  if (draining_) return;
  draining_ = true;
  for (ListenHandle* h : std::vector<ListenHandle*>(listeners_)) close_listener(h);
  for (ClientSession* s : std::vector<ClientSession*>(sessions_)) s->on_drain();
  for (auto& [key, v] : idle_) {
    for (UpstreamConn* u : std::vector<UpstreamConn*>(v)) {
      u->taken_from_pool();
      u->close();
    }
  }
  idle_.clear();
  maybe_finish_drain();
}

void WorkerState::maybe_finish_drain() {
  if (!draining_ || stopped_) return;
  if (!sessions_.empty() || !listeners_.empty() || upstreams_ != 0) return;
  stopped_ = true;
  tunnel_clock_.close();
  worker_->stop_when_idle();
  if (on_stopped_) on_stopped_();
}

}  // namespace gantry::proxy
