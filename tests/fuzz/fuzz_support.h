#pragma once
// What every fuzz target shares besides its entry point: the invariant check,
// data-derived split points, the verdict it reports to the replay, and the
// list of open findings.
//
// Verdict: after each input a target says whether it accepted, rejected or
// still waits for more of it. The replay (replay_main.cc) holds the seeds of
// the committed corpus to their file names: ok_* must be accepted, bad_*
// rejected, part_* left incomplete, so a parser that refuses everything
// fails the replay.
//
// Open findings: a known, not yet fixed disagreement that would otherwise
// stop every run at once. tests/fuzz/open_findings.txt lists them as
// "target:class"; the replay gets the list in $GANTRY_FUZZ_OPEN and fails
// when one of its own no longer occurs, so the list cannot outlive the fix.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace gantry::fuzz {

// Holds in release builds too: a broken invariant is a finding, so it must
// crash the fuzzer even without assert().
#define GANTRY_FUZZ_CHECK(cond)                                                         \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

// A point in [0, size] derived from the input's hash and `salt`, so the
// fuzzer explores read boundaries everywhere without a control byte that
// would make the seeds unreadable.
inline size_t split_point(const uint8_t* data, size_t size, uint32_t salt = 0) {
  uint32_t h = 2166136261u ^ salt;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 16777619u;
  return size == 0 ? 0 : h % (size + 1);
}

// kOpen: an open finding cut the input's checks short, so no verdict.
enum class Verdict { kNone = 0, kAccepted = 1, kRejected = 2, kIncomplete = 3, kOpen = 4 };

void report_verdict(Verdict v);

// The target's name, as open_findings.txt spells it ("http_diff").
void set_target_name(const char* name);

// True when `cls` is an open finding of this target; counts the hit.
bool is_open_finding(const std::string& cls);

// A check whose failure is the finding `cls`: aborts with `detail`, unless
// `cls` is an open finding; then the input's verdict becomes kOpen and the
// caller stops checking it. Returns `ok`.
bool check_or_open(bool ok, const std::string& cls, const std::string& detail);

}  // namespace gantry::fuzz

// For replay_main.cc, which declares them weak so targets without a verdict
// still link: the last input's verdict, and 0 when every open finding of the
// target occurred during the run (else a message and 1).
extern "C" int gantry_fuzz_verdict();
extern "C" int gantry_fuzz_replay_end();
