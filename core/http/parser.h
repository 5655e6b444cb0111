#pragma once
// HTTP/1.x message parsing. A HeadScanner finds the end of each head and
// checks its line structure; llhttp (strict mode) parses only those head
// bytes, filling a Head (copying its bytes into the exchange's arena, since
// input buffers are scratch); gantry then decides the body's framing itself
// (http/framing.h) and a BodyDecoder delimits it, handing body bytes to the
// owner as spans of the input. llhttp never sees a body byte, so its body
// leniencies (chunk extensions, line endings in size lines) cannot apply.
#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/body_decoder.h"
#include "http/head_scan.h"
#include "http/message.h"

namespace gantry::http {

class ParserEvents {
 public:
  virtual ~ParserEvents() = default;
  // Head complete. Return 0 to go on, 1 to expect no body (HEAD response),
  // -1 to reject the message.
  virtual int on_head(Head& head) = 0;
  virtual void on_body(const char* p, size_t n) = 0;
  // Message complete; the parser pauses after it so the owner decides when to
  // look at the next message.
  virtual void on_message_end() = 0;
};

enum class ParseResult {
  kOk,       // all input consumed, message not finished (or finished exactly at end)
  kPaused,   // a message ended; `consumed` tells where the next begins
  kUpgrade,  // a message asking for (or granting) an upgrade ended
  kError,    // malformed; see error_reason()
};

// Why a message was refused, for the owner's log and termination cause.
enum class ParseError : uint8_t {
  kNone,
  kHeadSyntax,    // bare CR or LF, NUL, obs-fold, bad start line or field
  kHeadTooLarge,  // over the head size, line or field-count limits
  kFraming,       // Content-Length / Transfer-Encoding that cannot frame a body
  kBody,          // malformed chunked body: size line, extension, CR LF, trailer
  kRefused,       // the owner's on_head refused it
};

class Parser {
 public:
  Parser(bool is_request, ParserEvents* events);
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  void attach(Head* head, Arena* arena) {
    head_ = head;
    arena_ = arena;
  }
  // Parse up to n bytes; *consumed is how many were used.
  ParseResult feed(const char* p, size_t n, size_t* consumed);
  // The peer closed: ends a read-until-close body. false if a message was cut.
  bool finish();
  // The message's framing, valid once its head is complete (head_done()).
  bool keep_alive() const { return keep_alive_; }
  bool upgrade() const { return upgrade_; }
  bool chunked() const { return body_kind_ == BodyKind::kChunked; }
  bool has_content_length() const { return has_content_length_; }
  uint64_t content_length() const { return content_length_; }
  bool in_message() const { return in_message_; }
  bool head_done() const { return head_done_; }
  const char* error_reason() const;
  ParseError error_kind() const { return error_kind_; }
  // Ready for the next message on the same connection.
  void reset();
  // Refuse heads larger than max_bytes (every byte of the head, line ends
  // included) or with more than max_headers fields, or a request target or
  // header line longer than max_line; 0 means no limit.
  void set_limits(uint32_t max_bytes, uint32_t max_headers, uint32_t max_line) {
    scanner_.set_limit(max_bytes);
    max_headers_ = max_headers;
    max_line_ = max_line;
  }
  // The status a refused head deserves: 414 (target too long), 431 (head or
  // a header too large, too many headers), 505 (well-formed but unsupported
  // version), 400 otherwise.
  int reject_status() const;

 private:
  enum class State : uint8_t { kHead, kBody, kDone, kError };

  static int cb_message_begin(llhttp_t* p);
  static int cb_url(llhttp_t* p, const char* at, size_t n);
  static int cb_status(llhttp_t* p, const char* at, size_t n);
  static int cb_version(llhttp_t* p, const char* at, size_t n);
  static int cb_header_field(llhttp_t* p, const char* at, size_t n);
  static int cb_header_value(llhttp_t* p, const char* at, size_t n);
  static int cb_header_value_complete(llhttp_t* p);
  static int cb_headers_complete(llhttp_t* p);
  static const llhttp_settings_t* settings();

  ParseResult feed_head(const char* p, size_t n, size_t* off);
  ParseResult head_complete();
  ParseResult feed_body(const char* p, size_t n, size_t* off);
  ParseResult message_end();
  ParseResult fail(ParseError kind, const char* reason);
  int count_line(size_t n, int line_status);
  bool valid_status_line() const;

  llhttp_t p_;
  HeadScanner scanner_;
  BodyDecoder body_;
  ParserEvents* events_;
  Head* head_ = nullptr;
  Arena* arena_ = nullptr;
  State state_ = State::kHead;
  const char* cur_ptr_ = nullptr;  // header name or value being accumulated
  size_t cur_len_ = 0;
  const char* name_ptr_ = nullptr;
  size_t name_len_ = 0;
  bool in_value_ = false;
  bool in_message_ = false;
  bool head_done_ = false;
  bool headers_complete_ = false;  // llhttp reached the end of the head
  bool is_request_;
  bool keep_alive_ = false;
  bool upgrade_ = false;
  bool has_content_length_ = false;
  BodyKind body_kind_ = BodyKind::kNone;
  uint64_t content_length_ = 0;
  uint32_t max_headers_ = 0;  // 0: unlimited
  uint32_t header_count_ = 0;
  uint32_t max_line_ = 0;
  uint32_t line_bytes_ = 0;  // current target or header line
  int limit_status_ = 0;
  bool malformed_ = false;  // refused by our own checks in a callback
  ParseError error_kind_ = ParseError::kNone;
  const char* reason_ = nullptr;  // our own refusal reason (else llhttp's)
  char version_[8] = {0};
  uint8_t version_len_ = 0;
};

}  // namespace gantry::http
