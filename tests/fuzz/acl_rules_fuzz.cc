// libFuzzer target: the ACL module's rule parser (modules/acl_hyperscan):
// [[acl]] tables, [[rule]] tables and their conditions, read through the
// same host config calls the module uses.
//
// The input is the body of an acl module's [module.config] table. It goes
// through the core's TOML loader, then parse_module_config() with the core's
// host table. Any input must end in a consistent AclConfig or in an error
// set at a config node; a literal pattern (path, path_beg, host_dom, ...)
// must compile in Hyperscan and match the values its kind promises.
#include <hs.h>
#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/loader.h"
#include "config_reader.h"
#include "fuzz_support.h"
#include "module_loader/generation.h"
#include "module_loader/host_objects.h"
#include "rule_parser.h"

namespace gantry::fuzz {
namespace {

using acl::AclConfig;
using acl::MatchKind;
using acl::Pattern;

const bool kNamed = (set_target_name("acl_rules"), true);

// A gantry config whose one module's config table is the input. The module
// file must exist for the loader; nothing is loaded from it.
const char kHead[] =
    "[[listener]]\nbind = \"127.0.0.1:0\"\n"
    "[[backend]]\nname = \"a\"\nservers = [\"127.0.0.1:9\"]\n"
    // The backends the seeds route to: use_backend names resolve at load.
    "[[backend]]\nname = \"b0\"\nservers = [\"127.0.0.1:9\"]\n"
    "[[backend]]\nname = \"b1\"\nservers = [\"127.0.0.1:9\"]\n"
    "[[backend]]\nname = \"b2\"\nservers = [\"127.0.0.1:9\"]\n"
    "[[backend]]\nname = \"x\"\nservers = [\"127.0.0.1:9\"]\n"
    "[[backend]]\nname = \"web\"\nservers = [\"127.0.0.1:9\"]\n"
    "[[backend]]\nname = \"nginx\"\nservers = [\"127.0.0.1:9\"]\n"
    "[[backend]]\nname = \"socket_io\"\nservers = [\"127.0.0.1:9\"]\n"
    "[[module]]\nname = \"acl\"\npath = \"/proc/self/exe\"\n"
    "[module.config]\ncache_dir = \"off\"\n";

// Pattern files are read whole: only small regular files may be named, or
// an input naming /dev/zero would hang the run.
bool files_are_harmless(const gantry::Host& host, const gantry::Config& config) {
  gantry::Config acls = config["acl"];
  for (size_t i = 0; i < acls.size(); ++i) {
    gantry::Config files = acls.at(i)["file"];
    if (!files) continue;
    std::vector<acl::CfgItem> names;
    acl::CfgReader quiet(host);
    if (!quiet.string_list(files, "file", &names)) continue;  // the parser reports it
    for (const acl::CfgItem& f : names) {
      struct stat st {};
      std::string path = quiet.resolve_path(f.text);
      if (::stat(path.c_str(), &st) == 0 && (!S_ISREG(st.st_mode) || st.st_size > 65536)) return false;
    }
  }
  return true;
}

std::string fold(std::string s, bool caseless) {
  if (caseless)
    for (char& c : s)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// What the README promises a literal pattern `t` of `kind` matches.
bool promised(MatchKind kind, const std::string& t, const std::string& v) {
  auto part_at = [&](size_t i, char sep) {
    return v.compare(i, t.size(), t) == 0 && (i == 0 || v[i - 1] == sep);
  };
  switch (kind) {
    case MatchKind::kExact: return v == t;
    case MatchKind::kBeg: return v.compare(0, t.size(), t) == 0;
    case MatchKind::kEnd: return v.size() >= t.size() && v.compare(v.size() - t.size(), t.size(), t) == 0;
    case MatchKind::kSub: return v.find(t) != std::string::npos;
    case MatchKind::kDir:
      for (size_t i = 0; i + t.size() <= v.size(); ++i)
        if (part_at(i, '/') && (i + t.size() == v.size() || v[i + t.size()] == '/')) return true;
      return false;
    case MatchKind::kDom: return v.size() >= t.size() && part_at(v.size() - t.size(), '.');
    case MatchKind::kReg: return false;
  }
  return false;
}

int on_match(unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
  *static_cast<bool*>(ctx) = true;
  return 1;  // one match is enough
}

bool matches(const hs_database_t* db, hs_scratch_t* scratch, const std::string& value) {
  bool hit = false;
  hs_scan(db, value.data(), static_cast<unsigned>(value.size()), 0, scratch, on_match, &hit);
  return hit;
}

// A literal pattern compiles, and matches exactly the values the README
// promises among some made to sit on its edges (a trailing newline must not
// match where '$' would let it).
void check_literal(const Pattern& p, MatchKind kind) {
  const std::string& t = p.written;
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile(p.expr.c_str(), p.flags, HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
    std::fprintf(stderr, "literal pattern %s does not compile: %s\n", p.expr.c_str(), err->message);
    GANTRY_FUZZ_CHECK(!"a literal pattern compiles");
  }
  hs_scratch_t* scratch = nullptr;
  GANTRY_FUZZ_CHECK(hs_alloc_scratch(db, &scratch) == HS_SUCCESS);
  bool caseless = (p.flags & HS_FLAG_CASELESS) != 0;
  const std::string values[] = {t, t + "x", "x" + t, "x" + t + "x", "/a/" + t, t + "/b", "/" + t + "/",
                                "a." + t, "a" + t, t + "\n", "\n" + t, "", fold(t, true),
                                t.empty() ? "" : t.substr(1), t.empty() ? "" : t.substr(0, t.size() - 1)};
  for (const std::string& v : values) {
    bool want = promised(kind, fold(t, caseless), fold(v, caseless));
    if (matches(db, scratch, v) != want) {
      std::fprintf(stderr, "pattern %s (%s) on \"%s\": want %d\n", p.expr.c_str(), t.c_str(), v.c_str(), want);
      GANTRY_FUZZ_CHECK(!"a literal pattern matches as promised");
    }
  }
  hs_free_scratch(scratch);
  hs_free_database(db);
}

void check_config(const AclConfig& c, const std::vector<std::vector<Pattern>>& patterns) {
  GANTRY_FUZZ_CHECK(patterns.size() == c.fields.size());
  for (const acl::Acl& a : c.acls)
    for (uint32_t p : a.preds) GANTRY_FUZZ_CHECK(p < c.preds.size());
  for (const acl::Predicate& p : c.preds)
    if (p.kind == acl::PredKind::kString) GANTRY_FUZZ_CHECK(p.field < c.fields.size());
  size_t literals = 0;
  for (size_t f = 0; f < patterns.size(); ++f) {
    for (const Pattern& p : patterns[f]) {
      GANTRY_FUZZ_CHECK(p.id < c.preds.size() && c.preds[p.id].kind == acl::PredKind::kString);
      GANTRY_FUZZ_CHECK(c.preds[p.id].field == f);
      // Hyperscan compiles are slow: the first few literals of an input.
      MatchKind kind = MatchKind::kReg;
      for (MatchKind k : {MatchKind::kExact, MatchKind::kBeg, MatchKind::kEnd, MatchKind::kSub,
                          MatchKind::kDir, MatchKind::kDom})
        if (acl::to_expression(k, p.written) == p.expr) kind = k;
      if (kind != MatchKind::kReg && ++literals <= 3) check_literal(p, kind);
    }
  }
  GANTRY_FUZZ_CHECK(c.run_of_rule.size() == c.rules.size());
  GANTRY_FUZZ_CHECK(c.rules_of_pred.size() == c.preds.size());
  for (const acl::Rule& r : c.rules) {
    if (r.final == acl::Rule::Final::kUseBackend) GANTRY_FUZZ_CHECK(!r.backend.empty());
    for (const acl::HeaderAction& a : r.header_actions)
      GANTRY_FUZZ_CHECK(!a.name.empty() && a.value.find_first_of("\r\n") == std::string::npos);
    if (r.cond < 0) continue;
    GANTRY_FUZZ_CHECK(static_cast<size_t>(r.cond) < c.conditions.size());
    // Every ACL a condition names exists; evaluation terminates.
    unsigned calls = 0;
    c.conditions.eval(static_cast<uint32_t>(r.cond), [&](uint32_t acl) {
      GANTRY_FUZZ_CHECK(acl < c.acls.size());
      return (++calls + acl) % 3 == 0;
    });
  }
}

}  // namespace
}  // namespace gantry::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gantry::fuzz;
  std::string text = kHead;
  text.append(reinterpret_cast<const char*>(data), size);
  auto cfg = gantry::config::load_config_text(text, "/tmp/acl-fuzz/gantry.toml");
  if (!cfg.ok() || cfg.value()->modules.size() != 1) {
    report_verdict(Verdict::kNone);  // not an acl config table: the config target's business
    return 0;
  }
  gantry::Host host(gantry::modules::host_api(), nullptr);
  gantry::Config config(host.api(), cfg.value()->modules[0].config);
  gantry::acl::CfgReader reader(host);
  if (!files_are_harmless(host, config)) {
    report_verdict(Verdict::kNone);
    return 0;
  }
  AclConfig acl_config;
  std::vector<std::vector<Pattern>> patterns;
  gantry::modules::set_building_config(cfg.value().get());
  const bool parsed = gantry::acl::parse_module_config(reader, config, &acl_config, &patterns);
  gantry::modules::set_building_config(nullptr);
  if (parsed) {
    check_config(acl_config, patterns);
    report_verdict(Verdict::kAccepted);
  } else {
    // Every refusal says what is wrong, at a node of the input when it can.
    std::string message;
    try {
      reader.raise();
    } catch (const gantry::ConfigError& e) {
      message = e.what();
    }
    GANTRY_FUZZ_CHECK(!message.empty());
    report_verdict(Verdict::kRejected);
  }
  return 0;
}
