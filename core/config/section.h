#pragma once
// Typed, position-aware reading of one TOML table during config loading.
// Every failure throws Invalid carrying "file:line:col: key.path: what";
// load_config() catches it at the boundary and returns it as a Result, so
// the exception never leaves core/config.
#include <toml++/toml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace gantry::config::detail {

struct Invalid {
  std::string message;
};

[[noreturn]] void fail(const toml::source_region& at, const std::string& key_path,
                       const std::string& what);

class Section {
 public:
  Section(const toml::table& table, std::string path) : table_(table), path_(std::move(path)) {}

  const toml::table& table() const { return table_; }
  const std::string& path() const { return path_; }
  std::string key_path(std::string_view key) const;

  // Every key must be one of `known` or pass `also` (module sub-tables).
  void allow_only(std::initializer_list<std::string_view> known,
                  const std::function<bool(std::string_view)>& also = {}) const;

  const toml::node* node(std::string_view key) const { return table_.get(key); }
  std::optional<std::string> str(std::string_view key) const;
  std::optional<int64_t> integer(std::string_view key, int64_t lo, int64_t hi) const;
  std::optional<bool> boolean(std::string_view key) const;
  std::optional<uint64_t> duration_ms(std::string_view key) const;
  std::optional<uint64_t> size_bytes(std::string_view key) const;
  const toml::table* subtable(std::string_view key) const;
  const toml::array* array(std::string_view key) const;

  // A string that must be present and non-empty.
  std::string required_str(std::string_view key) const;

  [[noreturn]] void fail_at(const toml::node& n, std::string_view key,
                            const std::string& what) const {
    fail(n.source(), key_path(key), what);
  }
  [[noreturn]] void fail_here(const std::string& what) const {
    fail(table_.source(), path_, what);
  }

 private:
  const toml::table& table_;
  std::string path_;
};

}  // namespace gantry::config::detail
