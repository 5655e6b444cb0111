// HTTP/1.1 conformance: every request of the Http11Probe data set
// (<repo>/../shared/conformance/http11probe.json, or $GANTRY_CONFORMANCE_FILE)
// is sent over a raw socket to gantry in front of a RecordingBackend. Each
// must get the verdict the data set expects, and nothing smuggled may reach the
// backend: at most the one request the first request line implies, none at all
// when gantry refuses, and never bytes the backend cannot parse.
//
// The file is not copied into the repository. Where it is absent (a clone
// without ../shared beside it) the tests skip, saying so; a file that is
// there but unreadable or malformed fails them.
#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

using std::chrono::milliseconds;

// How long to wait for an answer before calling the outcome "timeout". Only
// requests the data set allows to time out (incomplete ones) ever wait this long.
const milliseconds kProbeWait(5000);

// Cases gantry deliberately answers differently from the data set, each with
// the extra outcome it accepts and why. Keep this list short and argued.
struct Deviation {
  const char* also_accept;  // a verdict alternative, same syntax as `expected`
  const char* reason;
};
const std::map<std::string, Deviation>& deviations() {
  static const std::map<std::string, Deviation> kList = {
      // The data set lost the non-ASCII bytes these two cases are about: each
      // became '?', which turns the target into a valid path plus query
      // ("/caf??", "/??"). Forwarding that valid request is correct.
      {"MAL-NON-ASCII-URL", {"2xx", "the data set replaced the UTF-8 bytes with '?'"}},
      {"MAL-URL-OVERLONG-UTF8", {"2xx", "the data set replaced 0xC0 0xAF with '?'"}},
  };
  return kList;
}

// What the client observed.
struct Outcome {
  bool response = false;
  int status = 0;
  bool closed = false;        // closed without any response
  bool closed_after = false;  // closed after the response (checked when needed)
  std::string describe() const {
    if (response) return std::to_string(status) + (closed_after ? " + close" : "");
    return closed ? "close" : "timeout";
  }
};

bool token_matches(const std::string& tok, const Outcome& o) {
  if (tok == "close") return !o.response && o.closed;
  if (tok == "timeout") return !o.response && !o.closed;
  if (tok == "2xx") return o.response && o.status >= 200 && o.status < 300;
  if (tok == "2xx + close") return o.response && o.status >= 200 && o.status < 300 && o.closed_after;
  if (tok == "!101") return !(o.response && o.status == 101);
  if (tok.size() == 3 && std::isdigit(static_cast<unsigned char>(tok[0])))
    return o.response && o.status == std::stoi(tok);
  ADD_FAILURE() << "unknown verdict token '" << tok << "'";
  return false;
}

// A verdict: groups separated by ", ", each optionally tagged "(pass)" or
// "(warn)"; alternatives separated by " or " and "/".
struct Verdict {
  std::vector<std::string> pass;
  std::vector<std::string> warn;
};

std::string trim(std::string s) {
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

Verdict parse_verdict(const std::string& expected) {
  Verdict v;
  std::stringstream groups(expected);
  std::string group;
  while (std::getline(groups, group, ',')) {
    group = trim(group);
    bool warn = false;
    for (const char* tag : {"(pass)", "(warn)"}) {
      auto at = group.find(tag);
      if (at != std::string::npos) {
        warn = std::string(tag) == "(warn)";
        group = trim(group.substr(0, at));
      }
    }
    for (size_t p; (p = group.find(" or ")) != std::string::npos;) group.replace(p, 4, "/");
    std::stringstream alts(group);
    std::string alt;
    while (std::getline(alts, alt, '/')) (warn ? v.warn : v.pass).push_back(trim(alt));
  }
  return v;
}

bool any_matches(const std::vector<std::string>& toks, const Outcome& o) {
  for (const auto& t : toks)
    if (token_matches(t, o)) return true;
  return false;
}

struct Probe {
  std::string id, category, expected, raw;
};

// The data set is optional: without it the tests have nothing to run.
#define SKIP_WITHOUT_PROBES()                                                              \
  do {                                                                                     \
    if (!file_exists(conformance_file()))                                                  \
      GTEST_SKIP() << "cannot read ../shared/conformance/http11probe.json (looked for "    \
                   << conformance_file() << "; set GANTRY_CONFORMANCE_FILE or GANTRY_SHARED_DIR)"; \
  } while (0)

bool load_probes(std::vector<Probe>* out, std::string* error) {
  std::string path = conformance_file();
  std::string text = read_file(path);
  if (text.empty()) {
    *error = "cannot read " + path + " (set GANTRY_CONFORMANCE_FILE or GANTRY_SHARED_DIR)";
    return false;
  }
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) {
    *error = path + ": not a JSON array";
    return false;
  }
  for (const auto& e : doc) {
    Probe p{e.value("id", ""), e.value("category", ""), e.value("expected", ""), ""};
    if (!utf8_to_latin1(e.value("raw", ""), &p.raw)) {
      *error = p.id + ": raw is not latin-1";
      return false;
    }
    out->push_back(std::move(p));
  }
  return true;
}

TEST(ConformanceData, LoadsAllProbes) {
  SKIP_WITHOUT_PROBES();
  std::vector<Probe> probes;
  std::string error;
  ASSERT_TRUE(load_probes(&probes, &error)) << error;
  EXPECT_EQ(probes.size(), 143u);
  for (const auto& p : probes) {
    Verdict v = parse_verdict(p.expected);
    EXPECT_FALSE(v.pass.empty()) << p.id;
  }
}

