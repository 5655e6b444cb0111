#include "http/head_scan.h"

#include <cstring>

namespace gantry::http {

const char* HeadScanner::describe(Status s) {
  switch (s) {
    case Status::kNeedMore:
      return "head incomplete";
    case Status::kDone:
      return "head complete";
    case Status::kTooLarge:
      return "head larger than the limit";
    case Status::kBareCR:
      return "CR not followed by LF in the head";
    case Status::kBareLF:
      return "LF without CR in the head";
    case Status::kNul:
      return "NUL byte in the head";
    case Status::kFoldedLine:
      return "field line starting with whitespace (obs-fold)";
  }
  return "malformed head";
}

void HeadScanner::reset() {
  total_ = 0;
  line_len_ = 0;
  pending_cr_ = false;
  seen_start_line_ = false;
}

bool HeadScanner::end_line() {
  bool empty = line_len_ == 0;
  line_len_ = 0;
  if (!empty) {
    seen_start_line_ = true;
    return false;
  }
  // An empty line before the start line is skipped (RFC 9112 2.2); after it,
  // the empty line ends the head.
  return seen_start_line_;
}

HeadScanner::Result HeadScanner::scan(const char* p, size_t n) {
  // Only what fits under the limit is looked at: a head that goes on past it
  // is refused without reading further, however large the read.
  size_t avail = n;
  if (limit_ != 0) {
    uint64_t room = total_ >= limit_ ? 0 : limit_ - total_;
    if (room < avail) avail = static_cast<size_t>(room);
  }
  const char* s = p;
  const char* const end = p + avail;
  if (pending_cr_ && s < end) {
    if (*s != '\n') return fail(Status::kBareCR);
    pending_cr_ = false;
    ++s;
    if (end_line()) {
      total_ += static_cast<size_t>(s - p);
      return {Status::kDone, static_cast<size_t>(s - p)};
    }
  }
  while (s < end) {
    // One look at the first byte of each field line: whitespace there is a
    // folded continuation or a name that a lenient peer would trim.
    if (line_len_ == 0 && seen_start_line_ && (*s == ' ' || *s == '\t'))
      return fail(Status::kFoldedLine);
    const char* lf = static_cast<const char*>(std::memchr(s, '\n', static_cast<size_t>(end - s)));
    const char* stop = lf != nullptr ? lf : end;
    if (std::memchr(s, '\0', static_cast<size_t>(stop - s)) != nullptr) return fail(Status::kNul);
    if (lf == nullptr) {
      // The line goes on in the next read; only its last byte may be a CR.
      size_t len = static_cast<size_t>(end - s);
      size_t cr_last = end[-1] == '\r' ? 1 : 0;
      if (std::memchr(s, '\r', len - cr_last) != nullptr) return fail(Status::kBareCR);
      pending_cr_ = cr_last != 0;
      line_len_ += len - cr_last;
      s = end;
      break;
    }
    // The byte before the LF is in this read: a CR that ended the previous
    // read was dealt with above.
    if (lf == s || lf[-1] != '\r') return fail(Status::kBareLF);
    if (std::memchr(s, '\r', static_cast<size_t>(lf - 1 - s)) != nullptr)
      return fail(Status::kBareCR);
    line_len_ += static_cast<size_t>(lf - 1 - s);
    s = lf + 1;
    if (end_line()) {
      total_ += static_cast<size_t>(s - p);
      return {Status::kDone, static_cast<size_t>(s - p)};
    }
  }
  total_ += avail;
  if (avail < n) return {Status::kTooLarge, avail};
  return {Status::kNeedMore, n};
}

}  // namespace gantry::http
