/*
 * gantry::testing::check_keys: what gantry checks in a module's table before
 * the module sees it (unknown keys, wrong types, missing required keys),
 * with the same rules and wording. Part of gantry/mock_host.hpp.
 */
#ifndef GANTRY_TESTING_KEY_CHECK_HPP
#define GANTRY_TESTING_KEY_CHECK_HPP

#include <string>
#include <vector>

#include "gantry/testing/mock_cfg.hpp"

namespace gantry::testing {

// What check_keys() found: an empty message when the table is fine.
struct KeyProblem {
  const gantry_cfg_t* node = nullptr;  // where the host reports it
  std::string message;
  explicit operator bool() const { return !message.empty(); }
};

namespace detail {

inline const char* cfg_type_name(uint32_t type) {
  switch (type) {
    case GANTRY_CFG_ANY: return "any";
    case GANTRY_CFG_BOOL: return "boolean";
    case GANTRY_CFG_INT: return "integer";
    case GANTRY_CFG_FLOAT: return "float";
    case GANTRY_CFG_STRING: return "string";
    case GANTRY_CFG_ARRAY: return "array";
    case GANTRY_CFG_TABLE: return "table";
    case GANTRY_CFG_DURATION: return "duration";
    case GANTRY_CFG_SIZE: return "size";
    default: return "?";
  }
}

// The TOML type of a value, as gantry names it.
inline std::string type_of(const MockCfg::Node& n) {
  return n.type == GANTRY_CFG_ANY ? "date-time" : cfg_type_name(n.type);
}
// A string or integer value as written, else its type.
inline std::string describe(const MockCfg::Node& n) {
  if (n.type == GANTRY_CFG_STRING) return "\"" + n.text + "\"";
  if (n.type == GANTRY_CFG_INT) return std::to_string(n.i);
  return type_of(n);
}

// Whether `n` is acceptable as `type`; *why says what was wrong.
inline bool matches(const MockCfg::Node& n, uint32_t type, std::string* why) {
  int64_t scratch = 0;
  bool ok = false;
  switch (type) {
    case GANTRY_CFG_ANY: ok = true; break;
    case GANTRY_CFG_FLOAT: ok = n.type == GANTRY_CFG_FLOAT || n.type == GANTRY_CFG_INT; break;
    case GANTRY_CFG_DURATION:
      ok = (n.type == GANTRY_CFG_INT && n.i >= 0) ||
           (n.type == GANTRY_CFG_STRING && units::duration_ms(n.text, &scratch));
      break;
    case GANTRY_CFG_SIZE:
      ok = (n.type == GANTRY_CFG_INT && n.i >= 0) ||
           (n.type == GANTRY_CFG_STRING && units::size_bytes(n.text, &scratch));
      break;
    default: ok = n.type == static_cast<gantry_cfg_type_t>(type); break;
  }
  if (ok) return true;
  if (type == GANTRY_CFG_DURATION)
    *why = "expected a duration (\"250ms\", \"30s\", \"5m\", \"1h\" or integer ms), got " + describe(n);
  else if (type == GANTRY_CFG_SIZE)
    *why = "expected a size (\"16k\", \"1m\" or integer bytes), got " + describe(n);
  else
    *why = std::string("expected ") + cfg_type_name(type) + ", got " + type_of(n);
  return false;
}

}  // namespace detail

// Checks `table` against the keys of `scope` in `keys` (which ends with a
// NULL name; may be null). `label` names the owner in messages, e.g.
// "module 'acl'"; `host_keys` are keys the host reads itself (e.g.
// `provider` in a TLS table), always allowed.
inline KeyProblem check_keys(const gantry_config_key_t* keys, uint32_t scope, const MockCfg& table,
                             const std::string& label,
                             const std::vector<std::string>& host_keys = {}) {
  auto declared = [&](const std::string& name) -> const gantry_config_key_t* {
    for (const gantry_config_key_t* k = keys; k != nullptr && k->name != nullptr; ++k)
      if (k->scope == scope && name == k->name) return k;
    return nullptr;
  };
  if (table.type() != GANTRY_CFG_TABLE) return {table.raw(), "expected a table (" + label + ")"};
  for (size_t i = 0; i < table.size(); ++i) {
    const std::string& name = table.key_at(i);
    const MockCfg& value = table.at(i);
    const gantry_config_key_t* k = declared(name);
    if (k == nullptr) {
      bool host_owned = false;
      for (const std::string& h : host_keys) host_owned = host_owned || h == name;
      if (host_owned) continue;
      std::string accepted;
      for (const gantry_config_key_t* d = keys; d != nullptr && d->name != nullptr; ++d)
        if (d->scope == scope) accepted += (accepted.empty() ? "" : ", ") + std::string(d->name);
      return {value.raw(), "unknown key '" + name + "' (" + label + " accepts here: " +
                               (accepted.empty() ? "none" : accepted) + ")"};
    }
    std::string why;
    if (!detail::matches(value.node(), k->type, &why))
      return {value.raw(), name + ": " + why + " (" + label + ")"};
  }
  for (const gantry_config_key_t* k = keys; k != nullptr && k->name != nullptr; ++k)
    if (k->scope == scope && k->required && table.find(k->name) == nullptr)
      return {table.raw(), "missing required key '" + std::string(k->name) + "' (" + label + ")"};
  return {};
}

}  // namespace gantry::testing

#endif /* GANTRY_TESTING_KEY_CHECK_HPP */
