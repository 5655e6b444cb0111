#include "http/parser.h"

#include <cstring>

namespace gantry::http {
namespace {
Parser* self_of(llhttp_t* p) { return static_cast<Parser*>(p->data); }

// RFC 9110 5.6.2 tchar.
bool is_token(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(p[i]);
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c > 32 && c < 127 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
    if (!ok) return false;
  }
  return true;
}

std::string_view trim_ows(const char* p, size_t n) {
  while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) --n;
  return {p, n};
}
}  // namespace

const llhttp_settings_t* Parser::settings() {
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
    v.on_body = cb_body;
    v.on_message_complete = cb_message_complete;
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
  in_message_ = head_done_ = in_value_ = false;
  cur_ptr_ = name_ptr_ = nullptr;
  cur_len_ = name_len_ = 0;
}

ParseResult Parser::feed(const char* p, size_t n, size_t* consumed) {
  feed_end_ = p + n;
  llhttp_errno_t err = llhttp_execute(&p_, p, n);
  switch (err) {
    case HPE_OK:
      *consumed = n;
      return ParseResult::kOk;
    case HPE_PAUSED:
      *consumed = static_cast<size_t>(llhttp_get_error_pos(&p_) - p);
      return ParseResult::kPaused;
    case HPE_PAUSED_UPGRADE:
      *consumed = static_cast<size_t>(llhttp_get_error_pos(&p_) - p);
      return ParseResult::kUpgrade;
    default:
      *consumed = 0;
      return ParseResult::kError;
  }
}

bool Parser::finish() {
  llhttp_errno_t err = llhttp_finish(&p_);
  return err == HPE_OK || err == HPE_PAUSED;
}


int Parser::count_head(size_t n, int line_status) {
  head_bytes_ += static_cast<uint32_t>(n);
  line_bytes_ += static_cast<uint32_t>(n);
  if (max_head_bytes_ != 0 && head_bytes_ > max_head_bytes_) {
    limit_status_ = 431;
    return -1;
  }
  if (max_line_ != 0 && line_bytes_ > max_line_) {
    limit_status_ = line_status;
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

int Parser::cb_version(llhttp_t* p, const char* at, size_t n) {
  Parser* s = self_of(p);
  for (size_t i = 0; i < n && s->version_len_ < sizeof s->version_; ++i)
    s->version_[s->version_len_++] = at[i];
  return 0;
}

int Parser::cb_message_begin(llhttp_t* p) {
  Parser* s = self_of(p);
  s->head_bytes_ = 0;
  s->line_bytes_ = 0;
  s->header_count_ = 0;
  s->limit_status_ = 0;
  s->malformed_ = false;
  s->version_len_ = 0;
  s->in_message_ = true;
  s->head_done_ = false;
  s->cur_ptr_ = s->name_ptr_ = nullptr;
  s->cur_len_ = s->name_len_ = 0;
  s->in_value_ = false;
  return 0;
}

int Parser::cb_url(llhttp_t* p, const char* at, size_t n) {
  Parser* s = self_of(p);
  if (s->count_head(n, 414) != 0) return -1;
  const char* ptr = s->head_->target.data();
  size_t len = s->head_->target.size();
  if (len == 0) ptr = nullptr;
  s->arena_->append(ptr, len, at, n);
  s->head_->target = {ptr, len};
  return 0;
}

int Parser::cb_status(llhttp_t* p, const char* at, size_t n) {
  Parser* s = self_of(p);
  const char* ptr = s->head_->reason.data();
  size_t len = s->head_->reason.size();
  if (len == 0) ptr = nullptr;
  s->arena_->append(ptr, len, at, n);
  s->head_->reason = {ptr, len};
  return 0;
}

int Parser::cb_header_field(llhttp_t* p, const char* at, size_t n) {
  Parser* s = self_of(p);
  if (s->in_value_) {
    // llhttp reports a value's end before the next field, so this is only a
    // continuation of the same field.
    s->in_value_ = false;
  }
  if (s->cur_ptr_ == nullptr) s->line_bytes_ = 0;  // a new header line
  if (s->count_head(n + 4, 431) != 0) return -1;
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
  } else if (at != s->value_end_ && s->value_end_ != s->feed_end_prev_) {
    // More value bytes that neither follow the previous ones nor continue
    // after a read boundary: llhttp is joining an obs-fold continuation
    // line, which RFC 9112 5.2 lets a proxy reject. We do.
    s->malformed_ = true;
    return -1;
  }
  s->value_end_ = at + n;
  s->feed_end_prev_ = s->feed_end_;
  if (s->count_head(n, 431) != 0) return -1;
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
  if (s->name_len_ == 0 || !is_token(s->name_ptr_, s->name_len_)) {
    s->malformed_ = true;
    return -1;
  }
  s->head_->headers.push_back(
      {{s->name_ptr_, s->name_len_}, trim_ows(s->cur_ptr_ ? s->cur_ptr_ : "", s->cur_len_)});
  ++s->head_->live_headers;
  if (s->max_headers_ != 0 && ++s->header_count_ > s->max_headers_) {
    s->limit_status_ = 431;
    return -1;
  }
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
  s->head_done_ = true;
  return s->events_->on_head(h);
}

int Parser::cb_body(llhttp_t* p, const char* at, size_t n) {
  self_of(p)->events_->on_body(at, n);
  return 0;
}

int Parser::cb_message_complete(llhttp_t* p) {
  Parser* s = self_of(p);
  s->in_message_ = false;
  s->events_->on_message_end();
  // An upgrade pauses by itself (HPE_PAUSED_UPGRADE); anything else pauses
  // here so the owner handles one message at a time.
  return p->upgrade ? 0 : HPE_PAUSED;
}

}  // namespace gantry::http
