/*
 * gantry C++ layer: the gantry::Module base class and the exception barrier
 * every trampoline runs its call in.
 * Part of gantry/module.hpp; include that header, not this one.
 */
#ifndef GANTRY_CPP_MODULE_BASE_HPP
#define GANTRY_CPP_MODULE_BASE_HPP

#include <cstdio>
#include <exception>
#include <new>
#include <type_traits>

#include "gantry/cpp/host.hpp"

namespace gantry {

class Module {
 public:
  explicit Module(Host host) noexcept : host_(host) {}
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  const Host& host() const noexcept { return host_; }

 private:
  Host host_;
};

namespace detail {

// Reports an exception that reached a trampoline. Formats into a stack
// buffer so that reporting cannot throw in turn.
inline void report_exception(const Host& host, const char* hook, const char* what) noexcept {
  char buf[480];
  std::snprintf(buf, sizeof buf, "%s threw: %s", hook, what);
  host.error(buf);
}

inline void set_error(const gantry_host_api_t* api, gantry_error_t* err, const gantry_cfg_t* node,
                      gantry_status_t code, const char* msg) noexcept {
  if (err == nullptr) return;
  auto at = host_fn(api, &gantry_host_api_t::error_at);
  auto set = host_fn(api, &gantry_host_api_t::error_set);
  if (node != nullptr && at != nullptr) at(err, node, code, msg);
  else if (set != nullptr) set(err, code, msg);
}

// Runs fn() for a MAIN call that reports failures through `err`.
template <typename Fn>
gantry_status_t guard_status(const gantry_host_api_t* api, gantry_error_t* err, Fn&& fn) noexcept {
  try {
    return fn();
  } catch (const ConfigError& e) {
    set_error(api, err, e.node(), e.code(), e.what());
    return e.code() != GANTRY_OK ? e.code() : GANTRY_ERR_INVAL;
  } catch (const Error& e) {
    set_error(api, err, nullptr, e.code(), e.what());
    return e.code() != GANTRY_OK ? e.code() : GANTRY_ERR_GENERIC;
  } catch (const std::bad_alloc&) {
    set_error(api, err, nullptr, GANTRY_ERR_NOMEM, "out of memory");
    return GANTRY_ERR_NOMEM;
  } catch (const std::exception& e) {
    set_error(api, err, nullptr, GANTRY_ERR_GENERIC, e.what());
    return GANTRY_ERR_GENERIC;
  } catch (...) {
    set_error(api, err, nullptr, GANTRY_ERR_GENERIC, "unknown exception");
    return GANTRY_ERR_GENERIC;
  }
}

// Runs fn() for a data-path hook: an exception is logged and closes the
// connection. R is gantry_action_t or void.
template <typename R, typename Fn>
R guard_hook(const Module& m, const char* hook, Fn&& fn) noexcept {
  try {
    return fn();
  } catch (const std::exception& e) {
    report_exception(m.host(), hook, e.what());
  } catch (...) {
    report_exception(m.host(), hook, "unknown exception");
  }
  if constexpr (std::is_same_v<R, gantry_action_t>) return GANTRY_CLOSE;
}

}  // namespace detail
}  // namespace gantry

#endif /* GANTRY_CPP_MODULE_BASE_HPP */