class ConformanceTest : public IntegrationTest {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_PROBES();
    ASSERT_TRUE(backend_.start());
    // The data set cuts its 100 KB heads at 8 KiB; a head limit below that
    // keeps their intent (too large: refuse) testable.
    ASSERT_TRUE(start_gantry(write_proxy_config({backend_.address()},
                                                "\n[limits]\nmax_head_size = \"4k\"\n")));
  }

  void run_category(const std::string& category);
  // Runs one probe; returns "" when it passed, otherwise why not.
  std::string run_probe(const Probe& p, size_t index, bool* warned);

  RecordingBackend backend_;
};

std::string ConformanceTest::run_probe(const Probe& p, size_t index, bool* warned) {
  backend_.clear();
  Verdict v = parse_verdict(p.expected);
  auto dev = deviations().find(p.id);
  if (dev != deviations().end()) v.pass.push_back(dev->second.also_accept);

  RawClient c;
  if (!c.connect(port())) return "cannot connect";
  if (!p.raw.empty() && !c.send(p.raw)) {
    // gantry may close while a long request is still being written.
    if (!c.peer_closed() && !c.wait_closed(kProbeWait)) return "send failed";
  }
  bool head = p.raw.compare(0, 5, "HEAD ") == 0;
  ReadResult r = c.read_final_response(kProbeWait, head);
  Outcome o;
  if (r.status == ReadStatus::kError) return "invalid response: " + r.error;
  if (r.status == ReadStatus::kTimeout && r.partial) return "partial response, then nothing";
  o.response = r.ok();
  o.status = r.response.status;
  o.closed = r.status == ReadStatus::kClosed;
  if (o.response && p.expected.find("+ close") != std::string::npos) o.closed_after = c.wait_closed(kProbeWait);
  c.close();

  // A sentinel request on a fresh connection: it must work, and it flushes
  // anything the probe left in flight toward the backend.
  std::string sentinel = "/sentinel-" + std::to_string(index);
  ReadResult s = exchange(port(), get_request(sentinel));
  if (!s.ok() || s.response.status != 200)
    return "sentinel request after the probe failed (" + std::string(to_string(s.status)) + ")";

  std::vector<std::string> why;
  bool pass = any_matches(v.pass, o);
  bool warn = !pass && any_matches(v.warn, o);
  if (!pass && !warn) why.push_back("verdict " + o.describe() + ", expected " + p.expected);
  *warned = warn;

  // What reached the backend besides the sentinel.
  size_t heads = 0, complete = 0;
  for (const auto& q : backend_.requests()) {
    if (q.target == sentinel) continue;
    ++heads;
    complete += q.complete;
  }
  bool refused = !o.response || o.status >= 400;
  bool pending = !o.response && !o.closed;  // timeout: the request is still incomplete
  // Bytes are attributed to the probe during which they reached the backend: a
  // proxy that forwards after it answered can shift a finding to the next probe.
  if (heads > 1)
    why.push_back(std::to_string(heads) + " requests reached the backend (smuggling, or a late " +
                  "arrival from the previous probe)");
  if (refused && !pending && heads > 0)
    why.push_back("refused, yet " + std::to_string(heads) + " request(s) reached the backend");
  if (pending && complete > 0) why.push_back("incomplete, yet a complete request reached the backend");
  for (const auto& e : backend_.errors()) why.push_back("backend saw invalid bytes: " + e);

  std::string out;
  for (const auto& w : why) out += (out.empty() ? "" : "; ") + w;
  return out;
}

std::string printable(const std::string& raw) {
  std::string out;
  for (unsigned char ch : raw.substr(0, 200)) {
    if (ch == '\r') out += "\\r";
    else if (ch == '\n') out += "\\n";
    else if (ch < 0x20 || ch >= 0x7f) {
      char b[8];
      std::snprintf(b, sizeof(b), "\\x%02x", ch);
      out += b;
    } else out += static_cast<char>(ch);
  }
  return raw.size() > 200 ? out + "...(" + std::to_string(raw.size()) + " bytes)" : out;
}

void ConformanceTest::run_category(const std::string& category) {
  std::vector<Probe> probes;
  std::string error;
  ASSERT_TRUE(load_probes(&probes, &error)) << error;
  size_t ran = 0, failed = 0;
  for (size_t i = 0; i < probes.size(); ++i) {
    const Probe& p = probes[i];
    if (p.category != category) continue;
    ++ran;
    bool warned = false;
    std::string why = run_probe(p, i, &warned);
    if (!why.empty()) {
      ++failed;
      ADD_FAILURE() << p.id << ": " << why << "\n    raw: " << printable(p.raw);
    } else if (warned) {
      std::printf("[ WARN ] %s: accepted where rejecting is preferred (%s)\n", p.id.c_str(),
                  p.expected.c_str());
    }
    ASSERT_TRUE(gantry().running()) << "gantry died on " << p.id;
  }
  EXPECT_GT(ran, 0u);
  std::printf("[ INFO ] %s: %zu probes, %zu failed\n", category.c_str(), ran, failed);
}

TEST_F(ConformanceTest, Compliance) { run_category("Compliance"); }
TEST_F(ConformanceTest, Smuggling) { run_category("Smuggling"); }
TEST_F(ConformanceTest, MalformedInput) { run_category("MalformedInput"); }

}  // namespace
}  // namespace gantry::itest
