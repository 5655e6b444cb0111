#include "upstream/health.h"

#include "upstream/outlier.h"

#include <cstring>
#include <string>

#include "net/proxy_header.h"
#include "util/log.h"

namespace gantry::upstream {

struct HealthChecker::Target {
  HealthChecker* owner;
  const config::Backend* backend;
  std::shared_ptr<Server> server;
  uv_timer_t timer;
  uint32_t ok_streak = 0;
  uint32_t fail_streak = 0;
  Probe* probe = nullptr;  // in flight
  bool stopping = false;
};

// One check: connect, send, read the status line, close. Owns its handles.
struct HealthChecker::Probe {
  Target* target;
  uv_tcp_t tcp;
  uv_timer_t deadline;
  uv_connect_t connect_req;
  uv_write_t write_req;
  std::string request;
  std::string response;
  int closing = 0;
  bool done = false;

  void finish(bool ok, const char* why) {
    if (done) return;
    done = true;
    if (target != nullptr) {
      Target* t = target;
      t->probe = nullptr;
      Server* h = t->server.get();
      if (ok) {
        t->fail_streak = 0;
        if (++t->ok_streak >= t->backend->health.rise && !h->healthy()) {
          h->set_healthy(true);
          h->health_transitions.store(h->health_transitions.load(std::memory_order_relaxed) + 1,
                                      std::memory_order_relaxed);
          h->note_change();
          h->back_since_ms.store(now_ms(), std::memory_order_relaxed);
          GLOG_INFO("backend %s server %s is UP", t->backend->name.c_str(),
                    t->server->name.c_str());
        }
        // A passing check ends a passive ejection early.
        if (t->ok_streak >= t->backend->health.rise && h->ejected(now_ms())) {
          h->eject_until(0);
          note_return(*h, t->backend->name, "an active check passed");
        }
      } else {
        t->ok_streak = 0;
        if (++t->fail_streak >= t->backend->health.fall && h->healthy()) {
          h->set_healthy(false);
          h->health_transitions.store(h->health_transitions.load(std::memory_order_relaxed) + 1,
                                      std::memory_order_relaxed);
          h->note_change();
          GLOG_WARN("backend %s server %s is DOWN: %s", t->backend->name.c_str(),
                    t->server->name.c_str(), why);
        }
      }
    }
    closing = 2;
    auto on_closed = [](uv_handle_t* hd) {
      auto* p = static_cast<Probe*>(hd->data);
      if (--p->closing == 0) delete p;
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp), on_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline), on_closed);
  }
};

HealthChecker::HealthChecker(uv_loop_t* loop, const config::Config* cfg,
                             std::vector<std::shared_ptr<const ServerSet>> sets)
    : loop_(loop), cfg_(cfg), sets_(std::move(sets)) {}

HealthChecker::~HealthChecker() = default;

void HealthChecker::start() {
  for (size_t b = 0; b < cfg_->backends.size(); ++b) {
    const config::Backend& be = cfg_->backends[b];
    if (!be.health.enabled) continue;
    for (const std::shared_ptr<Server>& srv : sets_[b]->servers) {
      auto t = std::make_unique<Target>();
      t->owner = this;
      t->backend = &be;
      t->server = srv;
      uv_timer_init(loop_, &t->timer);
      t->timer.data = t.get();
      // First check right away so a dead server is known before traffic.
      uv_timer_start(&t->timer, on_tick, 0, be.health.interval);
      targets_.push_back(std::move(t));
    }
  }
}

void HealthChecker::stop() {
  for (auto& t : targets_) {
    t->stopping = true;
    if (t->probe != nullptr) {
      t->probe->target = nullptr;
      t->probe->finish(false, "stopped");
    }
    // Targets are owned by targets_; release them once their timer closed.
    Target* raw = t.release();
    uv_close(reinterpret_cast<uv_handle_t*>(&raw->timer),
             [](uv_handle_t* h) { delete static_cast<Target*>(h->data); });
  }
  targets_.clear();
}

void HealthChecker::on_tick(uv_timer_t* timer) {
  auto* t = static_cast<Target*>(timer->data);
  if (t->stopping || t->probe != nullptr) return;
  t->owner->run_probe(t);
}

void HealthChecker::run_probe(Target* t) {
  auto* p = new Probe();
  p->target = t;
  t->probe = p;
  uv_tcp_init(loop_, &p->tcp);
  uv_timer_init(loop_, &p->deadline);
  p->tcp.data = p;
  p->deadline.data = p;
  p->connect_req.data = p;
  p->write_req.data = p;
  const config::HealthCheck& hc = t->backend->health;
  if (!hc.path.empty()) {
    p->request = "GET " + hc.path + " HTTP/1.1\r\nHost: " + t->server->address.text +
                 "\r\nUser-Agent: gantry-health\r\nConnection: close\r\n\r\n";
    // A server that expects a PROXY header gets one that speaks for gantry
    // itself (v1 UNKNOWN, v2 LOCAL).
    sockaddr_storage none{};
    if (t->backend->send_proxy == config::SendProxy::kV1)
      p->request = net::proxy_header_v1(none, none) + p->request;
    else if (t->backend->send_proxy == config::SendProxy::kV2)
      p->request = net::proxy_header_v2(none, none) + p->request;
  }
  uv_timer_start(&p->deadline, [](uv_timer_t* d) { static_cast<Probe*>(d->data)->finish(false, "timeout"); },
                 hc.timeout, 0);
  int r = uv_tcp_connect(&p->connect_req, &p->tcp,
                         reinterpret_cast<const sockaddr*>(&t->server->address.sa),
                         [](uv_connect_t* req, int status) {
    auto* pr = static_cast<Probe*>(req->data);
    if (pr->done) return;
    if (status != 0) {
      pr->finish(false, uv_strerror(status));
      return;
    }
    if (pr->request.empty()) {
      pr->finish(true, "");
      return;
    }
    uv_buf_t b = uv_buf_init(pr->request.data(), static_cast<unsigned>(pr->request.size()));
    uv_write(&pr->write_req, reinterpret_cast<uv_stream_t*>(&pr->tcp), &b, 1,
             [](uv_write_t* w, int st) {
               auto* q = static_cast<Probe*>(w->data);
               if (st != 0 && !q->done) q->finish(false, uv_strerror(st));
             });
    uv_read_start(reinterpret_cast<uv_stream_t*>(&pr->tcp),
                  [](uv_handle_t*, size_t, uv_buf_t* buf) {
                    static char scratch[512];
                    *buf = uv_buf_init(scratch, sizeof scratch);
                  },
                  [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
                    auto* q = static_cast<Probe*>(s->data);
                    if (q->done) return;
                    if (n < 0) {
                      q->finish(false, "closed before a status line");
                      return;
                    }
                    q->response.append(buf->base, static_cast<size_t>(n));
                    if (q->response.size() >= 12) {
                      bool ok = q->response.compare(0, 5, "HTTP/") == 0 &&
                                (q->response[9] == '2' || q->response[9] == '3');
                      q->finish(ok, ok ? "" : "bad status");
                    }
                  });
  });
  if (r != 0) p->finish(false, uv_strerror(r));
}

}  // namespace gantry::upstream
