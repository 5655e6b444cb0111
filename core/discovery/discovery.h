#pragma once
// Keeps backends' host-name servers in step with DNS, on the main thread.
// Each `name:port` entry is resolved when a generation starts and then every
// `resolve_interval`; a changed answer publishes a new server set. A failed
// or empty answer keeps the last good set and is logged (once per streak of
// failures, then again with the count when it recovers).
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "discovery/dns_resolver.h"
#include "runtime/snapshot.h"

namespace gantry::discovery {

class Discovery {
 public:
  using Current = std::function<std::shared_ptr<const runtime::Snapshot>()>;
  using Publish = std::function<void(size_t backend, std::shared_ptr<const upstream::ServerSet>)>;

  Discovery(uv_loop_t* loop, Current current, Publish publish);
  ~Discovery();

  // For a new generation (start or reload): the last good answers are put
  // back at once, so a reload does not empty a backend, then every name is
  // resolved again.
  void start(const std::shared_ptr<const runtime::Snapshot>& snap);
  void stop();

  uint64_t failures() const { return failures_; }

 private:
  struct Entry;
  void resolve(Entry* e);
  void answered(Entry* e, uint64_t gen, ResolveResult r);
  void apply(const Entry& e, const std::vector<config::Address>& addrs);

  uv_loop_t* loop_;
  Current current_;
  Publish publish_;
  std::unique_ptr<DnsResolver> resolver_;
  std::vector<std::unique_ptr<Entry>> entries_;
  // Last good answer per "backend/entry", across reloads.
  std::map<std::string, std::vector<config::Address>> last_good_;
  uint64_t generation_ = 0;
  uint64_t failures_ = 0;
};

}  // namespace gantry::discovery
