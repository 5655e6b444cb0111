// libFuzzer target: response heads of many megabytes and tens of thousands
// of fields through the response Parser, the shapes a backend can send that
// small inputs never reach (issue 10 section 2: a 256 MiB header line took
// the proxy to 6.85 GB).
//
// The input is a recipe, so that a 3-byte change reaches a 16 MiB head:
//   byte 0  read size: 2^(6 + b % 12) bytes (64 B .. 128 KiB) per feed()
//   byte 1  bit 0: limits on, as the proxy's response side sets them
//           (Parser::set_limits with the request side's defaults);
//           bits 1-3: what grows (see Shape)
//   byte 2  how much: 2^(10 + b % 15) bytes (1 KiB .. 16 MiB), or
//           2^(b % 16) fields
//   rest    a response head the grown part is put into, after its first line
// The head is generated while it is fed, never held whole.
//
// Checks: the heap the parse holds stays proportional to the bytes fed (no
// growth pattern multiplies memory); with limits on, a head over them is
// refused before much more than the limit has been read, and memory stays
// bounded by the limit, whatever the head's size.
#include <malloc.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "http_fuzz_driver.h"

extern "C" size_t __sanitizer_get_current_allocated_bytes() __attribute__((weak));

namespace gantry::fuzz {
namespace {

const bool kNamed = (set_target_name("http_response_head"), true);

// Bytes the program has allocated and not freed.
size_t heap_in_use() {
  if (__sanitizer_get_current_allocated_bytes != nullptr) return __sanitizer_get_current_allocated_bytes();
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

const char* const kShapeNames[] = {"long_value", "long_name", "long_reason", "many_fields",
                                   "many_medium", "long_list", "many_folds", "long_status"};

enum class Shape : uint8_t {
  kLongValue,     // one header value of `size` bytes
  kLongName,      // one header name of `size` bytes
  kLongReason,    // a reason phrase of `size` bytes
  kManyFields,    // `count` short fields
  kManyMedium,    // `count` fields of 64-byte values
  kLongList,      // one value made of `size` bytes of ", a" list elements
  kManyFolds,     // one value continued on `count` obs-fold lines
  kLongStatus,    // `size` digits where the status code goes
};

// Produces base[0, at) + the grown part + base[at, end) piece by piece.
class HeadStream {
 public:
  HeadStream(std::string base, Shape shape, size_t amount) : base_(std::move(base)), shape_(shape) {
    size_t eol = base_.find("\r\n");
    at_ = eol == std::string::npos ? base_.size() : eol;
    if (shape_ == Shape::kLongStatus) at_ = std::min<size_t>(base_.size(), 9);  // after "HTTP/1.1 "
    bool counted = shape_ == Shape::kManyFields || shape_ == Shape::kManyMedium || shape_ == Shape::kManyFolds;
    unit_ = unit();
    repeats_ = counted ? amount : std::max<size_t>(1, amount / unit_.size());
    grown_lead_ = lead();
  }

  // Fills up to `cap` bytes; 0 at the end.
  size_t next(char* out, size_t cap) {
    size_t n = 0;
    while (n < cap) {
      std::string_view src = current();
      if (src.empty()) break;
      size_t take = std::min(cap - n, src.size() - off_);
      std::copy(src.data() + off_, src.data() + off_ + take, out + n);
      n += take;
      off_ += take;
      if (off_ == src.size()) advance();
    }
    lines_ += static_cast<size_t>(std::count(out, out + n, '\n'));
    return n;
  }
  size_t lines() const { return lines_; }

 private:
  // The bytes that open the grown part, then the unit repeated.
  std::string lead() const {
    switch (shape_) {
      case Shape::kLongValue: return "\r\nX-Big: ";
      case Shape::kLongName: return "\r\n";
      case Shape::kLongReason: return " ";
      case Shape::kLongList: return "\r\nX-List: a";
      case Shape::kManyFolds: return "\r\nX-Folded: a";
      default: return "";
    }
  }
  std::string unit() const {
    switch (shape_) {
      case Shape::kLongValue: return std::string(1024, 'v');
      case Shape::kLongName: return std::string(1024, 'N');
      case Shape::kLongReason: return std::string(1024, 'r');
      case Shape::kManyFields: return "\r\nX-F: v";
      case Shape::kManyMedium: return "\r\nX-F: " + std::string(64, 'v');
      case Shape::kLongList: return std::string(", a", 3);
      case Shape::kManyFolds: return "\r\n b";
      case Shape::kLongStatus: return std::string(1024, '2');
    }
    return "x";
  }
  std::string_view current() const {
    switch (stage_) {
      case 0: return std::string_view(base_).substr(0, at_);
      case 1: return grown_lead_;
      case 2: return done_ < repeats_ ? std::string_view(unit_) : std::string_view();
      case 3: return shape_ == Shape::kLongName ? std::string_view(": v") : std::string_view();
      case 4: return std::string_view(base_).substr(at_);
      default: return {};
    }
  }
  void advance() {
    off_ = 0;
    if (stage_ == 2 && ++done_ < repeats_) return;
    ++stage_;
    // Skip empty stages.
    while (stage_ <= 4 && current().empty()) ++stage_;
  }

  std::string base_;
  Shape shape_;
  size_t at_ = 0;
  std::string unit_;
  std::string grown_lead_;
  size_t repeats_ = 0;
  size_t done_ = 0;
  int stage_ = 0;
  size_t off_ = 0;
  size_t lines_ = 0;
};

}  // namespace
}  // namespace gantry::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gantry::fuzz;
  using gantry::http::ParseResult;
  if (size < 3) {
    report_verdict(Verdict::kNone);  // no recipe
    return 0;
  }
  const size_t read_size = size_t{1} << (6 + data[0] % 12);
  const bool limits = (data[1] & 1) != 0;
  const auto shape = static_cast<Shape>((data[1] >> 1) & 7);
  const bool counted = shape == Shape::kManyFields || shape == Shape::kManyMedium || shape == Shape::kManyFolds;
  const size_t amount = counted ? size_t{1} << (data[2] % 16) : size_t{1} << (10 + data[2] % 15);
  HeadStream stream(std::string(reinterpret_cast<const char*>(data) + 3, size - 3), shape, amount);

