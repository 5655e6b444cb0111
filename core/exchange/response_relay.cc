#include "exchange/response_relay.h"

#include "http/semantics.h"

namespace gantry::exchange {
namespace {

bool is_interim(int status) { return status >= 100 && status < 200 && status != 101; }

}  // namespace

ResponseRelay::ResponseRelay(Downstream* down, RelayEvents* events, http::Head* head,
                             Arena* arena)
    : down_(down), events_(events), head_(head), parser_(false, this) {
  parser_.attach(head, arena);
}

void ResponseRelay::rebind(Downstream* down, RelayEvents* events) {
  down_ = down;
  events_ = events;
  up_ = nullptr;
  req_ = {};
  stage_ = Stage::kHead;
  parser_.reset();
}

ResponseRelay::Fed ResponseRelay::feed(const char* p, size_t n, size_t* used) {
  size_t off = 0;
  Fed fed = Fed::kMore;
  while (off < n) {
    size_t u = 0;
    http::ParseResult r = parser_.feed(p + off, n - off, &u);
    off += u;
    if (r == http::ParseResult::kOk) break;
    if (r == http::ParseResult::kError) {
      fed = Fed::kError;
      break;
    }
    if (r == http::ParseResult::kUpgrade) {
      fed = stage_ == Stage::kSwitching ? Fed::kSwitching : Fed::kError;
      break;
    }
    // kPaused: a message ended. After an interim head, parse the next head
    // afresh; after the final response, stop.
    if (stage_ == Stage::kComplete) {
      fed = Fed::kDone;
      break;
    }
    parser_.reset();
    head_->clear();
  }
  *used = off;
  return fed;
}

const char* ResponseRelay::error_cause() const {
  switch (parser_.error_kind()) {
    case http::ParseError::kHeadSyntax: return "bad_response_head";
    case http::ParseError::kHeadTooLarge: return "response_head_too_large";
    case http::ParseError::kFraming: return "bad_response_framing";
    case http::ParseError::kBody: return "bad_response_body";
    default: return "bad_response";
  }
}

bool ResponseRelay::finish() {
  bool ok = parser_.finish();
  return ok && stage_ == Stage::kComplete;
}

int ResponseRelay::on_head(http::Head& head) {
  if (is_interim(head.status)) {
    if (!req_.client_http10) down_->send_interim(head);
    return 0;
  }
  if (head.status == 101) {
    if (!req_.upgrade_allowed) return -1;
    down_->send_switching(head);
    stage_ = Stage::kSwitching;
    return 0;
  }
  if (!events_->on_response_head()) return -1;
  send_final_head();
  // No body follows a HEAD answer or a 204/304, whatever Content-Length says
  // (it describes the resource); the parser must not wait for one.
  return req_.head_method || http::status_has_no_body(head_->status) ? 1 : 0;
}

void ResponseRelay::send_final_head() {
  OutgoingResponse out;
  out.head = head_;
  if (req_.head_method || http::status_has_no_body(head_->status)) {
    out.body = BodySize::kNone;
  } else if (parser_.has_content_length()) {
    out.body = BodySize::kKnown;
    out.length = parser_.content_length();
  } else {
    out.body = BodySize::kUnknown;
  }
  stage_ = Stage::kBody;
  down_->send_head(out);
}

void ResponseRelay::on_body(const char* p, size_t n) {
  down_->send_body(p, n);
  // Back-pressure: a slow client stops reads from the server.
  if (up_ != nullptr && up_->reading() && down_->congested()) up_->stop_read();
}

void ResponseRelay::on_downstream_drained() {
  if (up_ != nullptr && stage_ == Stage::kBody) up_->start_read();
}

void ResponseRelay::on_message_end() {
  if (stage_ != Stage::kBody) return;  // an interim head, or the 101 before a tunnel
  stage_ = Stage::kComplete;
  down_->end_body();
}

}  // namespace gantry::exchange
