#include "runtime/snapshot.h"

#include "metrics/series.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace gantry::runtime {

Snapshot::~Snapshot() {
  access.close();
}

int Snapshot::listener_index(const std::string& bind_text) const {
  for (size_t i = 0; i < cfg->listeners.size(); ++i)
    if (cfg->listeners[i].bind.text == bind_text) return static_cast<int>(i);
  return -1;
}

std::shared_ptr<upstream::Server> Snapshot::make_server(size_t b, std::string name,
                                                       config::Address address,
                                                       uint32_t weight) const {
  const config::Backend& be = cfg->backends[b];
  const modules::ScopeState& scope = gen->backends[b];
  auto srv = std::make_shared<upstream::Server>(std::move(name), std::move(address), weight, workers);
  srv->metrics_series = metrics::series_id(be.name, srv->name);
  srv->pool_key = srv->address.text;
  if (scope.tls.tctx != nullptr) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "|tls%p", scope.tls.tctx);
    srv->pool_key += buf;
  }
  upstream::ConnectTarget& t = srv->target;
  t.address = &srv->address;
  t.pool_key = &srv->pool_key;
  t.gen = gen.get();
  t.scope = &scope;
  t.tls_server_name = &be.tls_server_name;
  t.keep = {be.keepalive, cfg->timeouts.upstream_idle};
  t.connect_timeout_ms = be.connect_timeout ? be.connect_timeout : cfg->timeouts.connect;
  return srv;
}

void carry_server_state(const Snapshot& from, const Snapshot& to) {
  for (size_t b = 0; b < to.cfg->backends.size(); ++b) {
    int ob = from.cfg->backend_index(to.cfg->backends[b].name);
    if (ob < 0) continue;
    const upstream::ServerSet& old_set = *from.servers[ob];
    for (const std::shared_ptr<upstream::Server>& s : to.servers[b]->servers) {
      int i = old_set.find(s->name);
      if (i < 0) continue;
      const upstream::Server& old = *old_set.servers[i];
      s->set_admin(old.admin());
      s->health_transitions.store(old.health_transitions.load(std::memory_order_relaxed),
                                  std::memory_order_relaxed);
      s->last_change_ms.store(old.last_change_ms.load(std::memory_order_relaxed),
                              std::memory_order_relaxed);
      // Without checks in the new config nothing would ever bring it back.
      if (to.cfg->backends[b].health.enabled) s->set_healthy(old.healthy());
      s->eject_until(old.ejected_until());
      if (old.weight() != old.config_weight) s->set_weight(old.weight());
    }
  }
}

Result<std::shared_ptr<const Snapshot>> make_snapshot(std::shared_ptr<modules::Generation> gen,
                                                      uint64_t id, uint32_t workers) {
  auto s = std::make_shared<Snapshot>();
  s->gen = std::move(gen);
  s->cfg = s->gen->config.get();
  s->generation_id = id;
  const config::Config& cfg = *s->cfg;
  s->workers = workers;
  for (size_t b = 0; b < cfg.backends.size(); ++b) {
    s->backend_series.push_back(metrics::series_id(cfg.backends[b].name, ""));
    auto set = std::make_shared<upstream::ServerSet>();
    for (const config::Server& srv : cfg.backends[b].servers) {
      // Host names join when they resolve (core/discovery).
      if (!srv.resolve_host.empty()) continue;
      set->servers.push_back(s->make_server(b, srv.name, srv.address, srv.weight));
      set->servers.back()->backup = srv.backup;
    }
    s->servers.push_back(std::move(set));
  }
  s->count_exchanges = !cfg.admin.bind.empty();
  for (const config::Listener& l : cfg.listeners)
    s->listener_series.push_back(metrics::listener_series_id(l.name));
  s->forward.x_forwarded_for = cfg.proxy.x_forwarded_for;
  s->forward.x_forwarded_proto = cfg.proxy.x_forwarded_proto;
  s->forward.via = cfg.proxy.via;
  s->balancers.resize(workers);
  for (uint32_t w = 0; w < workers; ++w)
    for (size_t b = 0; b < cfg.backends.size(); ++b)
      s->balancers[w].emplace_back(&cfg.backends[b], s->servers[b], w, workers);
  Result<AccessSink> sink = AccessSink::open(cfg);
  if (!sink) return Failure{sink.error()};
  s->access = std::move(*sink);
  return std::shared_ptr<const Snapshot>(std::move(s));
}

}  // namespace gantry::runtime
