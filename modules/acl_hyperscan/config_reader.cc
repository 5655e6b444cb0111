#include "config_reader.h"

#include <algorithm>

namespace gantry::acl {

bool CfgReader::fail(const gantry::Config& node, const std::string& msg) const {
  if (!failed_) {
    failed_ = true;
    error_node_ = node;
    error_ = msg;
  }
  return false;
}

void CfgReader::raise(gantry_status_t code) const {
  throw gantry::ConfigError(error_node_.node(), error_, code);
}

bool CfgReader::string(const gantry::Config& node, const std::string& what,
                       std::string* out) const {
  std::string_view s;
  if (!is(node, GANTRY_CFG_STRING) || !node.read(&gantry::Config::as_string, &s))
    return fail(node, what + ": expected a string");
  out->assign(s);
  return true;
}

bool CfgReader::string_list(const gantry::Config& node, const std::string& what,
                            std::vector<CfgItem>* out) const {
  if (is(node, GANTRY_CFG_STRING)) {
    CfgItem item{{}, node};
    if (!string(node, what, &item.text)) return false;
    out->push_back(std::move(item));
    return true;
  }
  if (!is(node, GANTRY_CFG_ARRAY)) return fail(node, what + ": expected a string or an array of strings");
  for (size_t i = 0; i < node.size(); ++i) {
    CfgItem item{{}, node.at(i)};
    if (!string(item.node, what, &item.text)) return false;
    out->push_back(std::move(item));
  }
  return true;
}

bool CfgReader::integer(const gantry::Config& node, const std::string& what, int64_t* out) const {
  if (!is(node, GANTRY_CFG_INT) || !node.read(&gantry::Config::as_int, out))
    return fail(node, what + ": expected an integer");
  return true;
}

bool CfgReader::boolean(const gantry::Config& node, const std::string& what, bool* out) const {
  if (!is(node, GANTRY_CFG_BOOL) || !node.read(&gantry::Config::as_bool, out))
    return fail(node, what + ": expected true or false");
  return true;
}

bool CfgReader::backend(const gantry::Config& node, const std::string& what,
                        const std::string& name, int32_t* index) const {
  int32_t i = host_.backend_index(name);
  if (i == -1) return fail(node, what + ": no backend named \"" + name + "\"");
  *index = i < 0 ? -1 : i;
  return true;
}

bool CfgReader::check_keys(const gantry::Config& table, const std::string& what,
                           const std::vector<std::string>& allowed) const {
  for (size_t i = 0; i < table.size(); ++i) {
    auto [key, value] = table.entry(i);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      return fail(value, what + ": unknown key \"" + std::string(key) + "\"");
  }
  return true;
}

}  // namespace gantry::acl
