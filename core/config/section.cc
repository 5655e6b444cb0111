#include "config/section.h"

#include "config/cfg_node.h"

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

}  // namespace gantry::config::detail
