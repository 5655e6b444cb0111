#include "fuzz_support.h"

#include <map>
#include <sstream>

namespace gantry::fuzz {
namespace {

Verdict g_verdict = Verdict::kNone;
bool g_open_hit = false;  // an open finding cut the current input short

// A function-local static: targets name themselves from static initializers,
// which may run before this file's globals are constructed.
std::string& target() {
  static std::string* name = new std::string();
  return *name;
}

// Open findings of this target, from $GANTRY_FUZZ_OPEN, with their hits.
std::map<std::string, unsigned long>& open_findings() {
  static std::map<std::string, unsigned long>* found = [] {
    auto* m = new std::map<std::string, unsigned long>();
    const char* env = std::getenv("GANTRY_FUZZ_OPEN");
    std::stringstream list(env != nullptr ? env : "");
    std::string item;
    std::string prefix = target() + ":";
    while (std::getline(list, item, ',')) {
      if (item.compare(0, prefix.size(), prefix) == 0) (*m)[item.substr(prefix.size())] = 0;
    }
    return m;
  }();
  return *found;
}

}  // namespace

void report_verdict(Verdict v) {
  g_verdict = g_open_hit ? Verdict::kOpen : v;
  g_open_hit = false;
}

void set_target_name(const char* name) { target() = name; }

bool is_open_finding(const std::string& cls) {
  auto& m = open_findings();
  auto it = m.find(cls);
  if (it == m.end()) return false;
  ++it->second;
  return true;
}

bool check_or_open(bool ok, const std::string& cls, const std::string& detail) {
  if (ok) return true;
  if (is_open_finding(cls)) {
    g_open_hit = true;
    return false;
  }
  std::fprintf(stderr, "%s: %s: %s\n", target().c_str(), cls.c_str(), detail.c_str());
  std::abort();
}

}  // namespace gantry::fuzz

extern "C" int gantry_fuzz_verdict() { return static_cast<int>(gantry::fuzz::g_verdict); }

extern "C" int gantry_fuzz_replay_end() {
  int failed = 0;
  for (const auto& [cls, hits] : gantry::fuzz::open_findings()) {
    if (hits > 0) {
      std::fprintf(stderr, "open finding %s:%s: still occurs (%lu inputs)\n",
                   gantry::fuzz::target().c_str(), cls.c_str(), hits);
    } else {
      std::fprintf(stderr,
                   "open finding %s:%s: no longer occurs; it is fixed, so remove it from "
                   "tests/fuzz/open_findings.txt\n",
                   gantry::fuzz::target().c_str(), cls.c_str());
      failed = 1;
    }
  }
  return failed;
}
