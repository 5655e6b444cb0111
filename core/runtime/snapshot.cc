#include "runtime/snapshot.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace gantry::runtime {

Snapshot::~Snapshot() {
  if (owns_access_fd && access_fd >= 0) ::close(access_fd);
}

int Snapshot::listener_index(const std::string& bind_text) const {
  for (size_t i = 0; i < cfg->listeners.size(); ++i)
    if (cfg->listeners[i].bind.text == bind_text) return static_cast<int>(i);
  return -1;
}

Result<std::shared_ptr<const Snapshot>> make_snapshot(std::shared_ptr<modules::Generation> gen,
                                                      uint64_t id, uint32_t workers) {
  auto s = std::make_shared<Snapshot>();
  s->gen = std::move(gen);
  s->cfg = s->gen->config.get();
  s->generation_id = id;
  const config::Config& cfg = *s->cfg;
  s->health.resize(cfg.backends.size());
  for (size_t b = 0; b < cfg.backends.size(); ++b)
    for (size_t i = 0; i < cfg.backends[b].servers.size(); ++i)
      s->health[b].servers.push_back(std::make_unique<upstream::ServerHealth>());
  s->pool_keys.resize(cfg.backends.size());
  for (size_t b = 0; b < cfg.backends.size(); ++b) {
    const modules::ScopeState& scope = s->gen->backends[b];
    for (const config::Server& srv : cfg.backends[b].servers) {
      std::string key = srv.address.text;
      if (scope.tls.tctx != nullptr) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "|tls%p", scope.tls.tctx);
        key += buf;
      }
      s->pool_keys[b].push_back(std::move(key));
    }
  }
  // After pool_keys is complete: targets point into it.
  s->targets.resize(cfg.backends.size());
  for (size_t b = 0; b < cfg.backends.size(); ++b) {
    const config::Backend& be = cfg.backends[b];
    for (size_t i = 0; i < be.servers.size(); ++i) {
      upstream::ConnectTarget t;
      t.server = &be.servers[i];
      t.pool_key = &s->pool_keys[b][i];
      t.gen = s->gen.get();
      t.scope = &s->gen->backends[b];
      t.tls_server_name = &be.tls_server_name;
      t.keep = {be.keepalive, cfg.timeouts.upstream_idle};
      t.connect_timeout_ms = be.connect_timeout ? be.connect_timeout : cfg.timeouts.connect;
      s->targets[b].push_back(t);
    }
  }
  s->forward.x_forwarded_for = cfg.proxy.x_forwarded_for;
  s->forward.x_forwarded_proto = cfg.proxy.x_forwarded_proto;
  s->forward.via = cfg.proxy.via;
  s->balancers.resize(workers);
  for (auto& row : s->balancers)
    for (size_t b = 0; b < cfg.backends.size(); ++b)
      row.emplace_back(&cfg.backends[b], &s->health[b]);
  if (cfg.access_log == "stdout") {
    s->access_fd = STDOUT_FILENO;
  } else if (cfg.access_log == "stderr") {
    s->access_fd = STDERR_FILENO;
  } else if (cfg.access_log != "off" && !cfg.access_log.empty()) {
    std::string path = cfg.access_log;
    if (path[0] != '/') path = cfg.dir + "/" + path;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
      return Error{"cannot open access log '" + path + "': " + std::strerror(errno)};
    s->access_fd = fd;
    s->owns_access_fd = true;
  }
  return std::shared_ptr<const Snapshot>(std::move(s));
}

}  // namespace gantry::runtime
