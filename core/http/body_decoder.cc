#include "http/body_decoder.h"

#include "http/chars.h"

namespace gantry::http {
namespace {
// The largest chunk size accepted: what fits a signed 64-bit length, so no
// peer downstream that keeps sizes in an off_t can read it as negative.
constexpr uint64_t kMaxChunkSize = static_cast<uint64_t>(INT64_MAX);

// qdtext and the second byte of a quoted-pair (RFC 9110 5.6.4).
bool is_qdtext(unsigned char c) {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
         (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}
bool is_quoted_pair_char(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

// The chunk-ext grammar after the size digits, as a transition table:
//   chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )
// Whitespace is only allowed where BWS is, so it must lead to ";" or "="
// (no trailing whitespace before CR). Quoted strings have states of their own.
enum ByteClass : uint8_t {
  kByteTchar,
  kByteWs,
  kByteSemi,
  kByteEq,
  kByteQuote,
  kByteCr,
  kByteOther,
  kByteClasses
};

ByteClass classify(unsigned char c) {
  if (is_tchar(c)) return kByteTchar;
  switch (c) {
    case ' ':
    case '\t':
      return kByteWs;
    case ';':
      return kByteSemi;
    case '=':
      return kByteEq;
    case '"':
      return kByteQuote;
    case '\r':
      return kByteCr;
    default:
      return kByteOther;
  }
}

}  // namespace

void BodyDecoder::start(BodyKind kind, uint64_t length) {
  kind_ = kind;
  error_ = nullptr;
  remaining_ = 0;
  size_ = 0;
  line_bytes_ = 0;
  trailer_bytes_ = 0;
  switch (kind) {
    case BodyKind::kNone:
      state_ = State::kDone;
      break;
    case BodyKind::kLength:
      remaining_ = length;
      state_ = length == 0 ? State::kDone : State::kData;
      break;
    case BodyKind::kChunked:
      state_ = State::kSizeStart;
      break;
    case BodyKind::kUntilClose:
      state_ = State::kData;
      break;
  }
}

BodyDecoder::Status BodyDecoder::fail(const char* why) {
  state_ = State::kError;
  error_ = why;
  return Status::kError;
}

BodyDecoder::Status BodyDecoder::decode(const char** cur, const char* end, Span* out) {
  for (;;) {
    if (state_ == State::kDone) return Status::kDone;
    if (state_ == State::kError) return Status::kError;
    if (*cur >= end) return Status::kNeedMore;
    if (state_ == State::kData) {
      size_t avail = static_cast<size_t>(end - *cur);
      size_t n = avail;
      if (kind_ != BodyKind::kUntilClose && remaining_ < n) n = static_cast<size_t>(remaining_);
      out->data = *cur;
      out->size = n;
      *cur += n;
      if (kind_ != BodyKind::kUntilClose) {
        remaining_ -= n;
        if (remaining_ == 0) state_ = kind_ == BodyKind::kLength ? State::kDone : State::kDataCR;
      }
      return Status::kData;
    }
    Status s = chunk_framing(cur, end);
    if (s != Status::kNeedMore) return s;
  }
}

// The byte-at-a-time part: size lines, the CR LF after chunk data and the
// trailer section. Chunk data itself is never looked at byte by byte.
BodyDecoder::Status BodyDecoder::chunk_framing(const char** cur, const char* end) {
  // Rows follow the State order kSize..kExtAfterQuote; kError marks a byte
  // the grammar does not allow there.
  constexpr State E = State::kError;
  constexpr State kSemi = State::kExtSemi, kName0 = State::kExtNameStart, kName = State::kExtName,
                  kNameWs = State::kExtAfterName, kValue0 = State::kExtValueStart,
                  kToken = State::kExtToken, kQuoted = State::kExtQuoted, kLf = State::kLineLF;
  static constexpr State kNext[8][kByteClasses] = {
      // Columns: tchar, SP/HTAB, ";", "=", DQUOTE, CR, anything else.
      /* kSize        */ {E, kSemi, kName0, E, E, kLf, E},
      /* kExtSemi     */ {E, kSemi, kName0, E, E, E, E},
      /* kExtNameStart*/ {kName, kName0, E, E, E, E, E},
      /* kExtName     */ {kName, kNameWs, kName0, kValue0, E, kLf, E},
      /* kExtAfterName*/ {E, kNameWs, kName0, kValue0, E, E, E},
      /* kExtValueStart*/ {kToken, kValue0, E, E, kQuoted, E, E},
      /* kExtToken    */ {kToken, kSemi, kName0, E, E, kLf, E},
      /* kExtAfterQuote*/ {E, kSemi, kName0, E, E, kLf, E},
  };
  static_assert(static_cast<int>(State::kExtAfterQuote) - static_cast<int>(State::kSize) == 7,
                "kNext has a row for each state from kSize to kExtAfterQuote");
  const char* p = *cur;
  auto bad = [&](const char* why) {
    *cur = p;
    return fail(why);
  };
  for (; p < end; ++p) {
    const unsigned char c = static_cast<unsigned char>(*p);
    if (state_ <= State::kExtQuotedPair && ++line_bytes_ > kMaxChunkLine)
      return bad("chunk size line or extensions too long");
    if (state_ >= State::kTrailerLineStart && state_ <= State::kTrailerEndLF &&
        ++trailer_bytes_ > kMaxTrailerBytes)
      return bad("trailer section too large");
    if (state_ <= State::kSize) {
      int d = hex_value(c);
      if (d >= 0) {
        if (size_ > (kMaxChunkSize - static_cast<uint64_t>(d)) / 16)
          return bad("chunk size too large");
        size_ = size_ * 16 + static_cast<uint64_t>(d);
        state_ = State::kSize;
        continue;
      }
      if (state_ == State::kSizeStart) return bad("invalid chunk size");
    }
    if (state_ <= State::kExtAfterQuote) {
      State next = kNext[static_cast<int>(state_) - static_cast<int>(State::kSize)][classify(c)];
      if (next == E)
        return bad(state_ == State::kSize ? "invalid chunk size" : "invalid chunk extension");
      state_ = next;
      continue;
    }
    switch (state_) {
      case State::kExtQuoted:
        if (c == '"')
          state_ = State::kExtAfterQuote;
        else if (c == '\\')
          state_ = State::kExtQuotedPair;
        else if (!is_qdtext(c))
          return bad("invalid chunk extension value");
        continue;
      case State::kExtQuotedPair:
        if (!is_quoted_pair_char(c)) return bad("invalid chunk extension value");
        state_ = State::kExtQuoted;
        continue;
      case State::kLineLF:
        if (c != '\n') return bad("chunk size line not ended by CR LF");
        line_bytes_ = 0;
        if (size_ == 0) {
          state_ = State::kTrailerLineStart;
          continue;
        }
        remaining_ = size_;
        size_ = 0;
        state_ = State::kData;
        *cur = p + 1;
        return Status::kNeedMore;  // the caller hands out the data
      case State::kDataCR:
        if (c != '\r') return bad("chunk data not followed by CR LF");
        state_ = State::kDataLF;
        continue;
      case State::kDataLF:
        if (c != '\n') return bad("chunk data not followed by CR LF");
        state_ = State::kSizeStart;
        continue;
      case State::kTrailerLineStart:  // a field name, or the CR LF ending the trailers
        if (c == '\r')
          state_ = State::kTrailerEndLF;
        else if (is_tchar(c))
          state_ = State::kTrailerName;
        else
          return bad("invalid trailer field");
        continue;
      case State::kTrailerName:
        if (c == ':')
          state_ = State::kTrailerValue;
        else if (!is_tchar(c))
          return bad("invalid trailer field name");
        continue;
      case State::kTrailerValue:
        if (c == '\r')
          state_ = State::kTrailerLF;
        else if (!is_field_char(c))
          return bad("invalid trailer field value");
        continue;
      case State::kTrailerLF:
        if (c != '\n') return bad("trailer field not ended by CR LF");
        state_ = State::kTrailerLineStart;
        continue;
      case State::kTrailerEndLF:
        if (c != '\n') return bad("trailer section not ended by CR LF");
        state_ = State::kDone;
        *cur = p + 1;
        return Status::kDone;
      default:
        return bad("internal: unexpected body state");  // decode() handles the others
    }
  }
  *cur = p;
  return Status::kNeedMore;
}

}  // namespace gantry::http
