#include "http/parser.h"

namespace gantry::http {
namespace {
Parser* self_of(llhttp_t* p) { return static_cast<Parser*>(p->data); }

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

void Parser::resume() { llhttp_resume(&p_); }
void Parser::resume_after_upgrade() { llhttp_resume_after_upgrade(&p_); }

int Parser::count_head(size_t n) {
  head_bytes_ += static_cast<uint32_t>(n);
  if (max_head_bytes_ != 0 && head_bytes_ > max_head_bytes_) {
    limit_hit_ = true;
    return -1;
  }
  return 0;
}

int Parser::cb_message_begin(llhttp_t* p) {
  Parser* s = self_of(p);
  s->head_bytes_ = 0;
  s->header_count_ = 0;
  s->limit_hit_ = false;
  s->in_message_ = true;
  s->head_done_ = false;
  s->cur_ptr_ = s->name_ptr_ = nullptr;
  s->cur_len_ = s->name_len_ = 0;
  s->in_value_ = false;
  return 0;
}

int Parser::cb_url(llhttp_t* p, const char* at, size_t n) {
  Parser* s = self_of(p);
  if (s->count_head(n) != 0) return -1;
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
  if (s->count_head(n + 4) != 0) return -1;
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
  if (s->count_head(n) != 0) return -1;
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
  s->head_->headers.push_back(
      {{s->name_ptr_, s->name_len_}, trim_ows(s->cur_ptr_ ? s->cur_ptr_ : "", s->cur_len_)});
  ++s->head_->live_headers;
  if (s->max_headers_ != 0 && ++s->header_count_ > s->max_headers_) {
    s->limit_hit_ = true;
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
