#pragma once
// A bump allocator for one exchange's header bytes. Pointers it hands out
// stay valid until the arena is reset or destroyed (blocks never move), which
// is what lets the host API hand modules borrowed slices.
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace gantry {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() { reset_all(); }

  char* alloc(size_t n) {
    if (n > cap_ - used_) grow(n);
    char* p = cur_ + used_;
    used_ += n;
    return p;
  }

  const char* copy(const char* p, size_t n) {
    char* d = alloc(n);
    if (n) std::memcpy(d, p, n);
    return d;
  }

  // Extends the slice (ptr,len) with n more bytes, keeping it contiguous: in
  // place when it is the last thing allocated and fits, else by moving it.
  void append(const char*& ptr, size_t& len, const char* p, size_t n) {
    if (n == 0) return;  // llhttp reports empty spans; nothing to add (and no memcpy(null))
    if (ptr != nullptr && ptr + len == cur_ + used_ && n <= cap_ - used_) {
      std::memcpy(cur_ + used_, p, n);
      used_ += n;
      len += n;
      return;
    }
    char* d = alloc(len + n);
    if (len) std::memcpy(d, ptr, len);
    std::memcpy(d + len, p, n);
    ptr = d;
    len += n;
  }

  // Forget everything but keep the first block for the next exchange.
  void reset() {
    for (size_t i = 1; i < blocks_.size(); ++i) std::free(blocks_[i]);
    if (!blocks_.empty()) blocks_.resize(1);
    cur_ = blocks_.empty() ? nullptr : blocks_[0];
    cap_ = blocks_.empty() ? 0 : first_cap_;
    used_ = 0;
  }

  // Release all memory (an idle connection holds none).
  void reset_all() {
    for (char* b : blocks_) std::free(b);
    blocks_.clear();
    cur_ = nullptr;
    cap_ = used_ = 0;
  }

 private:
  static constexpr size_t kBlock = 2048;

  void grow(size_t n) {
    size_t sz = n > kBlock ? n : kBlock;
    char* b = static_cast<char*>(std::malloc(sz));
    if (b == nullptr) std::abort();
    if (blocks_.empty()) first_cap_ = sz;
    blocks_.push_back(b);
    cur_ = b;
    cap_ = sz;
    used_ = 0;
  }

  std::vector<char*> blocks_;
  char* cur_ = nullptr;
  size_t cap_ = 0;
  size_t used_ = 0;
  size_t first_cap_ = 0;
};

}  // namespace gantry
