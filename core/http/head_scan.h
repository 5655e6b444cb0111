#pragma once
// Finds where a message head ends and checks its line structure before
// llhttp sees a byte of it. llhttp 8.1 (Debian 12) still accepts line endings
// a strict peer reads differently (a bare CR ending a line, `CR LF CR x` ending
// the head); a front proxy that disagrees with the tier in front of it about
// where a message ends can be used to smuggle requests. The scanner settles
// the question with memchr scans over each read, so no branch per byte is
// added: every CR must be immediately followed by LF, there is no bare LF and
// no NUL, and no field line starts with whitespace (obs-fold, or a space
// before the first field name). State carries across reads, so a CR at the end
// of one read is checked against the first byte of the next.
#include <cstddef>
#include <cstdint>

namespace gantry::http {

class HeadScanner {
 public:
  enum class Status : uint8_t {
    kNeedMore,    // every byte is head so far; the head has not ended
    kDone,        // the head ended `used` bytes into this read
    kTooLarge,    // the head goes on past the limit
    kBareCR,      // a CR not followed by LF
    kBareLF,      // an LF not preceded by CR
    kNul,         // a NUL byte
    kFoldedLine,  // a field line starting with SP or HTAB
  };
  struct Result {
    Status status;
    // Bytes of this read that belong to the head and passed every check:
    // up to and including the final LF (kDone), the whole read (kNeedMore),
    // what fits under the limit (kTooLarge), 0 on a malformed head.
    size_t used;
  };

  // Head bytes allowed, empty lines before the start line included; 0: no limit.
  void set_limit(uint32_t max_bytes) { limit_ = max_bytes; }
  Result scan(const char* p, size_t n);
  void reset();
  // Bytes of the current head seen so far.
  uint64_t head_bytes() const { return total_; }
  // True once a byte of a start line was seen (empty lines before it do not
  // count: RFC 9112 2.2 lets a server ignore them).
  bool started() const { return seen_start_line_ || line_len_ != 0 || pending_cr_; }
  static const char* describe(Status s);

 private:
  // Ends the current line; true when it was the empty line ending the head.
  bool end_line();
  Result fail(Status s) { return {s, 0}; }

  uint32_t limit_ = 0;
  uint64_t total_ = 0;            // head bytes so far
  uint64_t line_len_ = 0;         // bytes of the current line before its CR LF
  bool pending_cr_ = false;       // the last read ended with a CR
  bool seen_start_line_ = false;  // the request or status line ended
};

}  // namespace gantry::http
