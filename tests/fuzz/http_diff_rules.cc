#include "http_diff_rules.h"

#include <llhttp.h>

#include <cstdio>

namespace gantry::fuzz {
namespace {

using rfc9112::Outcome;

// The methods gantry's parser knows (llhttp's list). It refuses any other
// token, where RFC 9110 9.1 would have a server answer 501: a deliberate
// difference, since both refuse and nothing is forwarded.
const char* const kKnownMethods[] = {
#define GANTRY_METHOD_NAME(num, name, string) #string,
    HTTP_METHOD_MAP(GANTRY_METHOD_NAME)
#undef GANTRY_METHOD_NAME
};

bool known_method(std::string_view m) {
  for (const char* name : kKnownMethods)
    if (m == name) return true;
  return false;
}

bool prefix_of_known_method(std::string_view m) {
  for (const char* name : kKnownMethods)
    if (std::string_view(name).substr(0, m.size()) == m) return true;
  return false;
}

std::string printable(std::string_view s, size_t max = 80) {
  std::string out;
  for (unsigned char c : s.substr(0, max)) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  return s.size() > max ? out + "..." : out;
}

std::string context(std::string_view in, size_t at) {
  size_t from = at > 24 ? at - 24 : 0;
  return "at byte " + std::to_string(at) + ": ..." + printable(in.substr(from, 48));
}

// The part of a message that differs, or nullptr.
const char* message_difference(const GotMessage& g, const rfc9112::Message& m) {
  if (g.end != m.end) return "end";
  if (g.method != m.method || g.target != m.target || g.major != m.major || g.minor != m.minor)
    return "start_line";
  auto same_fields = [](const std::vector<FieldCopy>& a, const std::vector<rfc9112::Field>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (a[i].first != b[i].name || a[i].second != b[i].value) return false;
    return true;
  };
  if (!same_fields(g.fields, m.fields)) return "fields";
  // Trailer fields are not compared: the parser's interface does not say
  // where it delivers them. Where the trailer section ends is (end).
  if (g.body != m.body) return "body";
  return nullptr;
}

// Gantry refused what the model reads as valid (so far): the request `m`
// from `start` (its method empty while the token has not ended). Forgiven
// where gantry is stricter on purpose (README.md, "Deliberate differences"):
//   - a method gantry's parser does not know;
//   - HTTP/1.x with x > 1 (gantry answers 505);
//   - a request the model refuses too, for a rule the proxy checks once the
//     head is read (target form, Host, HTTP major version).
Comparison refused(const GotRun& got, const rfc9112::Message& m, size_t start, std::string_view in) {
  if (m.method.empty()) {
    size_t e = start;
    while (e < in.size() && e - start < 32 && in[e] != ' ' && in[e] != '\r' && in[e] != '\n') ++e;
    if (!prefix_of_known_method(in.substr(start, e - start))) return {};
  } else if (!known_method(m.method)) {
    return {};
  }
  if (m.minor > 1 || !m.refusals.empty()) return {};
  Comparison c{"refuses", "gantry: " + got.reason + "; the model reads a valid request, " +
                              context(in, start)};
  c.gantry_refused = true;
  return c;
}

// The model refused what gantry accepted (or still reads as valid).
// Forgiven where the proxy refuses it anyway once the parser has delivered
// the head (exchange.cc, on_request_head), before any byte is forwarded:
//   - a message gantry's parser read as another HTTP major version, such as
//     llhttp's HTTP/0.9 request-line without a version (505);
//   - a Transfer-Encoding the parser did not turn into chunked framing (400).
Comparison accepted(const rfc9112::Result& model, const GotMessage* g, std::string_view in) {
  if (g != nullptr && g->major != 1) return {};
  if (g != nullptr && model.rule == rfc9112::Rule::kTransferCoding && !g->chunked) return {};
  return {std::string("accepts:") + rfc9112::rule_name(model.rule) + "@" + rfc9112::part_name(model.part),
          "model: " + std::string(rfc9112::rule_name(model.rule)) + " " + context(in, model.at)};
}

Comparison prefix_only(Comparison c) {
  c.prefix_only = c.disagrees();
  return c;
}

}  // namespace

const char* const kCompletions[7] = {"\r\n",
                                     "\r\n\r\n",
                                     ": b\r\n\r\n",
                                     " HTTP/1.1\r\nHost: a\r\n\r\n",
                                     "\r\n\r\n0\r\n\r\n",
                                     "0\r\n\r\n",
                                     "GET / HTTP/1.1\r\nHost: a\r\n\r\n"};

Comparison compare(const GotRun& got, const rfc9112::Result& model, std::string_view in) {
  const auto& gm = got.messages;
  const auto& mm = model.messages;
  size_t n = gm.size() < mm.size() ? gm.size() : mm.size();
  for (size_t i = 0; i < n; ++i) {
    if (const char* what = message_difference(gm[i], mm[i]))
      return {std::string("framing:") + what,
              "message " + std::to_string(i) + ": gantry ends it at " + std::to_string(gm[i].end) +
                  ", the model at " + std::to_string(mm[i].end)};
  }
  // After an upgrade the bytes belong to the tunnel: nothing more to compare.
  if (got.end == GotEnd::kUpgrade && gm.size() <= mm.size()) return {};

  if (gm.size() > mm.size()) {
    // Gantry ended a message the model did not.
    if (model.outcome == Outcome::kRejected) return accepted(model, &gm[n], in);
    return {"framing:gantry_ends_early",
            "message " + std::to_string(n) + " ends at " + std::to_string(gm[n].end) +
                " for gantry; the model reads on"};
  }
  if (mm.size() > gm.size()) {
    if (got.end == GotEnd::kRejected) return refused(got, mm[n], n == 0 ? 0 : mm[n - 1].end, in);
    return {"framing:model_ends_early", "message " + std::to_string(n) + " ends at " +
                                            std::to_string(mm[n].end) +
                                            " for the model; gantry reads on"};
  }
  // The same messages; what follows them. Where one refuses bytes the other
  // still reads as the beginning of a message, the difference may only be
  // in how early each looks: compare_extended() decides.
  switch (got.end) {
    case GotEnd::kUpgrade:
      return {};
    case GotEnd::kRejected:
      if (model.outcome == Outcome::kRejected) return {};
      if (model.outcome == Outcome::kComplete)
        return {"refuses:empty_lines", "gantry refuses the empty lines after message " + std::to_string(n)};
      return prefix_only(refused(got, model.partial, model.partial_start, in));
    case GotEnd::kComplete:
    case GotEnd::kIncomplete: {
      if (model.outcome == Outcome::kRejected) return prefix_only(accepted(model, nullptr, in));
      bool got_begun = got.end == GotEnd::kIncomplete;
      bool model_begun = model.outcome == Outcome::kIncomplete;
      if (got_begun != model_begun)
        return {"framing:begun", std::string(got_begun ? "gantry" : "the model") +
                                     " reads the bytes after the last message as the beginning of another"};
      return {};
    }
  }
  return {};
}

std::string summary(const GotRun& got, const rfc9112::Result& model) {
  static const char* const kGotEnds[] = {"complete", "incomplete", "rejected", "upgrade"};
  static const char* const kOutcomes[] = {"complete", "incomplete", "rejected"};
  std::string s = "gantry: " + std::to_string(got.messages.size()) + " message(s), then " +
                  kGotEnds[static_cast<int>(got.end)];
  if (got.end == GotEnd::kRejected) s += " (" + got.reason + ")";
  s += "; model: " + std::to_string(model.messages.size()) + " message(s), then " +
       kOutcomes[static_cast<int>(model.outcome)];
  if (model.outcome == Outcome::kRejected)
    s += std::string(" (") + rfc9112::rule_name(model.rule) + "@" + rfc9112::part_name(model.part) +
         " at " + std::to_string(model.at) + ")";
  return s;
}

Verdict model_verdict(const rfc9112::Result& model, const GotRun& got) {
  size_t upto = model.messages.size();
  if (got.end == GotEnd::kUpgrade && got.messages.size() <= upto) upto = got.messages.size();
  for (size_t i = 0; i < upto; ++i)
    if (!model.messages[i].refusals.empty()) return Verdict::kRejected;
  if (upto < model.messages.size() || got.end == GotEnd::kUpgrade) return Verdict::kAccepted;
  switch (model.outcome) {
    case Outcome::kComplete: return Verdict::kAccepted;
    case Outcome::kIncomplete: return Verdict::kIncomplete;
    case Outcome::kRejected: return Verdict::kRejected;
  }
  return Verdict::kNone;
}

}  // namespace gantry::fuzz
