#pragma once
// Thin helpers over gantry::Config for the nested tables the host cannot
// validate for us ([[module.config.acl]], [[module.config.rule]]). The first
// failure is kept with its node; raise() then throws it as a
// gantry::ConfigError, so the message carries file:line.
#include <cstdint>
#include <string>
#include <vector>

#include "gantry/module.hpp"

namespace gantry::acl {

struct CfgItem {
  std::string text;
  gantry::Config node;
};

class CfgReader {
 public:
  explicit CfgReader(const gantry::Host& host) : host_(host) {}

  // Records the error at `node` (absent: no position) and returns false, so
  // callers can `return r.fail(...)`. The first error is the one reported.
  bool fail(const gantry::Config& node, const std::string& msg) const;
  // Throws the recorded error.
  [[noreturn]] void raise(gantry_status_t code = GANTRY_ERR_INVAL) const;

  bool is(const gantry::Config& node, gantry_cfg_type_t type) const { return node.is(type); }
  bool string(const gantry::Config& node, const std::string& what, std::string* out) const;
  // A string or an array of strings.
  bool string_list(const gantry::Config& node, const std::string& what,
                   std::vector<CfgItem>* out) const;
  bool integer(const gantry::Config& node, const std::string& what, int64_t* out) const;
  bool boolean(const gantry::Config& node, const std::string& what, bool* out) const;
  // Fails on the first key of `table` not in `allowed`.
  bool check_keys(const gantry::Config& table, const std::string& what,
                  const std::vector<std::string>& allowed) const;
  // A path relative to the config file's directory, or absolute.
  std::string resolve_path(const std::string& path) const { return host_.resolve_path(path); }
  // `gantry -t`: validate everything, write nothing.
  bool check_only() const { return host_.check_only(); }
  // The index of a backend the host's configuration names, resolved once at
  // load; fails at `node` when there is none. -1 (route by name) on a host
  // too old to say.
  bool backend(const gantry::Config& node, const std::string& what, const std::string& name,
               int32_t* index) const;

 private:
  gantry::Host host_;
  mutable bool failed_ = false;
  mutable gantry::Config error_node_;
  mutable std::string error_;
};

}  // namespace gantry::acl
