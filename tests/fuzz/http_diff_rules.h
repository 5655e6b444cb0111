#pragma once
// How the http_diff target compares what gantry's request parser made of a
// byte string with what the RFC 9112 model made of it, and the deliberate
// differences it forgives (each documented in tests/fuzz/README.md).
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.h"
#include "rfc9112_model.h"

namespace gantry::fuzz {

using FieldCopy = std::pair<std::string, std::string>;

// One request as gantry's parser delivered it.
struct GotMessage {
  std::string method;
  std::string target;
  int major = 1;
  int minor = 1;
  std::vector<FieldCopy> fields;
  std::string body;
  bool chunked = false;  // the parser framed the body as chunked
  size_t end = 0;        // offset just past the message
};

enum class GotEnd { kComplete, kIncomplete, kRejected, kUpgrade };

struct GotRun {
  std::vector<GotMessage> messages;  // the messages that ended
  GotEnd end = GotEnd::kComplete;
  std::string reason;  // kRejected: the parser's error reason
};

struct Comparison {
  // Empty when they agree (or differ only as gantry deliberately does).
  // Otherwise a stable name for the kind of difference, e.g.
  // "accepts:bare_cr@fields" (gantry accepts what the model refuses),
  // "refuses:chunk_line" (gantry refuses a request the model accepts, in
  // that part of it) or "framing:end" (both accept, but the message ends
  // elsewhere).
  std::string cls;
  std::string detail;  // for the log: where and what
  // One refuses bytes the other still reads as the beginning of a message:
  // maybe only one looks earlier. The target then appends completions
  // (kCompletions) and reports the difference only if one persists.
  bool prefix_only = false;
  // "refuses": the target names the part gantry refused (refused_part()).
  bool gantry_refused = false;
  bool disagrees() const { return !cls.empty(); }
};

// Endings that complete the usual kinds of partial request (a request-line,
// a field line, a head, a chunked body) or start a new request.
extern const char* const kCompletions[7];

Comparison compare(const GotRun& got, const rfc9112::Result& model, std::string_view in);

// Both readings in one line, for the log.
std::string summary(const GotRun& got, const rfc9112::Result& model);

// The verdict the replay checks a seed's name against: the model's, since
// the comparison has already held gantry to it. A message the model refuses
// only for its target or Host counts as refused.
Verdict model_verdict(const rfc9112::Result& model, const GotRun& got);

}  // namespace gantry::fuzz
