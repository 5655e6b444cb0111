// libFuzzer target: the same bytes through gantry's request Parser and the
// strict RFC 9112 reference model (rfc9112_model.h). It aborts when one
// accepts what the other refuses, or when both accept but frame the bytes
// differently: where a message ends, its body and fields, how
// many requests the bytes hold. Where one only refuses earlier than the
// other, a few usual completions of the input decide. Deliberate
// differences are in http_diff_rules.cc (and README.md); open findings in
// open_findings.txt.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "http_diff_rules.h"
#include "http_fuzz_driver.h"

namespace gantry::fuzz {
namespace {

const bool kNamed = (set_target_name("http_diff"), true);

// Records every request the parser delivers.
class Recorder : public http::ParserEvents {
 public:
  void bind(http::Parser* parser) { parser_ = parser; }
  int on_head(http::Head& head) override {
    GotMessage m;
    m.chunked = parser_->chunked();
    m.method = std::string(head.method);
    m.target = std::string(head.target);
    m.major = head.version_major;
    m.minor = head.version_minor;
    for (const http::HeaderField& h : head.headers)
      m.fields.push_back({std::string(h.name), std::string(h.value)});
    messages.push_back(std::move(m));
    return 0;
  }
  void on_body(const char* p, size_t n) override { messages.back().body.append(p, n); }
  void on_message_end() override { ++ended; }

  std::vector<GotMessage> messages;  // the last one may be unfinished
  size_t ended = 0;

 private:
  http::Parser* parser_ = nullptr;
};

GotRun run_gantry(const uint8_t* data, size_t size) {
  Recorder rec;
  // No limits: they are the http_request target's business, and here they
  // would only hide framing differences behind a 431.
  http::Parser parser(/*is_request=*/true, &rec);
  rec.bind(&parser);
  DriveResult r = drive(parser, data, size, split_point(data, size));
  GotRun run;
  GANTRY_FUZZ_CHECK(r.ends.size() == rec.ended);
  rec.messages.resize(rec.ended);
  for (size_t i = 0; i < rec.ended; ++i) rec.messages[i].end = r.ends[i];
  run.messages = std::move(rec.messages);
  switch (r.last) {
    case http::ParseResult::kError:
      run.end = GotEnd::kRejected;
      run.reason = parser.error_reason();
      break;
    case http::ParseResult::kUpgrade:
      run.end = GotEnd::kUpgrade;
      break;
    default:
      run.end = parser.in_message() ? GotEnd::kIncomplete : GotEnd::kComplete;
  }
  return run;
}

struct Readings {
  rfc9112::Result model;
  GotRun got;
  Comparison c;
};

GotRun run_gantry(std::string_view in) {
  return run_gantry(reinterpret_cast<const uint8_t*>(in.data()), in.size());
}

// Where gantry refused what the model reads as valid: the shortest prefix it
// refuses ends on the offending byte (a refusal is final, so the prefixes
// that are refused are the longer ones), and the model says what part of a
// message that byte is in.
const char* refused_part(std::string_view in) {
  size_t lo = 0;  // not refused
  size_t hi = in.size();  // refused
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    (run_gantry(in.substr(0, mid)).end == GotEnd::kRejected ? hi : lo) = mid;
  }
  rfc9112::Result prefix = rfc9112::parse_requests(in.substr(0, hi));
  return rfc9112::part_name(prefix.part);
}

Readings read_both(std::string_view in) {
  Readings r;
  r.model = rfc9112::parse_requests(in);
  r.got = run_gantry(in);
  r.c = compare(r.got, r.model, in);
  if (r.c.gantry_refused) r.c.cls = std::string("refuses:") + refused_part(in);
  return r;
}

}  // namespace
}  // namespace gantry::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gantry::fuzz;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Readings first = read_both(in);
  const rfc9112::Result& model = first.model;
  const GotRun& got = first.got;
  Comparison c = first.c;
  c.detail += "\n  " + summary(got, model);
  if (c.prefix_only) {
    // A rejection is final for both readers, so whether the other one is
    // only slower to see it shows once the bytes go on: a completion that
    // turns it into a difference about whole messages is the finding.
    Comparison kept;
    for (const char* ending : kCompletions) {
      std::string longer(in);
      longer += ending;
      Readings r = read_both(longer);
      if (r.c.disagrees() && !r.c.prefix_only) {
        kept = r.c;
        kept.detail += " (after appending " + std::to_string(std::strlen(ending)) + " bytes)\n  " +
                       summary(r.got, r.model);
        break;
      }
    }
    c = kept;
  }
  if (c.disagrees() && !is_open_finding(c.cls)) {
    std::fprintf(stderr, "http_diff: gantry and the RFC 9112 model disagree: %s\n  %s\n", c.cls.c_str(),
                 c.detail.c_str());
    std::abort();
  }
  report_verdict(model_verdict(model, got));
  return 0;
}
