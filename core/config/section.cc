#include "config/section.h"

#include "config/cfg_node.h"
#include "config/units.h"

namespace gantry::config::detail {

void fail(const toml::source_region& at, const std::string& key_path, const std::string& what) {
  std::string msg = to_pos(at).str();
  if (!key_path.empty()) msg += ": " + key_path;
  msg += ": " + what;
  throw Invalid{std::move(msg)};
}

std::string Section::key_path(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

void Section::allow_only(std::initializer_list<std::string_view> known,
                         const std::function<bool(std::string_view)>& also) const {
  for (auto&& [k, v] : table_) {
    bool ok = false;
    for (std::string_view name : known) ok = ok || k.str() == name;
    if (!ok && also) ok = also(k.str());
    if (ok) continue;
    // A [header] table's key position points into the header; the value's
    // position is the header itself, which is what a reader looks for.
    const toml::source_region& at = v.is_table() ? v.source() : k.source();
    fail(at, path_, "unknown key '" + std::string(k.str()) + "'");
  }
}

namespace {

std::string expected(const char* want, const toml::node& n) {
  return std::string("expected ") + want + ", got " + toml_type_name(n.type());
}

}  // namespace

std::optional<std::string> Section::str(std::string_view key) const {
  const toml::node* n = node(key);
  if (n == nullptr) return std::nullopt;
  if (!n->is_string()) fail_at(*n, key, expected("a string", *n));
  return n->value_exact<std::string>();
}

std::string Section::required_str(std::string_view key) const {
  std::optional<std::string> s = str(key);
  if (!s) fail_here("missing required key '" + std::string(key) + "'");
  if (s->empty()) fail_at(*node(key), key, "must not be empty");
  return *s;
}

std::optional<int64_t> Section::integer(std::string_view key, int64_t lo, int64_t hi) const {
  const toml::node* n = node(key);
  if (n == nullptr) return std::nullopt;
  if (!n->is_integer()) fail_at(*n, key, expected("an integer", *n));
  int64_t v = *n->value_exact<int64_t>();
  if (v < lo || v > hi) {
    fail_at(*n, key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                         ", got " + std::to_string(v));
  }
  return v;
}

std::optional<bool> Section::boolean(std::string_view key) const {
  const toml::node* n = node(key);
  if (n == nullptr) return std::nullopt;
  if (!n->is_boolean()) fail_at(*n, key, expected("a boolean", *n));
  return n->value_exact<bool>();
}

std::optional<uint64_t> Section::duration_ms(std::string_view key) const {
  const toml::node* n = node(key);
  if (n == nullptr) return std::nullopt;
  std::string why;
  if (!matches_cfg_type(*n, GANTRY_CFG_DURATION, &why)) fail_at(*n, key, why);
  uint64_t v = 0;
  node_duration_ms(*n, &v);
  return v;
}

std::optional<uint64_t> Section::size_bytes(std::string_view key) const {
  const toml::node* n = node(key);
  if (n == nullptr) return std::nullopt;
  std::string why;
  if (!matches_cfg_type(*n, GANTRY_CFG_SIZE, &why)) fail_at(*n, key, why);
  uint64_t v = 0;
  node_size_bytes(*n, &v);
  return v;
}

const toml::table* Section::subtable(std::string_view key) const {
  const toml::node* n = node(key);
  if (n == nullptr) return nullptr;
  if (!n->is_table()) fail_at(*n, key, expected("a table", *n));
  return n->as_table();
}

const toml::array* Section::array(std::string_view key) const {
  const toml::node* n = node(key);
  if (n == nullptr) return nullptr;
  if (!n->is_array()) fail_at(*n, key, expected("an array", *n));
  return n->as_array();
}

}  // namespace gantry::config::detail
