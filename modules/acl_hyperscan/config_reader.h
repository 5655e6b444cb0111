#pragma once
// Thin helpers over the host's config-node calls for the nested tables the
// host cannot validate for us ([[module.config.acl]], [[module.config.rule]]).
// Every failure goes through host->error_at so the message carries file:line.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "gantry/module.h"

namespace gantry::acl {

struct CfgItem {
  std::string text;
  const gantry_cfg_t* node = nullptr;
};

class CfgReader {
 public:
  CfgReader(const gantry_host_api_t* host, gantry_error_t* err) : host_(host), err_(err) {}

  // Records the error at `node` and returns false, so callers can `return r.fail(...)`.
  bool fail(const gantry_cfg_t* node, const std::string& msg) const;

  bool is(const gantry_cfg_t* node, gantry_cfg_type_t type) const;
  bool string(const gantry_cfg_t* node, const std::string& what, std::string* out) const;
  // A string or an array of strings.
  bool string_list(const gantry_cfg_t* node, const std::string& what,
                   std::vector<CfgItem>* out) const;
  bool integer(const gantry_cfg_t* node, const std::string& what, int64_t* out) const;
  bool boolean(const gantry_cfg_t* node, const std::string& what, bool* out) const;
  // Fails on the first key of `table` not in `allowed`.
  bool check_keys(const gantry_cfg_t* table, const std::string& what,
                  const std::vector<std::string>& allowed) const;
  // Key and value of the i-th entry of a table.
  const gantry_cfg_t* entry(const gantry_cfg_t* table, size_t i, std::string* key) const;
  // A path relative to the config file's directory, or absolute.
  std::string resolve_path(const std::string& path) const;

  const gantry_host_api_t* host() const { return host_; }

 private:
  const gantry_host_api_t* host_;
  gantry_error_t* err_;
};

}  // namespace gantry::acl