  const size_t baseline = heap_in_use();
  // A head still unrefused this far in is over the limit by more than a read.
  const size_t refuse_by = kMaxHead + 2 * read_size + size;
  size_t fed = 0;
  ParseResult last = ParseResult::kOk;
  bool in_head = true;
  {
    FuzzEvents events(/*is_request=*/false, /*head_no_body=*/false);
    gantry::http::Parser parser(false, &events);
    events.bind(&parser);
    if (limits) parser.set_limits(kMaxHead, kMaxHeaders, kMaxLine);
    auto arena = std::make_unique<gantry::Arena>();
    auto head = std::make_unique<gantry::http::Head>();
    parser.attach(head.get(), arena.get());
    std::unique_ptr<char[]> buf(new char[read_size]);
    for (;;) {
      size_t n = stream.next(buf.get(), read_size);
      if (n == 0) break;
      size_t used = 0;
      last = parser.feed(buf.get(), n, &used);
      fed += n;
      in_head = last == ParseResult::kOk && !parser.head_done();
      // What the parse holds: the arena's blocks and the Head's fields. A
      // correct parser keeps about one copy of the head; four, plus the
      // field array and a fixed allowance, is the most it may hold.
      size_t now = heap_in_use();
      size_t held = now - std::min(baseline, now);
      size_t allowed = 4 * (limits ? std::min<size_t>(fed, kMaxHead + read_size) : fed) +
                       (limits ? 2 * kMaxHeaders : stream.lines()) * 64 + (1u << 20);
      std::string detail = "heap " + std::to_string(held) + " bytes after " + std::to_string(fed) +
                           " bytes of head, allowed " + std::to_string(allowed);
      const std::string at = std::string("@") + kShapeNames[static_cast<int>(shape)];
      if (!check_or_open(held <= allowed, (limits ? "limit_memory" : "memory") + at, detail) ||
          (limits && !check_or_open(!in_head || fed <= refuse_by, "limit" + at,
                                    "still reading the head after " + std::to_string(fed) + " bytes"))) {
        report_verdict(Verdict::kOpen);
        return 0;
      }
      if (last != ParseResult::kOk) break;  // head done (paused, upgrade) or refused
    }
  }
  report_verdict(last == ParseResult::kError ? Verdict::kRejected
                 : in_head                  ? Verdict::kIncomplete
                                            : Verdict::kAccepted);
  return 0;
}
