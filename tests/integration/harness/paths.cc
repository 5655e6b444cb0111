#include "harness/paths.h"

#include <sys/stat.h>

#include <cstdlib>

namespace gantry::itest {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}

}  // namespace

std::string gantry_binary() { return env_or("GANTRY_ITEST_BINARY", GANTRY_ITEST_BINARY); }

std::string modules_dir() { return env_or("GANTRY_ITEST_MODULES_DIR", GANTRY_ITEST_MODULES_DIR); }

std::string source_dir() { return env_or("GANTRY_ITEST_SOURCE_DIR", GANTRY_ITEST_SOURCE_DIR); }

std::string shared_dir() { return env_or("GANTRY_SHARED_DIR", source_dir() + "/../shared"); }

std::string conformance_file() {
  return env_or("GANTRY_CONFORMANCE_FILE", shared_dir() + "/conformance/http11probe.json");
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace gantry::itest
