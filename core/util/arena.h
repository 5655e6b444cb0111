#pragma once
// A bump allocator for one exchange's header bytes. Pointers it hands out
// stay valid until the arena is reset or destroyed, which is what lets the
// host API hand modules borrowed slices. The one exception is the slice
// append() is growing: it may move, and append() updates the caller's pointer.
//
// Memory stays within a small constant factor of the bytes in use, whatever
// the pattern of appends: a slice that outgrows its block moves to a block of
// twice its size, and once it is the only thing in its block it grows that
// block in place (realloc), so a value that arrives one byte per read costs
// about twice its length, not the sum of every copy it went through.
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace gantry {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() { reset_all(); }

  char* alloc(size_t n) {
    if (blocks_.empty() || n > blocks_.back().cap - blocks_.back().used) add_block(n);
    Block& b = blocks_.back();
    char* p = b.data + b.used;
    b.used += n;
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
    if (ptr == nullptr || len == 0) {
      ptr = copy(p, n);
      len = n;
      return;
    }
    Block* b = blocks_.empty() ? nullptr : &blocks_.back();
    bool at_tail = b != nullptr && ptr + len == b->data + b->used;
    if (at_tail && n <= b->cap - b->used) {
      std::memcpy(b->data + b->used, p, n);
      b->used += n;
      len += n;
      return;
    }
    const size_t want = len + n;
    const size_t cap = 2 * want > kBlock ? 2 * want : kBlock;
    char* d;
    if (at_tail && ptr == b->data) {
      // The slice is all its block holds: grow the block itself.
      d = static_cast<char*>(std::realloc(b->data, cap));
      if (d == nullptr) std::abort();
      reserved_ += cap - b->cap;
      b->data = d;
      b->cap = cap;
    } else {
      // Move to a block of its own with room to double; the old copy's
      // bytes go back to its block when they were its tail.
      if (at_tail) b->used -= len;
      d = add_block(cap);
      std::memcpy(d, ptr, len);
    }
    std::memcpy(d + len, p, n);
    blocks_.back().used = want;
    ptr = d;
    len = want;
  }

  // Forget everything but keep the first block (when it is of ordinary size)
  // for the next exchange.
  void reset() {
    size_t keep = !blocks_.empty() && blocks_[0].cap <= kMaxBlock ? 1 : 0;
    for (size_t i = keep; i < blocks_.size(); ++i) {
      reserved_ -= blocks_[i].cap;
      std::free(blocks_[i].data);
    }
    blocks_.resize(keep);
    if (keep) blocks_[0].used = 0;
  }

  // Release all memory (an idle connection holds none).
  void reset_all() {
    for (Block& b : blocks_) std::free(b.data);
    blocks_.clear();
    reserved_ = 0;
  }

  // Bytes held from the heap, for limits and tests.
  size_t reserved() const { return reserved_; }

 private:
  static constexpr size_t kBlock = 2048;
  static constexpr size_t kMaxBlock = 64 * 1024;  // ordinary blocks grow to this, then stay

  struct Block {
    char* data;
    size_t cap;
    size_t used;
  };

  // Appends a block of at least `min` bytes and returns its start (`used`
  // is 0). Ordinary blocks double in size up to kMaxBlock, so a head with many
  // fields takes few allocations.
  char* add_block(size_t min) {
    size_t grow = blocks_.empty() ? kBlock : blocks_.back().cap * 2;
    if (grow > kMaxBlock) grow = kMaxBlock;
    size_t sz = min > grow ? min : grow;
    char* b = static_cast<char*>(std::malloc(sz));
    if (b == nullptr) std::abort();
    blocks_.push_back({b, sz, 0});
    reserved_ += sz;
    return b;
  }

  std::vector<Block> blocks_;  // alloc() bumps in the last one
  size_t reserved_ = 0;
};

}  // namespace gantry
