// Top-level `user` and `group`: resolved to ids while the config loads, so
// `gantry -t` reports an unknown name with its line, and a start never fails
// late on a lookup.
#include <grp.h>
#include <pwd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "config/cfg_node.h"
#include "config/loader_parts.h"

namespace gantry::config::detail {
namespace {

// A decimal id written as a string ("65534"), as systemd's User= accepts.
std::optional<uint32_t> numeric_id(const std::string& s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  // (uid_t)-1 means "unchanged" to setresuid(2); it can never be a target.
  if (v >= UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(v);
}

// getpwnam_r/getgrnam_r and friends with a buffer that grows on ERANGE.
// `lookup` returns the function's error number and sets *found.
template <typename Entry, typename Lookup>
std::optional<Entry> lookup_entry(Lookup lookup, std::string* error) {
  std::vector<char> buf(1024);
  Entry entry{};
  for (;;) {
    Entry* found = nullptr;
    int rc = lookup(&entry, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0) *error = std::strerror(rc);
    if (found == nullptr) return std::nullopt;
    return entry;
  }
}

struct UserInfo {
  uint32_t uid = 0;
  std::optional<uint32_t> primary_gid;  // none: a numeric id without a passwd entry
};

std::optional<UserInfo> find_user(const std::string& name, std::string* error) {
  std::optional<uint32_t> id = numeric_id(name);
  auto pw = lookup_entry<passwd>(
      [&](passwd* e, char* b, size_t n, passwd** out) {
        return id ? getpwuid_r(*id, e, b, n, out) : getpwnam_r(name.c_str(), e, b, n, out);
      },
      error);
  if (pw) return UserInfo{pw->pw_uid, pw->pw_gid};
  if (id) return UserInfo{*id, std::nullopt};
  return std::nullopt;
}

std::optional<uint32_t> find_group(const std::string& name, std::string* error) {
  std::optional<uint32_t> id = numeric_id(name);
  if (id) return id;
  auto gr = lookup_entry<group>(
      [&](group* e, char* b, size_t n, group** out) {
        return getgrnam_r(name.c_str(), e, b, n, out);
      },
      error);
  if (gr) return gr->gr_gid;
  return std::nullopt;
}

std::string unknown(const char* what, const std::string& name, const std::string& error) {
  std::string msg = std::string("unknown ") + what + " '" + name + "'";
  if (!error.empty()) msg += " (lookup failed: " + error + ")";
  return msg;
}

}  // namespace

// `user`: its uid, and its primary group unless `group` (read after it)
// says otherwise.
void read_user(const Value& v, Config* cfg) {
  std::string error;
  std::optional<UserInfo> u = find_user(v.text, &error);
  if (!u) v.fail(unknown("user", v.text, error));
  RunAs& as = cfg->run_as;
  as.user = v.text;
  as.set_uid = true;
  as.uid = u->uid;
  as.pos = pos_of(v.node);
  if (u->primary_gid) {
    as.set_gid = true;
    as.gid = *u->primary_gid;
  }
}

void read_group(const Value& v, Config* cfg) {
  std::string error;
  std::optional<uint32_t> gid = find_group(v.text, &error);
  if (!gid) v.fail(unknown("group", v.text, error));
  RunAs& as = cfg->run_as;
  as.group = v.text;
  as.set_gid = true;
  as.gid = *gid;
  if (!as.set_uid) as.pos = pos_of(v.node);
}

void check_run_as(const Section& top, const Config& cfg) {
  const RunAs& as = cfg.run_as;
  if (as.set_uid && !as.set_gid) {
    top.fail_at(*top.node("user"), "user",
                "user id " + as.user + " has no passwd entry, so no primary group: set `group`");
  }
}

}  // namespace gantry::config::detail
