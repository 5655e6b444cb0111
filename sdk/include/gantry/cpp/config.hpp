/*
 * gantry C++ layer: gantry::Config, a view of one node of the TOML config,
 * and gantry::key() for a module's kConfigKeys table.
 * Part of gantry/module.hpp; include that header, not this one.
 */
#ifndef GANTRY_CPP_CONFIG_HPP
#define GANTRY_CPP_CONFIG_HPP

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

#include "gantry/cpp/host.hpp"

namespace gantry {

// Valid only during the MAIN call that handed out the node: copy what you
// keep (as_string() returns a view; store it in a std::string).
// A default-constructed or missing node is "absent": operator bool is false,
// the *_or accessors return their default, the as_* accessors throw.
class Config {
 public:
  Config() = default;
  Config(const gantry_host_api_t* api, const gantry_cfg_t* node) noexcept : api_(api), node_(node) {}

  explicit operator bool() const noexcept { return node_ != nullptr; }
  const gantry_cfg_t* node() const noexcept { return node_; }
  gantry_cfg_type_t type() const noexcept {
    if (node_ == nullptr) return GANTRY_CFG_ANY;
    return static_cast<gantry_cfg_type_t>(
        detail::host_call(api_, &gantry_host_api_t::cfg_type, 0u, node_));
  }
  bool is(gantry_cfg_type_t t) const noexcept { return node_ != nullptr && type() == t; }
  bool is_table() const noexcept { return is(GANTRY_CFG_TABLE); }
  bool is_array() const noexcept { return is(GANTRY_CFG_ARRAY); }

  // Child of a table, absent if missing.
  Config operator[](const char* key) const noexcept {
    if (node_ == nullptr) return Config(api_, nullptr);
    return Config(api_, detail::host_call(api_, &gantry_host_api_t::cfg_get,
                                          static_cast<const gantry_cfg_t*>(nullptr), node_, key));
  }
  Config operator[](const std::string& key) const noexcept { return (*this)[key.c_str()]; }
  // Entries of a table or elements of an array.
  size_t size() const noexcept {
    return node_ != nullptr ? detail::host_call(api_, &gantry_host_api_t::cfg_size, size_t{0}, node_)
                            : 0;
  }
  Config at(size_t i) const noexcept { return entry(i).second; }
  std::pair<std::string_view, Config> entry(size_t i) const noexcept {
    gantry_str_t key{nullptr, 0};
    const gantry_cfg_t* child = nullptr;
    if (node_ != nullptr)
      child = detail::host_call(api_, &gantry_host_api_t::cfg_at,
                                static_cast<const gantry_cfg_t*>(nullptr), node_, i, &key);
    return {to_sv(key), Config(api_, child)};
  }

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = std::pair<std::string_view, Config>;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = value_type;
    Iterator(const Config* c, size_t i) : c_(c), i_(i) {}
    value_type operator*() const { return c_->entry(i_); }
    Iterator& operator++() { ++i_; return *this; }
    bool operator!=(const Iterator& o) const { return i_ != o.i_; }
    bool operator==(const Iterator& o) const { return i_ == o.i_; }

