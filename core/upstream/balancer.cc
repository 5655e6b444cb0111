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
      rng_(0x9e3779b97f4a7c15ull ^ worker),
      worker_(worker),
      slot_limit_(backend->max_connections == 0
                      ? 0
                      : std::max<uint32_t>(1, backend->max_connections / std::max<uint32_t>(1, workers))) {
  adopt(std::move(set));
}

void BalancerState::adopt(std::shared_ptr<const ServerSet> set) {
  set_ = std::move(set);
  current_.assign(set_->servers.size(), 0);
  has_backups_ = false;
  for (const auto& s : set_->servers) has_backups_ = has_backups_ || s->backup;
}

bool BalancerState::eligible(size_t i, const std::vector<const Server*>& avoid,
                             uint64_t now) const {
  Server* s = set_->servers[i].get();
  if (s->backup != backups_) return false;
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
  // Primaries first; backups only when no primary can take the request.
  backups_ = false;
  int i = pick_one(key, avoid, now);
  if (i < 0 && has_backups_) {
    backups_ = true;
    i = pick_one(key, avoid, now);
    backups_ = false;
  }
  return i;
}

int BalancerState::pick_one(std::string_view key, const std::vector<const Server*>& avoid,
                            uint64_t now) {
  switch (backend_->balance) {
    case config::Balance::kLeastConn:
      return pick_least(avoid, now);
    case config::Balance::kRandom:
      return pick_two_random(avoid, now);
    case config::Balance::kRoundRobin:
      return pick_round_robin(avoid, now);
    case config::Balance::kSourceHash:
    case config::Balance::kCookie:
    case config::Balance::kHash:
      break;
  }
  return key.empty() ? pick_round_robin(avoid, now) : pick_hash(key, avoid, now);
}

// Requests in flight from this worker, per unit of weight; compared as
// (a+1)/wa < (b+1)/wb without division.
bool BalancerState::less_busy(size_t a, size_t b) const {
  const Server& sa = *set_->servers[a];
  const Server& sb = *set_->servers[b];
  uint64_t now = now_ms();
  uint64_t la = sa.per_worker[worker_].active.load(std::memory_order_relaxed) + 1;
  uint64_t lb = sb.per_worker[worker_].active.load(std::memory_order_relaxed) + 1;
  return la * sb.weight_at(now, backend_->slow_start) < lb * sa.weight_at(now, backend_->slow_start);
}

// Weighted least connections, per worker. Ties go round robin from where the
// last pick was, so idle servers share the load.
int BalancerState::pick_least(const std::vector<const Server*>& avoid, uint64_t now) {
  size_t n = set_->servers.size();
  int best = -1;
  for (size_t k = 0; k < n; ++k) {
    size_t i = (next_ + k) % n;
    if (!eligible(i, avoid, now)) continue;
    if (best < 0 || less_busy(i, static_cast<size_t>(best))) best = static_cast<int>(i);
  }
  if (best >= 0) next_ = static_cast<size_t>(best) + 1;
  return best;
}

// The power of two choices: two random eligible servers, the less busy wins.
int BalancerState::pick_two_random(const std::vector<const Server*>& avoid, uint64_t now) {
  size_t n = set_->servers.size();
  int first = -1, second = -1;
  uint32_t seen = 0;
  // Reservoir sampling of two distinct eligible servers in one pass.
  for (size_t i = 0; i < n; ++i) {
    if (!eligible(i, avoid, now)) continue;
    ++seen;
    if (seen == 1) {
      first = static_cast<int>(i);
    } else if (seen == 2) {
      second = static_cast<int>(i);
    } else {
      uint32_t r = static_cast<uint32_t>(random() % seen);
      if (r == 0) first = static_cast<int>(i);
      else if (r == 1) second = static_cast<int>(i);
    }
  }
  if (second < 0) return first;
  if (less_busy(static_cast<size_t>(second), static_cast<size_t>(first))) return second;
  if (less_busy(static_cast<size_t>(first), static_cast<size_t>(second))) return first;
  return random() & 1 ? first : second;
}

int BalancerState::pick_round_robin(const std::vector<const Server*>& avoid, uint64_t now) {
  int best = -1;
  int64_t total = 0;
  for (size_t i = 0; i < set_->servers.size(); ++i) {
    if (!eligible(i, avoid, now)) continue;
    int64_t w = static_cast<int64_t>(set_->servers[i]->weight_at(now, backend_->slow_start));
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
    double score = static_cast<double>(h >> 11) * s.weight_at(now, backend_->slow_start);
    if (score > best_score) {
      best_score = score;
      best = static_cast<int>(i);
    }
  }
  return best;
}

}  // namespace gantry::upstream
