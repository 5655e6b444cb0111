#pragma once
// Shared driver of the HTTP parser fuzz targets. It uses the parser the way
// the proxy does: input arrives in reads of arbitrary size, each read lives in
// a scratch buffer that is gone after feed() returns (so ASan sees any pointer
// the parser keeps into it), and a message that ends pauses the parser, after
// which the next message gets a fresh Head, arena and parser state.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "http/message.h"
#include "http/parser.h"
#include "http/semantics.h"
#include "util/arena.h"

namespace gantry::fuzz {

// The proxy's request limits (the defaults of [limits]).
constexpr uint32_t kMaxHead = 16384;
constexpr uint32_t kMaxHeaders = 100;
constexpr uint32_t kMaxLine = 8000;

inline bool has_any(std::string_view s, const char* chars) {
  return s.find_first_of(chars) != std::string_view::npos;
}

// Reads every byte of a view so ASan flags views into freed memory.
inline unsigned touch(std::string_view s) {
  unsigned sum = 0;
  for (char c : s) sum += static_cast<unsigned char>(c);
  return sum;
}

class FuzzEvents : public http::ParserEvents {
 public:
  FuzzEvents(bool is_request, bool head_no_body) : is_request_(is_request), head_no_body_(head_no_body) {}
  void bind(http::Parser* parser) { parser_ = parser; }

  int on_head(http::Head& head) override {
    sink_ += touch(head.method) + touch(head.target) + touch(head.reason);
    GANTRY_FUZZ_CHECK(head.live_headers == head.headers.size());
    size_t head_bytes = head.target.size();
    for (const http::HeaderField& h : head.headers) {
      sink_ += touch(h.name) + touch(h.value);
      // What the proxy copies onto the wire must not be able to start a new
      // line or a new field there (header injection / smuggling).
      GANTRY_FUZZ_CHECK(!h.name.empty());
      GANTRY_FUZZ_CHECK(!has_any(h.name, "\r\n :\t"));
      GANTRY_FUZZ_CHECK(!has_any(h.value, "\r\n"));
      head_bytes += h.name.size() + h.value.size();
    }
    if (is_request_) {
      GANTRY_FUZZ_CHECK(!head.method.empty());
      GANTRY_FUZZ_CHECK(!has_any(head.target, "\r\n "));
      GANTRY_FUZZ_CHECK(head.target.size() <= kMaxLine);
      GANTRY_FUZZ_CHECK(head.headers.size() <= kMaxHeaders);
      GANTRY_FUZZ_CHECK(head_bytes <= kMaxHead);
    } else {
      GANTRY_FUZZ_CHECK(head.status >= 0 && head.status <= 999);
      GANTRY_FUZZ_CHECK(!has_any(head.reason, "\r\n"));
    }
    GANTRY_FUZZ_CHECK(!(parser_->chunked() && parser_->has_content_length()));

    // The proxy drops hop-by-hop fields when it forwards a head; the fixed
    // ones always go, and so does anything Connection names.
    const http::HopByHop hop(head);
    GANTRY_FUZZ_CHECK(hop("Connection") && hop("transfer-encoding") && hop("Upgrade"));
    GANTRY_FUZZ_CHECK(!hop("Host") && !hop("content-length"));
    for (const http::HeaderField& h : head.headers) sink_ += hop(h.name) ? 1u : 0u;
    GANTRY_FUZZ_CHECK(head.count("host") >= (head.find("Host") != nullptr ? 1u : 0u));

    ++heads_;
    status_ = head.status;
    body_bytes_ = 0;
    framed_length_ = !parser_->chunked() && parser_->has_content_length();
    declared_length_ = parser_->content_length();
    // A response to HEAD has no body whatever its framing says.
    return !is_request_ && head_no_body_ ? 1 : 0;
  }

  void on_body(const char* p, size_t n) override {
    GANTRY_FUZZ_CHECK(heads_ > 0 && n > 0);
    // RFC 9112 6.3: a 1xx, 204 or 304 response ends with its head, whatever
    // its fields say; a body read for one is the next response's bytes.
    if (!is_request_)
      check_or_open(!http::status_has_no_body(status_), "body_for_status_without_body",
                    "body bytes after a " + std::to_string(status_) + " response");
    sink_ += touch({p, n});
    body_bytes_ += n;
    // A body framed by Content-Length never delivers more than it declared.
    if (framed_length_) GANTRY_FUZZ_CHECK(body_bytes_ <= declared_length_);
  }

