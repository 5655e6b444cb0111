#pragma once
// One TOML table during config loading, with its key path for messages.
// Every failure throws Invalid carrying "file:line:col: key.path: what";
// load_config() catches it at the boundary and returns it as a Result, so
// the exception never leaves core/config.
#include <toml++/toml.h>

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
  const toml::node* node(std::string_view key) const { return table_.get(key); }

  [[noreturn]] void fail_at(const toml::node& n, std::string_view key,
                            const std::string& what) const {
    fail(n.source(), key_path(key), what);
  }
  [[noreturn]] void fail_here(const std::string& what) const { fail(table_.source(), path_, what); }

 private:
  const toml::table& table_;
  std::string path_;
};

}  // namespace gantry::config::detail
