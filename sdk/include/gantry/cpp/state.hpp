/*
 * gantry C++ layer: where a module keeps state. gantry::PerWorker<T> holds
 * one T per worker loop; gantry::Slot<T> is the typed form of the context
 * pointer a hook may set (conn_ctx, stream_ctx).
 * Part of gantry/module.hpp; include that header, not this one.
 */
#ifndef GANTRY_CPP_STATE_HPP
#define GANTRY_CPP_STATE_HPP

#include <cstddef>
#include <stdexcept>
#include <utility>
#include <vector>

#include "gantry/cpp/host.hpp"

namespace gantry {

// Build it in the constructor (MAIN); call local() from hooks (LOOP). Slots
// sit on separate cache lines so workers do not contend.
template <typename T>
class PerWorker {
 public:
  explicit PerWorker(const Host& host) : host_(host), slots_(host.worker_count()) {}
  // Every worker starts with a copy of `initial`.
  PerWorker(const Host& host, const T& initial) : host_(host), slots_(host.worker_count(), Slot{initial}) {}
  size_t size() const noexcept { return slots_.size(); }
  T& at(size_t i) { return slots_.at(i).value; }
  const T& at(size_t i) const { return slots_.at(i).value; }
  // This worker's T. Throws std::logic_error off a worker loop.
  T& local() {
    T* t = local_or_null();
    if (t == nullptr) throw std::logic_error("PerWorker::local() called off a worker loop");
    return *t;
  }
  // This worker's T, or null off a worker loop (for modules that serve such
  // calls from a spare, locked T of their own).
  T* local_or_null() noexcept {
    int32_t i = host_.worker_index();
    if (i < 0 || static_cast<size_t>(i) >= slots_.size()) return nullptr;
    return &slots_[static_cast<size_t>(i)].value;
  }

 private:
  struct alignas(64) Slot {
    T value{};
  };
  Host host_;
  std::vector<Slot> slots_;
};

// A context pointer the host keeps for the module (module.h's conn_ctx and
// stream_ctx), typed. A class that declares `using StreamContext = T;` (or
// ConnContext) gets a Slot<T> where the C hook gets void**, and a T* where
// it gets void*; the layer deletes the T when the stream ends (the
// connection closes), after the class's own on_stream_end/on_conn_close.
// Only the hook that creates the state allocates; a module that does not
// emplace() allocates nothing per stream.
template <typename T>
class Slot {
 public:
  explicit Slot(void** p) noexcept : p_(p) {}
  T* get() const noexcept { return static_cast<T*>(*p_); }
  T* operator->() const noexcept { return get(); }
  T& operator*() const noexcept { return *get(); }
  explicit operator bool() const noexcept { return *p_ != nullptr; }
  // Replaces the state with a new T(args...) and returns it.
  template <typename... A>
  T& emplace(A&&... args) {
    T* t = new T(std::forward<A>(args)...);
    reset();
    *p_ = t;
    return *t;
  }
  void reset() noexcept {
    delete get();
    *p_ = nullptr;
  }

 private:
  void** p_;
};

}  // namespace gantry

#endif /* GANTRY_CPP_STATE_HPP */
