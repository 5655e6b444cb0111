/*
 * gantry C++ layer: slices, the exceptions the layer understands, and
 * gantry::Host (the host's function table plus the module's handle).
 * Part of gantry/module.hpp; include that header, not this one.
 */
#ifndef GANTRY_CPP_HOST_HPP
#define GANTRY_CPP_HOST_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "gantry/module.h"

namespace gantry {

// ---------------------------------------------------------------------------
// Slices and errors
// ---------------------------------------------------------------------------

inline std::string_view to_sv(gantry_str_t s) noexcept {
  return s.ptr != nullptr ? std::string_view(s.ptr, s.len) : std::string_view();
}
inline gantry_str_t to_str(std::string_view v) noexcept { return gantry_str_t{v.data(), v.size()}; }

// Thrown by the helpers below; caught by the trampolines, which turn it into
// `code` (MAIN calls) or GANTRY_CLOSE (data-path hooks).
class Error : public std::runtime_error {
 public:
  Error(gantry_status_t code, const std::string& what) : std::runtime_error(what), code_(code) {}
  gantry_status_t code() const noexcept { return code_; }

 private:
  gantry_status_t code_;
};

// A bad config value. The host reports it with the node's file:line.
class ConfigError : public Error {
 public:
  ConfigError(const gantry_cfg_t* node, const std::string& what,
              gantry_status_t code = GANTRY_ERR_INVAL)
      : Error(code, what), node_(node) {}
  const gantry_cfg_t* node() const noexcept { return node_; }

