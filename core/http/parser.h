#pragma once
// HTTP/1.x message parsing around llhttp in strict mode. The parser fills a
// Head (copying header bytes into the exchange's arena, since input buffers
// are scratch) and reports body bytes and message ends to its owner.
#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

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
  kOk,        // all input consumed, message not finished (or finished exactly at end)
  kPaused,    // a message ended; `consumed` tells where the next begins
  kUpgrade,   // a message asking for (or granting) an upgrade ended
  kError,     // malformed; see error_reason()
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
  bool keep_alive() const { return llhttp_should_keep_alive(&p_) != 0; }
  bool upgrade() const { return p_.upgrade != 0; }
  bool chunked() const { return (p_.flags & F_CHUNKED) != 0; }
  bool has_content_length() const { return (p_.flags & F_CONTENT_LENGTH) != 0; }
  uint64_t content_length() const { return p_.content_length; }
  bool in_message() const { return in_message_; }
  bool head_done() const { return head_done_; }
  const char* error_reason() const { return llhttp_get_error_reason(&p_); }
  void reset();
  // Requests: refuse heads larger than max_bytes or with more than
  // max_headers fields, or a target/header line longer than max_line.
  void set_limits(uint32_t max_bytes, uint32_t max_headers, uint32_t max_line) {
    max_head_bytes_ = max_bytes;
    max_headers_ = max_headers;
    max_line_ = max_line;
  }
  // The status a refused head deserves: 414 (target too long), 431 (head or
  // a header too large, too many headers), 505 (well-formed but unsupported
  // version), 400 otherwise.
  int reject_status() const;

 private:
  static int cb_message_begin(llhttp_t* p);
  static int cb_url(llhttp_t* p, const char* at, size_t n);
  static int cb_status(llhttp_t* p, const char* at, size_t n);
  static int cb_version(llhttp_t* p, const char* at, size_t n);
  static int cb_method(llhttp_t* p, const char* at, size_t n);
  static int cb_header_field(llhttp_t* p, const char* at, size_t n);
  static int cb_header_value(llhttp_t* p, const char* at, size_t n);
  static int cb_header_value_complete(llhttp_t* p);
  static int cb_headers_complete(llhttp_t* p);
  static int cb_body(llhttp_t* p, const char* at, size_t n);
  static int cb_message_complete(llhttp_t* p);
  static const llhttp_settings_t* settings();

  llhttp_t p_;
  ParserEvents* events_;
  Head* head_ = nullptr;
  Arena* arena_ = nullptr;
  const char* cur_ptr_ = nullptr;  // header name or value being accumulated
  size_t cur_len_ = 0;
  const char* name_ptr_ = nullptr;
  size_t name_len_ = 0;
  bool in_value_ = false;
  bool in_message_ = false;
  bool head_done_ = false;
  bool is_request_;
  uint32_t head_bytes_ = 0;
  uint32_t max_head_bytes_ = 0;  // 0: unlimited
  uint32_t max_headers_ = 0;
  uint32_t header_count_ = 0;
  uint32_t max_line_ = 0;
  uint32_t line_bytes_ = 0;  // current target or header line
  int limit_status_ = 0;
  bool malformed_ = false;   // refused by our own checks (obs-fold, empty name)
  char version_[8] = {0};
  uint8_t version_len_ = 0;
  const char* feed_end_ = nullptr;
  const char* value_end_ = nullptr;
  const char* feed_end_prev_ = nullptr;  // feed_end_ when value_end_ was recorded
  int count_head(size_t n, int line_status);
};

}  // namespace gantry::http
