#include "config_reader.h"

#include <algorithm>

namespace gantry::acl {

bool CfgReader::fail(const gantry_cfg_t* node, const std::string& msg) const {
  if (node != nullptr) {
    host_->error_at(err_, node, GANTRY_ERR_INVAL, msg.c_str());
  } else {
    host_->error_set(err_, GANTRY_ERR_INVAL, msg.c_str());
  }
  return false;
}

bool CfgReader::is(const gantry_cfg_t* node, gantry_cfg_type_t type) const {
  return node != nullptr && host_->cfg_type(node) == static_cast<uint32_t>(type);
}

bool CfgReader::string(const gantry_cfg_t* node, const std::string& what,
                       std::string* out) const {
  gantry_str_t s{};
  if (!is(node, GANTRY_CFG_STRING) || host_->cfg_string(node, &s) != GANTRY_OK)
    return fail(node, what + ": expected a string");
  out->assign(s.ptr, s.len);
  return true;
}

bool CfgReader::string_list(const gantry_cfg_t* node, const std::string& what,
                            std::vector<CfgItem>* out) const {
  if (is(node, GANTRY_CFG_STRING)) {
    CfgItem item{{}, node};
    if (!string(node, what, &item.text)) return false;
    out->push_back(std::move(item));
    return true;
  }
  if (!is(node, GANTRY_CFG_ARRAY)) return fail(node, what + ": expected a string or an array of strings");
  size_t n = host_->cfg_size(node);
  for (size_t i = 0; i < n; ++i) {
    gantry_str_t unused{};
    const gantry_cfg_t* el = host_->cfg_at(node, i, &unused);
    CfgItem item{{}, el};
    if (!string(el, what, &item.text)) return false;
    out->push_back(std::move(item));
  }
  return true;
}

bool CfgReader::integer(const gantry_cfg_t* node, const std::string& what, int64_t* out) const {
  if (!is(node, GANTRY_CFG_INT) || host_->cfg_int(node, out) != GANTRY_OK)
    return fail(node, what + ": expected an integer");
  return true;
}

bool CfgReader::boolean(const gantry_cfg_t* node, const std::string& what, bool* out) const {
  int32_t v = 0;
  if (!is(node, GANTRY_CFG_BOOL) || host_->cfg_bool(node, &v) != GANTRY_OK)
    return fail(node, what + ": expected true or false");
  *out = v != 0;
  return true;
}

const gantry_cfg_t* CfgReader::entry(const gantry_cfg_t* table, size_t i, std::string* key) const {
  gantry_str_t k{};
  const gantry_cfg_t* v = host_->cfg_at(table, i, &k);
  key->assign(k.ptr != nullptr ? k.ptr : "", k.len);
  return v;
}

bool CfgReader::check_keys(const gantry_cfg_t* table, const std::string& what,
                           const std::vector<std::string>& allowed) const {
  size_t n = host_->cfg_size(table);
  for (size_t i = 0; i < n; ++i) {
    std::string key;
    const gantry_cfg_t* v = entry(table, i, &key);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      return fail(v, what + ": unknown key \"" + key + "\"");
  }
  return true;
}

std::string CfgReader::resolve_path(const std::string& path) const {
  if (!path.empty() && path[0] == '/') return path;
  gantry_str_t dir = host_->cfg_dir != nullptr ? host_->cfg_dir() : gantry_str_t{nullptr, 0};
  if (dir.len == 0) return path;
  std::string out(dir.ptr, dir.len);
  if (out.back() != '/') out.push_back('/');
  return out + path;
}

}  // namespace gantry::acl
