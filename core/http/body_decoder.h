#pragma once
// Message body framing, decided by gantry and not by llhttp: a body delimited
// by Content-Length, by the chunked transfer coding, or by the close of the
// connection (responses only). Body bytes are handed out as spans into the
// caller's input, never copied. The chunked decoder is strict RFC 9112 7.1:
//
//   chunked-body = *chunk last-chunk trailer-section CRLF
//   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//   chunk-size   = 1*HEXDIG
//   chunk-ext    = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//   chunk-ext-val = token / quoted-string
//
// Every line ends in CR LF exactly; a size that does not fit in 63 bits is an
// error, never a wrap; a size line (size and extensions) is at most
// kMaxChunkLine bytes and the trailer section at most kMaxTrailerBytes, so a
// peer cannot keep the decoder busy without sending body bytes. Trailer
// fields are checked as strictly as head fields, then dropped.
#include <cstddef>
#include <cstdint>

namespace gantry::http {

enum class BodyKind : uint8_t { kNone, kLength, kChunked, kUntilClose };

class BodyDecoder {
 public:
  static constexpr size_t kMaxChunkLine = 4096;
  static constexpr size_t kMaxTrailerBytes = 16384;

  enum class Status : uint8_t {
    kData,      // *out holds body bytes
    kNeedMore,  // the input is used up and the body goes on
    kDone,      // the body ended; the next message starts at *cur
    kError,     // malformed; see error()
  };
  struct Span {
    const char* data = nullptr;
    size_t size = 0;
  };

  // Starts a body; `length` is the Content-Length for kLength.
  void start(BodyKind kind, uint64_t length = 0);
  // Decodes from *cur (advanced past what was used) up to end. Spans point
  // into [*cur, end) and stay valid as long as the caller's input does.
  Status decode(const char** cur, const char* end, Span* out);
  // The peer closed the connection: true when that ends the body cleanly
  // (read-until-close, or a body already complete).
  bool finish() const { return kind_ == BodyKind::kUntilClose || state_ == State::kDone; }
  BodyKind kind() const { return kind_; }
  const char* error() const { return error_ != nullptr ? error_ : "malformed body"; }

 private:
  // Order matters: the size-line states come first (they count toward
  // kMaxChunkLine), kSize..kExtAfterQuote follow the transition table in
  // body_decoder.cc, and the trailer states sit together (kMaxTrailerBytes).
  enum class State : uint8_t {
    kSizeStart,
    kSize,
    kExtSemi,
    kExtNameStart,
    kExtName,
    kExtAfterName,
    kExtValueStart,
    kExtToken,
    kExtAfterQuote,
    kExtQuoted,
    kExtQuotedPair,
    kLineLF,
    kData,
    kDataCR,
    kDataLF,
    kTrailerLineStart,
    kTrailerName,
    kTrailerValue,
    kTrailerLF,
    kTrailerEndLF,
    kDone,
    kError,
  };
  // Runs the chunk-size line and trailer states over *cur until data can be
  // handed out, the input ends, or the body ends.
  Status chunk_framing(const char** cur, const char* end);
  Status fail(const char* why);

  BodyKind kind_ = BodyKind::kNone;
  State state_ = State::kDone;
  uint64_t remaining_ = 0;  // bytes left of the body (kLength) or of the chunk
  uint64_t size_ = 0;       // chunk size being read
  size_t line_bytes_ = 0;   // bytes of the current size line
  size_t trailer_bytes_ = 0;
  const char* error_ = nullptr;
};

}  // namespace gantry::http
