#include "discovery/discovery.h"

#include "discovery/server_set_update.h"
#include "util/log.h"

namespace gantry::discovery {

struct Discovery::Entry {
  Discovery* owner;
  size_t backend;
  std::string key;    // "backend/entry", for logs and last_good_
  std::string name;   // the entry's name: servers are "<name>#<ip:port>"
  std::string host;
  uint16_t port;
  uint32_t weight;
  bool backup;
  uint64_t interval;  // ms; 0: no re-resolving
  uv_timer_t* timer;  // heap: closed asynchronously
  uint64_t failing = 0;  // failures in a row (logged once, then on recovery)
};

Discovery::Discovery(uv_loop_t* loop, Current current, Publish publish)
    : loop_(loop), current_(std::move(current)), publish_(std::move(publish)) {}

Discovery::~Discovery() { stop(); }

void Discovery::stop() {
  ++generation_;  // answers still on their way are dropped
  for (auto& e : entries_) {
    uv_timer_stop(e->timer);
    uv_close(reinterpret_cast<uv_handle_t*>(e->timer),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
  entries_.clear();
  if (resolver_) {
    resolver_->stop();
    resolver_.reset();
  }
}

void Discovery::start(const std::shared_ptr<const runtime::Snapshot>& snap) {
  stop();
  const config::Config& cfg = *snap->cfg;
  for (size_t b = 0; b < cfg.backends.size(); ++b) {
    const config::Backend& be = cfg.backends[b];
    for (const config::Server& srv : be.servers) {
      if (srv.resolve_host.empty()) continue;
      auto e = std::make_unique<Entry>();
      e->owner = this;
      e->backend = b;
      e->key = be.name + "/" + srv.name;
      e->name = srv.name;
      e->host = srv.resolve_host;
      e->port = srv.resolve_port;
      e->weight = srv.weight;
      e->backup = srv.backup;
      e->interval = be.resolve_interval;
      e->timer = new uv_timer_t;
      uv_timer_init(loop_, e->timer);
      e->timer->data = e.get();
      entries_.push_back(std::move(e));
    }
  }
  if (entries_.empty()) return;
  ResolverOptions o;
  o.nameservers = cfg.resolver.nameservers;
  o.timeout_ms = cfg.resolver.timeout;
  o.attempts = cfg.resolver.attempts;
  resolver_ = std::make_unique<DnsResolver>(loop_);
  std::string why;
  if (!resolver_->start(o, &why)) {
    GLOG_WARN("discovery: cannot start the resolver: %s; host-name servers stay absent",
              why.c_str());
    resolver_.reset();
    return;
  }
  for (auto& e : entries_) {
    auto it = last_good_.find(e->key);
    if (it != last_good_.end()) apply(*e, it->second);
    resolve(e.get());
  }
}

void Discovery::resolve(Entry* e) {
  if (!resolver_) return;
  uint64_t gen = generation_;
  resolver_->resolve(e->host, e->port, [this, e, gen](ResolveResult r) {
    if (gen != generation_) return;  // stopped or restarted: e is gone
    answered(e, gen, std::move(r));
  });
}

void Discovery::answered(Entry* e, uint64_t, ResolveResult r) {
  if (r.status == ResolveStatus::kOk) {
    if (e->failing != 0) {
      GLOG_INFO("discovery: %s resolves again after %llu failed lookups", e->key.c_str(),
                static_cast<unsigned long long>(e->failing));
      e->failing = 0;
    }
    last_good_[e->key] = r.addresses;
    apply(*e, r.addresses);
  } else {
    ++failures_;
    if (e->failing++ == 0)
      GLOG_WARN("discovery: %s: lookup failed (%s); keeping the last good servers",
                e->key.c_str(), r.why.c_str());
  }
  if (e->interval == 0) return;
  uv_timer_start(e->timer, [](uv_timer_t* t) {
    auto* entry = static_cast<Entry*>(t->data);
    entry->owner->resolve(entry);
  }, e->interval, 0);
}

void Discovery::apply(const Entry& e, const std::vector<config::Address>& addrs) {
  std::shared_ptr<const runtime::Snapshot> snap = current_();
  if (!snap || e.backend >= snap->servers.size()) return;
  const upstream::ServerSet& old = *snap->servers[e.backend];
  SetChange c = replace_entry(old, e.name, addrs,
                              [&](const std::string& name, const config::Address& a) {
                                auto s = snap->make_server(e.backend, name, a, e.weight);
                                s->backup = e.backup;
                                return s;
                              });
  if (!c.changed()) return;
  std::string list;
  for (const config::Address& a : addrs) list += (list.empty() ? "" : " ") + a.text;
  GLOG_INFO("discovery: %s: %s (%zu added, %zu removed)", e.key.c_str(), list.c_str(), c.added,
            c.removed);
  publish_(e.backend, c.set);
}

}  // namespace gantry::discovery