   private:
    const Config* c_;
    size_t i_;
  };
  // for (auto [key, value] : table) ...   (key is empty for array elements)
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, size()); }

  std::string_view as_string() const {
    gantry_str_t s{nullptr, 0};
    check(&gantry_host_api_t::cfg_string, &s, "a string");
    return to_sv(s);
  }
  int64_t as_int() const { int64_t v = 0; check(&gantry_host_api_t::cfg_int, &v, "an integer"); return v; }
  double as_float() const { double v = 0; check(&gantry_host_api_t::cfg_float, &v, "a number"); return v; }
  bool as_bool() const { int32_t v = 0; check(&gantry_host_api_t::cfg_bool, &v, "a boolean"); return v != 0; }
  int64_t as_duration_ms() const {
    int64_t v = 0;
    check(&gantry_host_api_t::cfg_duration_ms, &v, "a duration");
    return v;
  }
  int64_t as_size_bytes() const { int64_t v = 0; check(&gantry_host_api_t::cfg_size_bytes, &v, "a size"); return v; }
  // An integer within [lo, hi], else a ConfigError at this node.
  int64_t as_int_in(int64_t lo, int64_t hi) const {
    int64_t v = as_int();
    if (v < lo || v > hi) fail("must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return v;
  }

  // The value read by `reader` (e.g. &Config::as_int) into *out; false,
  // with *out untouched, when the node is absent or of another type. For
  // modules that word their own errors: `if (!n.read(&Config::as_bool, &b))
  // n.fail("tls: expected true or false");`.
  template <typename T>
  bool read(T (Config::*reader)() const, T* out) const {
    if (node_ == nullptr) return false;
    try {
      *out = (this->*reader)();
      return true;
    } catch (const ConfigError&) {
      return false;
    }
  }

  std::string_view string_or(std::string_view def) const { return *this ? as_string() : def; }
  int64_t int_or(int64_t def) const { return *this ? as_int() : def; }
  double float_or(double def) const { return *this ? as_float() : def; }
  bool bool_or(bool def) const { return *this ? as_bool() : def; }
  int64_t duration_ms_or(int64_t def) const { return *this ? as_duration_ms() : def; }
  int64_t size_bytes_or(int64_t def) const { return *this ? as_size_bytes() : def; }

  // "file:line:col" ("file:line" without the column), or empty if the host
  // cannot tell.
  std::string where(bool with_column = true) const {
    const char* file = nullptr;
    uint32_t line = 0, column = 0;
    if (!position(&file, &line, &column)) return std::string();
    std::string out = std::string(file) + ":" + std::to_string(line);
    if (with_column) out += ":" + std::to_string(column);
    return out;
  }
  // The node's line in its file, 0 if unknown.
  uint32_t line() const {
    const char* file = nullptr;
    uint32_t line = 0, column = 0;
    return position(&file, &line, &column) ? line : 0;
  }

  // Throws a ConfigError at this node (the host prints its file:line).
  [[noreturn]] void fail(const std::string& what) const { throw ConfigError(node_, what); }

 private:
  bool position(const char** file, uint32_t* line, uint32_t* column) const {
    auto fn = detail::host_fn(api_, &gantry_host_api_t::cfg_where);
    if (node_ == nullptr || fn == nullptr) return false;
    fn(node_, file, line, column);
    return *file != nullptr;
  }

  template <typename T>
  using Reader = gantry_status_t (*gantry_host_api_t::*)(const gantry_cfg_t*, T*);
  template <typename T>
  void check(Reader<T> member, T* out, const char* what) const {
    if (node_ == nullptr) throw ConfigError(nullptr, std::string("missing value, expected ") + what);
    auto fn = detail::host_fn(api_, member);
    if (fn == nullptr) throw ConfigError(node_, "the host cannot read config values",
                                         GANTRY_ERR_NOTSUP);
    if (fn(node_, out) != GANTRY_OK) fail(std::string("expected ") + what);
  }

  const gantry_host_api_t* api_ = nullptr;
  const gantry_cfg_t* node_ = nullptr;
};

// One accepted config key, for a class's kConfigKeys array.
constexpr gantry_config_key_t key(const char* name, gantry_cfg_type_t type, bool required,
                                  const char* doc, gantry_scope_t scope = GANTRY_SCOPE_MODULE) {
  return gantry_config_key_t{sizeof(gantry_config_key_t), static_cast<uint32_t>(scope), name,
                             static_cast<uint32_t>(type), required ? 1u : 0u, doc};
}
constexpr gantry_config_key_t keys_end() {
  return gantry_config_key_t{sizeof(gantry_config_key_t), 0, nullptr, 0, 0, nullptr};
}

}  // namespace gantry

#endif /* GANTRY_CPP_CONFIG_HPP */
