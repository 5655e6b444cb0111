#include "upstream/pool.h"

#include <algorithm>

#include "upstream/upstream_conn.h"

namespace gantry::upstream {

UpstreamConn* Pool::take(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  UpstreamConn* u = it->second.back();
  it->second.pop_back();
  u->leave_pool();
  return u;
}

void Pool::put(UpstreamConn* u, uint32_t cap, uint64_t idle_timeout_ms) {
  if (draining_ || cap == 0) {
    u->close();
    return;
  }
  auto& v = idle_[u->key()];
  if (v.size() >= cap) {
    UpstreamConn* oldest = v.front();
    v.erase(v.begin());
    oldest->leave_pool();
    oldest->close();
  }
  v.push_back(u);
  u->enter_pool(idle_timeout_ms);
}

void Pool::drop(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return;
  std::vector<UpstreamConn*> v;
  v.swap(it->second);
  for (UpstreamConn* u : v) {
    u->leave_pool();
    u->close();
  }
}

size_t Pool::idle(const std::string& key) const {
  auto it = idle_.find(key);
  return it == idle_.end() ? 0 : it->second.size();
}

void Pool::forget(UpstreamConn* u) {
  auto it = idle_.find(u->key());
  if (it == idle_.end()) return;
  auto& v = it->second;
  v.erase(std::remove(v.begin(), v.end(), u), v.end());
}

void Pool::drain(std::function<void()> on_empty) {
  draining_ = true;
  on_empty_ = std::move(on_empty);
  std::vector<std::string> keys;
  for (auto& [key, v] : idle_) keys.push_back(key);
  for (const std::string& k : keys) drop(k);
  idle_.clear();
  if (open_ == 0 && on_empty_) on_empty_();
}

void Pool::closed() {
  --open_;
  if (draining_ && open_ == 0 && on_empty_) on_empty_();
}

size_t Pool::idle_total() const {
  size_t n = 0;
  for (const auto& [key, conns] : idle_) n += conns.size();
  return n;
}

}  // namespace gantry::upstream
