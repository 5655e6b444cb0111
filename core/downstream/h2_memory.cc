#include "downstream/h2_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace gantry::downstream {
namespace {

// From three pages up a block is mapped: the frame buffer (16394 bytes) and
// large header blocks; HPACK tables, streams and frames stay on malloc.
constexpr size_t kMapFrom = 12 * 1024;

// Before every block: its size and where it came from (free() is not told).
struct alignas(16) Header {
  size_t size;
  bool mapped;
};

size_t mapping_length(size_t size) {
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return (size + sizeof(Header) + page - 1) / page * page;
}

void* to_user(Header* h) { return h + 1; }
Header* to_header(void* p) { return static_cast<Header*>(p) - 1; }

void* mem_malloc(size_t size, void*) {
  Header* h;
  if (size >= kMapFrom) {
    void* m = ::mmap(nullptr, mapping_length(size), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return nullptr;
    h = static_cast<Header*>(m);
    h->mapped = true;
  } else {
    h = static_cast<Header*>(std::malloc(sizeof(Header) + size));
    if (h == nullptr) return nullptr;
    h->mapped = false;
  }
  h->size = size;
  return to_user(h);
}

void mem_free(void* p, void*) {
  if (p == nullptr) return;
  Header* h = to_header(p);
  if (h->mapped) {
    ::munmap(h, mapping_length(h->size));
  } else {
    std::free(h);
  }
}

void* mem_calloc(size_t n, size_t each, void* ud) {
  if (each != 0 && n > SIZE_MAX / each) return nullptr;
  size_t size = n * each;
  void* p = mem_malloc(size, ud);
  // A fresh mapping is zero already, and untouched it stays unresident.
  if (p != nullptr && !to_header(p)->mapped) std::memset(p, 0, size);
  return p;
}

void* mem_realloc(void* p, size_t size, void* ud) {
  if (p == nullptr) return mem_malloc(size, ud);
  if (size == 0) {
    mem_free(p, ud);
    return nullptr;
  }
  Header* h = to_header(p);
  if (!h->mapped && size < kMapFrom) {
    auto* g = static_cast<Header*>(std::realloc(h, sizeof(Header) + size));
    if (g == nullptr) return nullptr;
    g->size = size;
    return to_user(g);
  }
  void* q = mem_malloc(size, ud);
  if (q == nullptr) return nullptr;
  std::memcpy(q, p, h->size < size ? h->size : size);
  mem_free(p, ud);
  return q;
}

}  // namespace

nghttp2_mem* h2_memory() {
  static nghttp2_mem mem = {nullptr, mem_malloc, mem_free, mem_calloc, mem_realloc};
  return &mem;
}

}  // namespace gantry::downstream
