#pragma once
// What a test needs from the machine beyond the build: a program in PATH (curl,
// nginx, openssl, node, chromium, testssl...) or a capability (CAP_NET_ADMIN
// for SO_MARK). Without it a test skips and names what is missing, so the
// suite runs on a developer's machine. Under CI=true a missing requirement
// fails the test instead: CI installs everything (scripts/packages*.txt), and
// a skip there would hide a test that never ran.
//
//   GANTRY_REQUIRE_TOOL("nginx", "nginx-light");
//   GANTRY_REQUIRE(gantry::test::has_capability(CAP_NET_ADMIN), "CAP_NET_ADMIN (SO_MARK)");
//
// Both return from the calling function (a test body or SetUp) when the
// requirement is missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

namespace gantry::test {

// True when CI is set to "true" or "1" (GitHub, GitLab and .ci/run set it).
inline bool in_ci() {
  const char* v = std::getenv("CI");
  if (v == nullptr) return false;
  std::string s(v);
  return s == "true" || s == "1" || s == "TRUE" || s == "True";
}

// An executable named `name` in one of the PATH folders.
inline bool tool_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string dirs(path);
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (dir.empty()) dir = ".";
    if (::access((dir + "/" + name).c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

// Whether capability number `cap` (linux/capability.h, e.g. 12 for
// CAP_NET_ADMIN) is in this process's effective set. Child processes such
// as gantry inherit the same set.
inline bool has_capability(int cap) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    uint64_t bits = std::strtoull(line.c_str() + 7, nullptr, 16);
    return cap >= 0 && cap < 64 && ((bits >> cap) & 1u) != 0;
  }
  return false;
}

}  // namespace gantry::test

#define GANTRY_REQUIRE(condition, what)                                                   \
  do {                                                                                    \
    if (!(condition)) {                                                                   \
      if (::gantry::test::in_ci()) {                                                      \
        FAIL() << "missing " << what << " (CI=true: CI must provide it, not skip)";       \
      } else {                                                                            \
        GTEST_SKIP() << "skipped: missing " << what;                                     \
      }                                                                                   \
    }                                                                                     \
  } while (0)

// `tool` in PATH; `package` is the Debian package that provides it.
#define GANTRY_REQUIRE_TOOL(tool, package)                                                \
  GANTRY_REQUIRE(::gantry::test::tool_in_path(tool),                                      \
                 "`" << (tool) << "` in PATH (Debian package " << (package)               \
                     << ", installed by scripts/setup.sh)")
