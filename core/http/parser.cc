#include "http/parser.h"

#include "http/chars.h"
#include "http/framing.h"

namespace gantry::http {
namespace {
Parser* self_of(llhttp_t* p) { return static_cast<Parser*>(p->data); }

// llhttp's own refusals that are about body framing rather than head syntax.
bool is_framing_error(llhttp_errno_t e) {
  return e == HPE_INVALID_CONTENT_LENGTH || e == HPE_UNEXPECTED_CONTENT_LENGTH ||
         e == HPE_INVALID_TRANSFER_ENCODING;
}
}  // namespace

const llhttp_settings_t* Parser::settings() {
  // No body or message-complete callbacks: llhttp is stopped at the end of
  // every head and never sees a body byte.
  static const llhttp_settings_t s = [] {
    llhttp_settings_t v;
    llhttp_settings_init(&v);
    v.on_message_begin = cb_message_begin;
    v.on_url = cb_url;
    v.on_status = cb_status;
    v.on_version = cb_version;
    v.on_header_field = cb_header_field;
    v.on_header_value = cb_header_value;
    v.on_header_value_complete = cb_header_value_complete;
    v.on_headers_complete = cb_headers_complete;
    return v;
  }();
  return &s;
}

Parser::Parser(bool is_request, ParserEvents* events) : events_(events), is_request_(is_request) {
  llhttp_init(&p_, is_request ? HTTP_REQUEST : HTTP_RESPONSE, settings());
  p_.data = this;
}

void Parser::reset() {
  llhttp_reset(&p_);
  p_.data = this;
  scanner_.reset();
  body_.start(BodyKind::kNone);
  state_ = State::kHead;
  in_message_ = head_done_ = headers_complete_ = in_value_ = false;
  cur_ptr_ = name_ptr_ = nullptr;
  cur_len_ = name_len_ = 0;
  keep_alive_ = upgrade_ = has_content_length_ = false;
  body_kind_ = BodyKind::kNone;
  content_length_ = 0;
  header_count_ = line_bytes_ = 0;
  limit_status_ = 0;
  malformed_ = false;
  error_kind_ = ParseError::kNone;
  reason_ = nullptr;
  version_len_ = 0;
}

ParseResult Parser::feed(const char* p, size_t n, size_t* consumed) {
  size_t off = 0;
  ParseResult r = ParseResult::kOk;
  switch (state_) {
    case State::kError:
      *consumed = 0;
      return ParseResult::kError;
    case State::kDone:  // paused after a message until reset()
      *consumed = 0;
      return upgrade_ ? ParseResult::kUpgrade : ParseResult::kPaused;
    case State::kHead:
      r = feed_head(p, n, &off);
      break;
    case State::kBody:
      break;
  }
  if (r == ParseResult::kOk && state_ == State::kBody) r = feed_body(p, n, &off);
  *consumed = r == ParseResult::kError ? 0 : off;
  return r;
}

ParseResult Parser::feed_head(const char* p, size_t n, size_t* off) {
  HeadScanner::Result scan = scanner_.scan(p, n);
  if (scan.used > 0) {
    // llhttp sees only bytes the scanner has passed, and never past the head.
    llhttp_errno_t err = llhttp_execute(&p_, p, scan.used);
    if (err == HPE_PAUSED && headers_complete_) {
      // It must stop exactly where the scanner says the head ends; anything
      // else means the two disagree about the message, which is refused.
      if (scan.status != HeadScanner::Status::kDone || llhttp_get_error_pos(&p_) != p + scan.used)
        return fail(ParseError::kHeadSyntax, "head boundary in doubt");
    } else if (err != HPE_OK) {
      ParseError kind = limit_status_ != 0      ? ParseError::kHeadTooLarge
                        : malformed_            ? ParseError::kHeadSyntax
                        : is_framing_error(err) ? ParseError::kFraming
                                                : ParseError::kHeadSyntax;
      return fail(kind, nullptr);
    }
  }
  switch (scan.status) {
    case HeadScanner::Status::kNeedMore:
      *off = n;
      return ParseResult::kOk;
    case HeadScanner::Status::kDone:
      if (!headers_complete_) return fail(ParseError::kHeadSyntax, "head boundary in doubt");
      *off = scan.used;
      return head_complete();
    case HeadScanner::Status::kTooLarge:
      if (limit_status_ == 0) limit_status_ = 431;
      return fail(ParseError::kHeadTooLarge, HeadScanner::describe(scan.status));
    default:
      return fail(ParseError::kHeadSyntax, HeadScanner::describe(scan.status));
  }
}

// The head is parsed: decide the framing, let the owner see the head, then
// start the body (or end the message).
ParseResult Parser::head_complete() {
  if (!is_request_ && !valid_status_line())
    return fail(ParseError::kHeadSyntax, "invalid status line");
  Framing f = is_request_ ? frame_request(*head_) : frame_response(*head_);
  if (f.error != nullptr) return fail(ParseError::kFraming, f.error);
  body_kind_ = f.kind;
  has_content_length_ = f.has_content_length;
  content_length_ = f.length;
  upgrade_ = f.upgrade;
  keep_alive_ = f.keep_alive && f.kind != BodyKind::kUntilClose;
  head_done_ = true;
  int rc = events_->on_head(*head_);
  if (rc < 0) return fail(ParseError::kRefused, "refused by its handler");
  // 1: a response to HEAD, whatever its framing fields say.
  BodyKind kind = rc == 1 ? BodyKind::kNone : body_kind_;
  keep_alive_ = f.keep_alive && kind != BodyKind::kUntilClose;
  body_.start(kind, content_length_);
  if (kind == BodyKind::kNone) return message_end();
  state_ = State::kBody;
  return ParseResult::kOk;
}

ParseResult Parser::feed_body(const char* p, size_t n, size_t* off) {
  const char* cur = p + *off;
  const char* const end = p + n;
  for (;;) {
    BodyDecoder::Span span;
    switch (body_.decode(&cur, end, &span)) {
      case BodyDecoder::Status::kData:
        events_->on_body(span.data, span.size);
        break;
      case BodyDecoder::Status::kNeedMore:
        *off = n;
        return ParseResult::kOk;
      case BodyDecoder::Status::kDone:
        *off = static_cast<size_t>(cur - p);
        return message_end();
      case BodyDecoder::Status::kError:
        return fail(ParseError::kBody, body_.error());
    }
  }
}

ParseResult Parser::message_end() {
  in_message_ = false;
  state_ = State::kDone;
  events_->on_message_end();
  return upgrade_ ? ParseResult::kUpgrade : ParseResult::kPaused;
}

ParseResult Parser::fail(ParseError kind, const char* reason) {
  state_ = State::kError;
  error_kind_ = kind;
  if (reason != nullptr) reason_ = reason;  // else a callback's, or llhttp's
  return ParseResult::kError;
}

bool Parser::finish() {
  switch (state_) {
    case State::kBody:
      if (!body_.finish()) return false;
      message_end();
      return true;
    case State::kHead:
      return !scanner_.started();  // closed between messages
    case State::kDone:
      return true;
    case State::kError:
      return false;
  }
  return false;
}

const char* Parser::error_reason() const {
  if (reason_ != nullptr) return reason_;
  const char* r = llhttp_get_error_reason(&p_);
  return r != nullptr ? r : "malformed message";
}

int Parser::count_line(size_t n, int line_status) {
  line_bytes_ += static_cast<uint32_t>(n);
  if (max_line_ != 0 && line_bytes_ > max_line_) {
    limit_status_ = line_status;
    reason_ = line_status == 414 ? "request target too long" : "header line too long";
    return -1;
  }
  return 0;
}

int Parser::reject_status() const {
  if (limit_status_ != 0) return limit_status_;
  if (!malformed_ && llhttp_get_errno(&p_) == HPE_INVALID_VERSION && version_len_ == 3 &&
      version_[0] >= '0' && version_[0] <= '9' && version_[1] == '.' && version_[2] >= '0' &&
      version_[2] <= '9' && !(version_[0] == '1' && (version_[2] == '0' || version_[2] == '1')))
    return 505;
  return 400;
}

// A server answering an HTTP/1.1 request speaks HTTP/1.x, with a status in
// 100..599 (RFC 9110 15: anything else is not a status a proxy can relay).
bool Parser::valid_status_line() const {
  return head_->version_major == 1 && head_->status >= 100 && head_->status <= 599;
}

int Parser::cb_version(llhttp_t* p, const char* at, size_t n) {
  Parser* s = self_of(p);
  for (size_t i = 0; i < n && s->version_len_ < sizeof s->version_; ++i)
    s->version_[s->version_len_++] = at[i];
  return 0;
}

int Parser::cb_message_begin(llhttp_t* p) {
  self_of(p)->in_message_ = true;
  return 0;
}

int Parser::cb_url(llhttp_t* p, const char* at, size_t n) {
  Parser* s = self_of(p);
  if (s->count_line(n, 414) != 0) return -1;
  const char* ptr = s->head_->target.data();
  size_t len = s->head_->target.size();
  s->arena_->append(ptr, len, at, n);
  s->head_->target = {ptr, len};
  return 0;
}

int Parser::cb_status(llhttp_t* p, const char* at, size_t n) {
  Parser* s = self_of(p);
  // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ): it is relayed.
  for (size_t i = 0; i < n; ++i) {
    if (!is_field_char(static_cast<unsigned char>(at[i]))) {
      s->malformed_ = true;
      s->reason_ = "control character in the reason phrase";
      return -1;
    }
  }
  const char* ptr = s->head_->reason.data();
  size_t len = s->head_->reason.size();
  s->arena_->append(ptr, len, at, n);
  s->head_->reason = {ptr, len};
  return 0;
}

int Parser::cb_header_field(llhttp_t* p, const char* at, size_t n) {
  Parser* s = self_of(p);
  if (s->cur_ptr_ == nullptr) s->line_bytes_ = 0;  // a new header line
  if (s->count_line(n, 431) != 0) return -1;
  s->arena_->append(s->cur_ptr_, s->cur_len_, at, n);
  return 0;
}

int Parser::cb_header_value(llhttp_t* p, const char* at, size_t n) {
  Parser* s = self_of(p);
  if (!s->in_value_) {
    s->name_ptr_ = s->cur_ptr_;
    s->name_len_ = s->cur_len_;
    s->cur_ptr_ = nullptr;
    s->cur_len_ = 0;
    s->in_value_ = true;
  }
  if (s->count_line(n, 431) != 0) return -1;
  s->arena_->append(s->cur_ptr_, s->cur_len_, at, n);
  return 0;
}

int Parser::cb_header_value_complete(llhttp_t* p) {
  Parser* s = self_of(p);
  if (!s->in_value_) {  // empty value: no on_header_value call
    s->name_ptr_ = s->cur_ptr_;
    s->name_len_ = s->cur_len_;
    s->cur_ptr_ = nullptr;
    s->cur_len_ = 0;
  }
  // llhttp lets an empty name (": value") and whitespace before the colon
  // ("Name : value") through; RFC 9112 5.1 says a server MUST reject the latter.
  if (!is_token({s->name_ptr_ != nullptr ? s->name_ptr_ : "", s->name_len_})) {
    s->malformed_ = true;
    s->reason_ = "field name empty or not a token";
    return -1;
  }
  if (s->max_headers_ != 0 && ++s->header_count_ > s->max_headers_) {
    s->limit_status_ = 431;
    s->reason_ = "too many header fields";
    return -1;
  }
  s->head_->headers.push_back(
      {{s->name_ptr_, s->name_len_}, trim_ows({s->cur_ptr_ ? s->cur_ptr_ : "", s->cur_len_})});
  ++s->head_->live_headers;
  s->cur_ptr_ = s->name_ptr_ = nullptr;
  s->cur_len_ = s->name_len_ = 0;
  s->in_value_ = false;
  return 0;
}

int Parser::cb_headers_complete(llhttp_t* p) {
  Parser* s = self_of(p);
  Head& h = *s->head_;
  h.version_major = p->http_major;
  h.version_minor = p->http_minor;
  if (s->is_request_) {
    h.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
  } else {
    h.status = p->status_code;
  }
  s->headers_complete_ = true;
  // Stop here: the framing decision and the body are gantry's.
  return HPE_PAUSED;
}

}  // namespace gantry::http
