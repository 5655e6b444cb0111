// libFuzzer target: TOML text through the config loader. Any input must end
// in a validated Config or an error that names its place, never in a crash.
// Only the loader runs: building a generation would dlopen module files.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/loader.h"
#include "fuzz_support.h"

namespace {

const bool kNamed = (gantry::fuzz::set_target_name("config"), true);

const std::string kSource = "/tmp/fuzz.toml";

void check_config(const gantry::config::Config& c) {
  GANTRY_FUZZ_CHECK(c.workers >= 1 && c.workers <= 256);
  GANTRY_FUZZ_CHECK(!c.modules_dir.empty());
  GANTRY_FUZZ_CHECK(c.limits.max_headers >= 1);
  GANTRY_FUZZ_CHECK(c.limits.max_head_bytes >= 1024);
  for (const auto& m : c.modules) GANTRY_FUZZ_CHECK(!m.name.empty() && m.config != nullptr);
  for (const auto& l : c.listeners) {
    GANTRY_FUZZ_CHECK(!l.name.empty() && l.bind.len > 0);
    GANTRY_FUZZ_CHECK(l.backlog >= 1 && l.backlog <= 65535);
  }
  for (const auto& b : c.backends) {
    GANTRY_FUZZ_CHECK(!b.name.empty() && !b.servers.empty());
    for (const auto& s : b.servers) GANTRY_FUZZ_CHECK(s.weight >= 1 && s.weight <= 256);
    GANTRY_FUZZ_CHECK(c.backend_index(b.name) >= 0);
  }
  for (const auto& r : c.routes) {
    // Exactly one of backend / respond, and a backend that exists.
    GANTRY_FUZZ_CHECK(r.has_respond != (r.backend >= 0));
    GANTRY_FUZZ_CHECK(r.backend < static_cast<int>(c.backends.size()));
    if (r.has_respond) GANTRY_FUZZ_CHECK(r.respond.status >= 100 && r.respond.status <= 599);
    GANTRY_FUZZ_CHECK(r.path_prefix.empty() || r.path_prefix.front() == '/');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = gantry::config::load_config_text(text, kSource);
  if (r.ok()) {
    GANTRY_FUZZ_CHECK(r.value() != nullptr);
    check_config(*r.value());
    gantry::fuzz::report_verdict(gantry::fuzz::Verdict::kAccepted);
  } else {
    gantry::fuzz::report_verdict(gantry::fuzz::Verdict::kRejected);
    // Every error says where: "file:line:col: ...".
    const std::string& e = r.error();
    GANTRY_FUZZ_CHECK(e.compare(0, kSource.size() + 1, kSource + ":") == 0);
  }
  return 0;
}