  void on_message_end() override { ++ends_; }

  unsigned sink() const { return sink_; }

 private:
  bool is_request_;
  bool head_no_body_;
  http::Parser* parser_ = nullptr;
  unsigned sink_ = 0;
  unsigned heads_ = 0;
  unsigned ends_ = 0;
  int status_ = 0;
  uint64_t body_bytes_ = 0;
  bool framed_length_ = false;
  uint64_t declared_length_ = 0;
};

// How a run through the parser ended.
struct DriveResult {
  http::ParseResult last = http::ParseResult::kOk;  // kOk, kUpgrade or kError
  std::vector<size_t> ends;  // offset just past each message that ended
};

// Feeds data in two reads split at `split`, as the proxy does: each read in
// a scratch buffer freed after feed(), and a fresh Head, arena and parser
// state after every message (a pipelined request, or a response after an
// interim one). kUpgrade and kError stop it.
inline DriveResult drive(http::Parser& parser, const uint8_t* data, size_t size, size_t split) {
  auto arena = std::make_unique<Arena>();
  auto head = std::make_unique<http::Head>();
  parser.attach(head.get(), arena.get());
  DriveResult out;
  const size_t reads[2][2] = {{0, split}, {split, size}};
  for (const auto& r : reads) {
    size_t off = r[0];
    const size_t end = r[1];
    // Each message boundary needs at least one byte, so this bounds the loop
    // even if the parser failed to make progress.
    for (size_t rounds = 0; off < end && rounds <= size; ++rounds) {
      size_t n = end - off;
      std::unique_ptr<char[]> buf(new char[n]);
      std::memcpy(buf.get(), data + off, n);
      size_t used = 0;
      out.last = parser.feed(buf.get(), n, &used);
      buf.reset();
      GANTRY_FUZZ_CHECK(used <= n);
      switch (out.last) {
        case http::ParseResult::kOk:
          GANTRY_FUZZ_CHECK(used == n);
          off = end;
          break;
        case http::ParseResult::kPaused:
          off += used;
          out.ends.push_back(off);
          out.last = http::ParseResult::kOk;
          head = std::make_unique<http::Head>();
          arena = std::make_unique<Arena>();
          parser.reset();
          parser.attach(head.get(), arena.get());
          break;
        case http::ParseResult::kUpgrade:
          // Everything after this belongs to the tunnel.
          out.ends.push_back(off + used);
          return out;
        case http::ParseResult::kError: {
          int st = parser.reject_status();
          GANTRY_FUZZ_CHECK(st == 400 || st == 414 || st == 431 || st == 505);
          GANTRY_FUZZ_CHECK(parser.error_reason() != nullptr);
          return out;
        }
      }
    }
  }
  return out;
}

inline void run_parser(bool is_request, const uint8_t* data, size_t size) {
  size_t split = split_point(data, size);
  bool head_no_body = (split & 7) == 0;
  FuzzEvents events(is_request, head_no_body);
  http::Parser parser(is_request, &events);
  events.bind(&parser);
  if (is_request) parser.set_limits(kMaxHead, kMaxHeaders, kMaxLine);
  DriveResult r = drive(parser, data, size, split);
  Verdict v = Verdict::kIncomplete;
  if (r.last == http::ParseResult::kError) {
    v = Verdict::kRejected;
  } else if (r.last == http::ParseResult::kUpgrade) {
    v = Verdict::kAccepted;
  } else if (is_request) {
    if (!parser.in_message()) v = Verdict::kAccepted;
  } else if (parser.finish()) {
    // The peer closed: a read-until-close body ends here.
    if (!parser.in_message()) v = Verdict::kAccepted;
  }
  report_verdict(v);
  // Keep the reads of header bytes from being optimized away.
  if (events.sink() == 0xdeadbeef) std::fputc(' ', stderr);
}

}  // namespace gantry::fuzz
