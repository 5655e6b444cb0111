#include "upstream/balancer.h"

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

BalancerState::BalancerState(const config::Backend* backend, const BackendHealth* health)
    : backend_(backend), health_(health), current_(backend->servers.size(), 0) {}

bool BalancerState::is_up(int i) const {
  return health_ == nullptr || i >= static_cast<int>(health_->servers.size()) ||
         health_->servers[i]->up.load(std::memory_order_relaxed);
}

int BalancerState::find_up(std::string_view name) const {
  for (size_t i = 0; i < backend_->servers.size(); ++i)
    if (backend_->servers[i].name == name && is_up(static_cast<int>(i))) return static_cast<int>(i);
  return -1;
}

int BalancerState::pick(std::string_view key, int exclude) {
  if (backend_->balance == config::Balance::kRoundRobin || key.empty())
    return pick_round_robin(exclude);
  return pick_hash(key, exclude);
}

int BalancerState::pick_round_robin(int exclude) {
  int best = -1;
  int64_t total = 0;
  const auto& servers = backend_->servers;
  for (size_t i = 0; i < servers.size(); ++i) {
    int idx = static_cast<int>(i);
    if (idx == exclude || !is_up(idx)) continue;
    current_[i] += servers[i].weight;
    total += servers[i].weight;
    if (best < 0 || current_[i] > current_[best]) best = idx;
  }
  if (best >= 0) current_[best] -= total;
  return best;
}

// Rendezvous hashing: the same key keeps its server while that server is up,
// and a server going down moves only its own keys.
int BalancerState::pick_hash(std::string_view key, int exclude) {
  int best = -1;
  double best_score = -1;
  const auto& servers = backend_->servers;
  for (size_t i = 0; i < servers.size(); ++i) {
    int idx = static_cast<int>(i);
    if (idx == exclude || !is_up(idx)) continue;
    uint64_t h = fnv1a(key, servers[i].name);
    double score = static_cast<double>(h >> 11) * servers[i].weight;
    if (score > best_score) {
      best_score = score;
      best = idx;
    }
  }
  return best;
}

}  // namespace gantry::upstream
