#pragma once
// An incremental, deliberately strict HTTP/1.1 message parser for the test
// side of a connection. Strict because it is the witness: when gantry forwards
// something ambiguous (two Content-Lengths, CL with TE, a bare LF, a folded
// line, a bad chunk), the reader reports an error instead of guessing, and the
// test fails. Bytes are appended as they arrive; bodies are decoded
// incrementally so 64 MiB transfers stay linear.
#include <cstdint>
#include <string>
#include <string_view>

#include "harness/http_message.h"

namespace gantry::itest {

class MessageReader {
 public:
  enum class Kind { kRequest, kResponse };
  enum class Step {
    kNeedMore,  // nothing complete yet: append more bytes (or signal eof)
    kHead,      // the head just completed: message() has it, the body follows
    kComplete,  // a whole message is ready: take() it
    kError,     // malformed input: error() says why; the reader stays in error
  };

  explicit MessageReader(Kind kind) : kind_(kind), msg_() {}

  void append(std::string_view bytes) { buf_.append(bytes.data(), bytes.size()); }
  // Makes as much progress as the buffered bytes allow. `eof` says the peer
  // closed: it completes a close-delimited response body, or is an error mid-message.
  Step step(bool eof = false);
  const HttpMessage& message() const { return msg_; }
  // Returns the completed message and resets for the next one.
  HttpMessage take();
  const std::string& error() const { return error_; }
  // The next response answers a HEAD request (no body whatever its headers say).
  void expect_head_response() { head_response_ = true; }
  // Bytes buffered and not yet consumed by a message.
  size_t pending() const { return buf_.size() - pos_; }
  std::string pending_bytes() const { return buf_.substr(pos_); }
  // True while between messages (nothing of the next one seen yet).
  bool idle() const { return state_ == State::kHead && pending() == 0; }
  void set_max_head(size_t bytes) { max_head_ = bytes; }

 private:
  enum class State { kHead, kLength, kChunkSize, kChunkData, kChunkDataEnd, kTrailers, kUntilClose, kDone, kError };

  Step parse_head();
  Step parse_body(bool eof);
  bool parse_start_line(std::string_view line);
  bool parse_header_line(std::string_view line, HeaderList* out);
  bool choose_body();
  Step fail(std::string why);
  void compact();

  Kind kind_;
  HttpMessage msg_;
  std::string buf_;
  size_t pos_ = 0;           // first unconsumed byte in buf_
  size_t head_scan_ = 0;     // where to resume searching for the end of the head
  State state_ = State::kHead;
  uint64_t remaining_ = 0;   // body or chunk bytes still expected
  bool head_response_ = false;
  size_t max_head_ = 1 << 20;
  std::string error_;
};

}  // namespace gantry::itest