 private:
  const gantry_cfg_t* node_;
};

namespace detail {

template <typename T>
struct Identity {
  using type = T;
};

// A table of this SDK's size, to take member offsets on: the host's own table
// may be shorter and must not be touched past its end.
inline constexpr gantry_host_api_t kHostLayout{};

// The host's function `member`, or null when the host leaves it unset or its
// table is too short to hold it (a host of an older minor). Every view calls
// the host through here, so a host call appended in a later minor is one new
// method that also works, degraded, on an older host.
template <typename F>
F host_fn(const gantry_host_api_t* api, F gantry_host_api_t::*member) noexcept {
  const char* base = reinterpret_cast<const char*>(&kHostLayout);
  const char* at = reinterpret_cast<const char*>(&(kHostLayout.*member));
  const size_t end = static_cast<size_t>(at - base) + sizeof(F);
  if (api == nullptr || end > api->struct_size) return nullptr;
  return api->*member;
}

// Calls the host's `member` with `args`, or returns `fallback` without it.
template <typename R, typename... P, typename... A>
R host_call(const gantry_host_api_t* api, R (*gantry_host_api_t::*member)(P...),
            typename Identity<R>::type fallback, A&&... args) noexcept {
  R (*fn)(P...) = host_fn(api, member);
  return fn != nullptr ? fn(std::forward<A>(args)...) : fallback;
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Host: the function table plus the module handle, for logging
// ---------------------------------------------------------------------------

class Host {
 public:
  Host() = default;
  Host(const gantry_host_api_t* api, gantry_module_t* self) noexcept : api_(api), self_(self) {}

  const gantry_host_api_t* api() const noexcept { return api_; }
  gantry_module_t* self() const noexcept { return self_; }
  uint32_t abi_minor() const noexcept { return api_ != nullptr ? api_->abi_minor : 0; }
  const char* version() const noexcept {
    return api_ != nullptr && api_->host_version != nullptr ? api_->host_version : "";
  }

  // THREAD: ANY. Never throws: messages longer than the stack buffer are
  // copied to the heap, or truncated if that fails.
  void log(gantry_log_level_t level, std::string_view msg) const noexcept {
    auto fn = detail::host_fn(api_, &gantry_host_api_t::log);
    if (fn == nullptr) return;
    char buf[512];
    if (msg.size() < sizeof buf) {
      std::memcpy(buf, msg.data(), msg.size());
      buf[msg.size()] = '\0';
      fn(self_, level, buf);
      return;
    }
    try {
      std::string copy(msg);
      fn(self_, level, copy.c_str());
    } catch (...) {
      std::memcpy(buf, msg.data(), sizeof buf - 1);
      buf[sizeof buf - 1] = '\0';
      fn(self_, level, buf);
    }
  }
  void debug(std::string_view msg) const noexcept { log(GANTRY_LOG_DEBUG, msg); }
  void info(std::string_view msg) const noexcept { log(GANTRY_LOG_INFO, msg); }
  void warn(std::string_view msg) const noexcept { log(GANTRY_LOG_WARN, msg); }
  void error(std::string_view msg) const noexcept { log(GANTRY_LOG_ERROR, msg); }

  // 1 when the host does not say (e.g. a test host).
  uint32_t worker_count() const noexcept {
    uint32_t n = detail::host_call(api_, &gantry_host_api_t::worker_count, 1u);
    return n != 0 ? n : 1;
  }
  // 0..worker_count()-1 on a worker loop, -1 elsewhere.
  int32_t worker_index() const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::worker_index, int32_t{-1});
  }
  // THREAD: ANY. Runs cb(arg) on the loop of `worker` (-1: the main loop).
  // GANTRY_ERR_NOTSUP when the host cannot post; cb then never runs, and
  // whatever arg owns is still the caller's to free.
  gantry_status_t post(int32_t worker, gantry_post_cb cb, void* arg) const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::post, gantry_status_t{GANTRY_ERR_NOTSUP},
                             worker, cb, arg);
  }

  // ABI 1.1, THREAD: MAIN during instance_new/scope_new: the index of the
  // backend `name` in the configuration being loaded, -1 if it has none, -2
  // if the host cannot say (a host of 1.0: route by name then).
  int32_t backend_index(std::string_view name) const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::backend_index, int32_t{-2}, to_str(name));
  }
  // ABI 1.1: true while the host only checks a configuration (`gantry -t`);
  // a module then validates everything but writes no file.
  bool check_only() const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::check_only, 0u) != 0;
  }

  // ABI 1.1, THREAD: MAIN during instance_new: a counter or gauge shown at
  // /metrics as gantry_<name>{module="...",<labels>}. -1 when the host has
  // no metrics (a 1.0 host) or refuses the name or labels.
  int32_t metric_counter(std::string_view name, std::string_view help,
                         std::string_view labels = {}) const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::metric_register, int32_t{-1}, self_,
                             to_str(name), to_str(help), uint32_t{GANTRY_METRIC_COUNTER},
                             to_str(labels));
  }
  int32_t metric_gauge(std::string_view name, std::string_view help,
                       std::string_view labels = {}) const noexcept {
    return detail::host_call(api_, &gantry_host_api_t::metric_register, int32_t{-1}, self_,
                             to_str(name), to_str(help), uint32_t{GANTRY_METRIC_GAUGE},
                             to_str(labels));
  }
  // ABI 1.1, THREAD: a worker loop. Adds to this worker's value of `id`;
  // a no-op for id -1, so a module need not check registration twice.
  void metric_add(int32_t id, int64_t delta = 1) const noexcept {
    if (id < 0) return;
    detail::host_call(api_, &gantry_host_api_t::metric_add, gantry_status_t{GANTRY_ERR_NOTSUP}, id,
                      delta);
  }
  // ABI 1.2, THREAD: any. Sets gauge `id` to `value` (a fact, such as a
  // certificate's expiry); a no-op for id -1 and on an older host.
  void metric_set(int32_t id, int64_t value) const noexcept {
    if (id < 0) return;
    detail::host_call(api_, &gantry_host_api_t::metric_set, gantry_status_t{GANTRY_ERR_NOTSUP}, id,
                      value);
  }

  // THREAD: MAIN. The directory of the config file; empty if unknown.
  std::string_view config_dir() const noexcept {
    return to_sv(detail::host_call(api_, &gantry_host_api_t::cfg_dir, gantry_str_t{nullptr, 0}));
  }
  // THREAD: MAIN. `path` as written in the config: an absolute path (or an
  // empty one) unchanged, a relative one below config_dir().
  std::string resolve_path(std::string_view path) const {
    std::string out(path);
    if (path.empty() || path[0] == '/') return out;
    std::string_view dir = config_dir();
    if (dir.empty()) return out;
    out.assign(dir);
    if (out.back() != '/') out.push_back('/');
    out.append(path);
    return out;
  }

 private:
  const gantry_host_api_t* api_ = nullptr;
  gantry_module_t* self_ = nullptr;
};

}  // namespace gantry

#endif /* GANTRY_CPP_HOST_HPP */
