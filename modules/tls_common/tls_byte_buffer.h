#pragma once
// A FIFO of ciphertext bytes. Memory is released whenever the buffer runs
// empty, so an idle session (a quiet WebSocket tunnel) holds none.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace gantry::tls {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ~ByteBuffer() { std::free(data_); }

  size_t size() const { return end_ - start_; }
  const uint8_t* data() const { return data_ + start_; }

  void append(const void* p, size_t n) {
    if (n == 0) return;
    if (end_ + n > cap_) make_room(n);
    std::memcpy(data_ + end_, p, n);
    end_ += n;
  }

  // Copies up to n bytes out and consumes them.
  size_t take(void* out, size_t n) {
    if (n > size()) n = size();
    std::memcpy(out, data(), n);
    consume(n);
    return n;
  }

  void consume(size_t n) {
    start_ += n < size() ? n : size();
    if (start_ == end_) release();
  }

 private:
  void release() {
    std::free(data_);
    data_ = nullptr;
    start_ = end_ = cap_ = 0;
  }

  void make_room(size_t n) {
    size_t live = size();
    if (start_ > 0 && live + n <= cap_) {  // enough space once compacted
      std::memmove(data_, data_ + start_, live);
    } else {
      size_t cap = cap_ == 0 ? 4096 : cap_;
      while (cap < live + n) cap *= 2;
      auto* p = static_cast<uint8_t*>(std::malloc(cap));
      if (p == nullptr) std::abort();  // out of memory: no half-working recovery
      if (live > 0) std::memcpy(p, data_ + start_, live);
      std::free(data_);
      data_ = p;
      cap_ = cap;
    }
    start_ = 0;
    end_ = live;
  }

  uint8_t* data_ = nullptr;
  size_t start_ = 0;
  size_t end_ = 0;
  size_t cap_ = 0;
};

}  // namespace gantry::tls
