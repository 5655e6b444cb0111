#pragma once
// Token buckets keyed by client address. Pure logic with the clock passed
// in, so it is tested without sleeping. One Limiter per worker: no locks.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <unordered_map>

namespace ratelimit {

// An IPv6 address; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d).
using Address = std::array<uint8_t, 16>;

struct AddressHash {
  size_t operator()(const Address& a) const noexcept {
    uint64_t hi, lo;
    std::memcpy(&hi, a.data(), 8);
    std::memcpy(&lo, a.data() + 8, 8);
    return static_cast<size_t>((hi * 0x9e3779b97f4a7c15ULL) ^ lo);
  }
};

class Limiter {
 public:
  Limiter() = default;
  // rate: tokens per second (> 0); burst: bucket size (>= 1).
  Limiter(double rate, double burst) : rate_(rate), burst_(burst) {}

  // Takes a token for `who` at `now_us` (a monotonic clock). Returns 0 when
  // allowed, else the whole seconds until a token is back (>= 1), which is
  // what Retry-After carries.
  uint32_t take(const Address& who, int64_t now_us) {
    sweep(now_us);
    auto [it, fresh] = buckets_.try_emplace(who, Bucket{burst_, now_us});
    Bucket& b = it->second;
    if (!fresh) refill(&b, now_us);
    if (b.tokens >= 1.0) {
      b.tokens -= 1.0;
      return 0;
    }
    double wait = std::ceil((1.0 - b.tokens) / rate_);
    return wait < 1.0 ? 1u : wait > 4e9 ? 4000000000u : static_cast<uint32_t>(wait);
  }

  size_t clients() const { return buckets_.size(); }

  // A bucket that has refilled completely says nothing a fresh one would not:
  // drop those once the map grows, at most once a second.
  static constexpr size_t kSweepAbove = 4096;

 private:
  struct Bucket {
    double tokens;
    int64_t last_us;
  };

  void refill(Bucket* b, int64_t now_us) const {
    if (now_us > b->last_us) {
      b->tokens = std::min(burst_, b->tokens + static_cast<double>(now_us - b->last_us) * rate_ / 1e6);
      b->last_us = now_us;
    }
  }

  void sweep(int64_t now_us) {
    if (buckets_.size() <= kSweepAbove || now_us - last_sweep_us_ < 1000000) return;
    last_sweep_us_ = now_us;
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      refill(&it->second, now_us);
      it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
    }
  }

  double rate_ = 1;
  double burst_ = 1;
  int64_t last_sweep_us_ = 0;
  std::unordered_map<Address, Bucket, AddressHash> buckets_;
};

}  // namespace ratelimit
