#include "upstream/balancer.h"

#include <algorithm>

#include "upstream/outlier.h"

namespace gantry::upstream {
namespace {

uint64_t fnv1a(std::string_view a, std::string_view b) {
  uint64_t h = 1469598103934665603ull;
  for (char c : a) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  h = (h ^ 0xff) * 1099511628211ull;
  for (char c : b) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  // Final avalanche so near-identical inputs spread.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

}  // namespace

BalancerState::BalancerState(const config::Backend* backend, std::shared_ptr<const ServerSet> set,
                             uint32_t worker, uint32_t workers)
    : backend_(backend),
      worker_(worker),
      slot_limit_(backend->max_connections == 0
                      ? 0
                      : std::max<uint32_t>(1, backend->max_connections / std::max<uint32_t>(1, workers))) {
  adopt(std::move(set));
}

void BalancerState::adopt(std::shared_ptr<const ServerSet> set) {
  set_ = std::move(set);
  current_.assign(set_->servers.size(), 0);
}

bool BalancerState::eligible(size_t i, const std::vector<const Server*>& avoid,
                             uint64_t now) const {
  Server* s = set_->servers[i].get();
  // The first pick after an ejection's time is over logs the return.
  if (s->ejection_open.load(std::memory_order_relaxed) && !s->ejected(now))
    note_return(*s, backend_->name, "ejection time over");
  if (!s->takes_new(now) || s->weight() == 0 || full(*s)) return false;
  return std::find(avoid.begin(), avoid.end(), s) == avoid.end();
}

bool BalancerState::full(const Server& s) const {
  return slot_limit_ != 0 &&
         s.per_worker[worker_].active.load(std::memory_order_relaxed) >= slot_limit_;
}

void BalancerState::take_slot(Server& s) {
  auto& a = s.per_worker[worker_].active;
  a.store(a.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void BalancerState::free_slot(Server& s) {
  auto& a = s.per_worker[worker_].active;
  a.store(a.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  if (!queue_.empty() && !full(s)) {
    SlotWaiter* w = queue_.front();
    queue_.pop_front();
    w->on_slot_free();
  }
}

bool BalancerState::saturated() const {
  if (slot_limit_ == 0) return false;
  uint64_t now = now_ms();
  for (const auto& s : set_->servers) {
    if (s->takes_new(now) && s->weight() != 0 && full(*s)) return true;
  }
  return false;
}

bool BalancerState::enqueue(SlotWaiter* w) {
  if (queue_.size() >= backend_->max_queue) return false;
  queue_.push_back(w);
  return true;
}

void BalancerState::dequeue(SlotWaiter* w) {
  auto it = std::find(queue_.begin(), queue_.end(), w);
  if (it != queue_.end()) queue_.erase(it);
}

int BalancerState::find_pinned(std::string_view name) const {
  int i = set_->find(name);
  return i >= 0 && set_->servers[i]->takes_pinned(now_ms()) ? i : -1;
}

int BalancerState::pick(std::string_view key, const std::vector<const Server*>& avoid) {
  uint64_t now = now_ms();
  if (backend_->balance == config::Balance::kRoundRobin || key.empty())
    return pick_round_robin(avoid, now);
  return pick_hash(key, avoid, now);
}

int BalancerState::pick_round_robin(const std::vector<const Server*>& avoid, uint64_t now) {
  int best = -1;
  int64_t total = 0;
  for (size_t i = 0; i < set_->servers.size(); ++i) {
    if (!eligible(i, avoid, now)) continue;
    int64_t w = set_->servers[i]->weight();
    current_[i] += w;
    total += w;
    if (best < 0 || current_[i] > current_[best]) best = static_cast<int>(i);
  }
  if (best >= 0) current_[best] -= total;
  return best;
}

// Rendezvous hashing: the same key keeps its server while that server is up,
// and a server going down moves only its own keys.
int BalancerState::pick_hash(std::string_view key, const std::vector<const Server*>& avoid,
                             uint64_t now) {
  int best = -1;
  double best_score = -1;
  for (size_t i = 0; i < set_->servers.size(); ++i) {
    if (!eligible(i, avoid, now)) continue;
    const Server& s = *set_->servers[i];
    uint64_t h = fnv1a(key, s.name);
    double score = static_cast<double>(h >> 11) * s.weight();
    if (score > best_score) {
      best_score = score;
      best = static_cast<int>(i);
    }
  }
  return best;
}

}  // namespace gantry::upstream
