#include "downstream/h2_stream.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "downstream/h2_connection.h"
#include "util/strings.h"

namespace gantry::downstream {
namespace {

std::string_view keep(Arena& arena, std::string_view v) {
  return {arena.copy(v.data(), v.size()), v.size()};
}

// Response fields HTTP/2 forbids (RFC 9113 8.2.2): the connection's, not
// the message's.
bool connection_specific(std::string_view name) {
  return iequals(name, "connection") || iequals(name, "keep-alive") ||
         iequals(name, "proxy-connection") || iequals(name, "transfer-encoding") ||
         iequals(name, "upgrade") || iequals(name, "te");
}

// Holds lower-cased names and the nv array that points into them.
struct HeaderBlock {
  std::vector<std::string> text;  // name, value, name, value, ...
  std::vector<nghttp2_nv> nv;

  void add(std::string_view name, std::string_view value) {
    std::string n(name);
    for (char& c : n) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    text.push_back(std::move(n));
    text.emplace_back(value);
  }
  // After the last add(): text no longer moves.
  const nghttp2_nv* finish() {
    nv.clear();
    for (size_t i = 0; i + 1 < text.size(); i += 2) {
      nghttp2_nv x;
      x.name = reinterpret_cast<uint8_t*>(text[i].data());
      x.namelen = text[i].size();
      x.value = reinterpret_cast<uint8_t*>(text[i + 1].data());
      x.valuelen = text[i + 1].size();
      x.flags = NGHTTP2_NV_FLAG_NONE;
      nv.push_back(x);
    }
    return nv.data();
  }
  size_t size() const { return nv.size(); }
  size_t bytes() const {
    size_t n = 0;
    for (const std::string& t : text) n += t.size() + 2;
    return n;
  }
};

void add_fields(HeaderBlock* b, const http::Head& head, bool drop_length) {
  b->add(":status", std::to_string(head.status));
  for (const http::HeaderField& f : head.headers) {
    if (f.name.empty() || connection_specific(f.name)) continue;
    if (drop_length && iequals(f.name, "content-length")) continue;
    b->add(f.name, f.value);
  }
}

ssize_t read_cb(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                nghttp2_data_source* source, void*) {
  return static_cast<H2Stream*>(source->ptr)->read_body(buf, length, flags);
}

// Response bytes a stream may hold before its exchange stops reading the
// server, and the level at which it reads again.
constexpr size_t kStreamHigh = 64 * 1024;
constexpr size_t kStreamLow = 16 * 1024;

}  // namespace

H2Stream::H2Stream(H2Connection* conn, int32_t id) : conn_(conn), id_(id) {
  // Made once every member is set: the exchange reads bytes_sent() now.
  exchange_ = std::make_unique<exchange::Exchange>(this, conn->snap(), conn->wc());
}

H2Stream::~H2Stream() {
  disarm_body_deadline();
  conn_->release(buffered());
  // The exchange may ask this stream for facts while it goes.
  exchange_.reset();
}

const exchange::ClientFacts& H2Stream::client() const { return conn_->facts(); }

gantry_status_t H2Stream::tls_info(gantry_tls_info_t* out) const {
  return conn_->conn()->transport_info(out);
}

// --- the request --------------------------------------------------------

bool H2Stream::on_header(std::string_view name, std::string_view value) {
  if (input_ != Input::kHeaders) return true;  // trailers: not forwarded
  // RFC 9113 6.5.2: names, values and 32 octets per field.
  header_bytes_ += static_cast<uint32_t>(std::min<size_t>(name.size() + value.size() + 32, 1u << 20));
  if (header_bytes_ > conn_->max_header_list_size()) return false;
  http::Head& req = exchange_->request();
  Arena& arena = exchange_->arena();
  if (!name.empty() && name[0] == ':') {
    if (name == ":method") {
      req.method = keep(arena, value);
    } else if (name == ":path") {
      req.target = keep(arena, value);
    } else if (name == ":authority") {
      authority_.assign(value);
    }
    // :scheme is the client's view; the backend hears X-Forwarded-Proto.
    return true;
  }
  if (name == "cookie") {  // RFC 9113 8.2.3: crumbs become one field again
    if (!cookies_.empty()) cookies_ += "; ";
    cookies_.append(value);
    return true;
  }
  if (name == "content-length") {
    has_length_ = true;
    length_ = 0;
    for (char c : value) length_ = length_ * 10 + static_cast<uint64_t>(c - '0');
  }
  req.add(arena, name, value);
  return true;
}

void H2Stream::on_headers_end(bool end_stream) {
  if (input_ != Input::kHeaders) return;
  http::Head& req = exchange_->request();
  Arena& arena = exchange_->arena();
  req.version_major = 1;
  req.version_minor = 1;
  if (!authority_.empty()) req.set(arena, "host", authority_);
  if (!cookies_.empty()) req.add(arena, "cookie", cookies_);
  exchange_->count_bytes_in(header_bytes_);
  http::RequestFraming f;
  if (has_length_) {
    f.has_length = true;
    f.length = length_;
  } else if (!end_stream) {
    f.chunked = true;  // a body of unknown length: chunked toward the server
  }
  input_ = end_stream ? Input::kEnded : Input::kBody;
  int status = exchange_->on_request_head(f, false);
  if (status != 0) {
    exchange_->refuse(status, "bad_request");
    return;
  }
  if (end_stream && !exchange_done_) exchange_->on_request_end();
  if (!end_stream) arm_body_deadline();
  if (!exchange_done_) exchange_->on_input_settled();
}

void H2Stream::on_data(const uint8_t* p, size_t n) {
  if (exchange_done_ || (input_ != Input::kBody && input_ != Input::kPaused)) {
    nghttp2_session_consume(conn_->session(), id_, n);  // dropped, but the window moves on
    return;
  }
  exchange_->count_bytes_in(static_cast<int64_t>(n));
  exchange_->on_request_body(reinterpret_cast<const char*>(p), n);
  if (input_ == Input::kPaused) {
    unconsumed_ += n;
  } else {
    nghttp2_session_consume(conn_->session(), id_, n);
    arm_body_deadline();
  }
  if (!exchange_done_) exchange_->on_input_settled();
}

void H2Stream::on_request_end() {
  if (input_ != Input::kBody && input_ != Input::kPaused) return;
  input_ = Input::kEnded;
  disarm_body_deadline();
  if (!exchange_done_) exchange_->on_request_end();
}

void H2Stream::on_response_sent() {
  // RFC 9113 8.1: a complete response may end a request that is not; the
  // client is asked, without error, to stop sending the rest.
  if (input_ == Input::kAbandoned) reset(NGHTTP2_NO_ERROR);
}

void H2Stream::arm_body_deadline() {
  if (input_ != Input::kBody || exchange_done_ || closed_) return;
  conn_->wc().clock.arm(&body_deadline_, conn_->snap().cfg->timeouts.client_body);
}

void H2Stream::disarm_body_deadline() { conn_->wc().clock.disarm(&body_deadline_); }

// The client has window and sent no DATA for client_body: as HTTP/1.1, a
// 408 if nothing was answered yet; its remaining DATA is dropped.
void H2Stream::on_body_deadline(loop::DeadlineClock::Entry* e) {
  H2Stream* s = static_cast<BodyDeadline*>(e)->stream;
  if (s->input_ != Input::kBody || s->exchange_done_) return;
  s->input_ = Input::kAbandoned;
  s->exchange_->on_client_timeout();
  s->conn_->schedule();
}

void H2Stream::on_closed(uint32_t error_code) {
  if (closed_) return;
  closed_ = true;
  disarm_body_deadline();
  if (exchange_done_) return;
  // The client reset the stream, or the connection is ending it.
  exchange_->on_client_gone(error_code == NGHTTP2_NO_ERROR ? "client_closed" : "client_reset");
}

void H2Stream::on_connection_gone() {
  if (closed_) return;
  closed_ = true;
  disarm_body_deadline();
  if (!exchange_done_) exchange_->on_client_gone("client_aborted");
}

void H2Stream::pause_request() {
  if (input_ != Input::kBody) return;
  input_ = Input::kPaused;
  disarm_body_deadline();  // the client waits for our window, not the other way
}

void H2Stream::resume_request() {
  if (input_ != Input::kPaused) return;
  input_ = Input::kBody;
  if (unconsumed_ > 0 && !closed_) {
    nghttp2_session_consume(conn_->session(), id_, unconsumed_);
    conn_->schedule();  // the WINDOW_UPDATE
  }
  unconsumed_ = 0;
  arm_body_deadline();
}

// --- the response -------------------------------------------------------

void H2Stream::send_interim(const http::Head& head) {
  if (closed_ || head.status == 101) return;
  HeaderBlock b;
  add_fields(&b, head, true);
  const nghttp2_nv* nv = b.finish();
  nghttp2_submit_headers(conn_->session(), NGHTTP2_FLAG_NONE, id_, nullptr, nv, b.size(), nullptr);
  bytes_sent_ += b.bytes();
  conn_->schedule();
}

void H2Stream::send_head(const exchange::OutgoingResponse& r) {
  held_head_ = r.head;
  held_body_ = r.body;
  held_length_ = r.length;
  output_ = Output::kHeadHeld;
}

void H2Stream::submit_head() {
  if (output_ != Output::kHeadHeld) return;
  bool body = held_body_ != exchange::BodySize::kNone;
  output_ = body ? Output::kBody : Output::kEnded;
  if (closed_ || held_head_ == nullptr) return;
  HeaderBlock b;
  add_fields(&b, *held_head_, held_body_ == exchange::BodySize::kKnown);
  if (held_body_ == exchange::BodySize::kKnown)
    b.add("content-length", std::to_string(held_length_));
  const nghttp2_nv* nv = b.finish();
  nghttp2_data_provider prd;
  prd.source.ptr = this;
  prd.read_callback = read_cb;
  nghttp2_submit_response(conn_->session(), id_, nv, b.size(), body ? &prd : nullptr);
  bytes_sent_ += b.bytes();
  held_head_ = nullptr;
}

bool H2Stream::unsend_head() {
  if (output_ != Output::kHeadHeld) return false;
  output_ = Output::kNone;
  held_head_ = nullptr;
  return true;
}

void H2Stream::send_body(const char* p, size_t n) {
  submit_head();
  if (closed_ || n == 0) return;
  out_.append(p, n);
  conn_->hold(n);
  bytes_sent_ += n;
  if (deferred_) {
    deferred_ = false;
    nghttp2_session_resume_data(conn_->session(), id_);
  }
  conn_->schedule();
}

void H2Stream::end_body() {
  submit_head();
  if (output_ == Output::kBody) output_ = Output::kEnded;
  if (deferred_ && !closed_) {
    deferred_ = false;
    nghttp2_session_resume_data(conn_->session(), id_);
  }
  conn_->schedule();
}

void H2Stream::flush() {
  submit_head();
  conn_->schedule();
}

ssize_t H2Stream::read_body(uint8_t* buf, size_t length, uint32_t* flags) {
  size_t avail = out_.size() - out_off_;
  if (avail == 0) {
    if (output_ == Output::kEnded) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    deferred_ = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  size_t n = std::min(avail, length);
  std::memcpy(buf, out_.data() + out_off_, n);
  out_off_ += n;
  conn_->release(n);
  if (out_off_ == out_.size()) {
    out_.clear();
    out_off_ = 0;
    if (output_ == Output::kEnded) *flags |= NGHTTP2_DATA_FLAG_EOF;
  }
  return static_cast<ssize_t>(n);
}

bool H2Stream::congested() const {
  if (buffered() > kStreamHigh || conn_->over_budget()) {
    const_cast<H2Stream*>(this)->congested_ = true;
    return true;
  }
  return false;
}

void H2Stream::maybe_resume_upstream() {
  if (!congested_ || exchange_done_) return;
  if (buffered() > kStreamLow || conn_->over_budget()) return;
  congested_ = false;
  exchange_->on_downstream_drained();
}

void H2Stream::exchange_done(bool) {
  submit_head();
  exchange_done_ = true;
  disarm_body_deadline();
  // A request the exchange will not read to its end: its bytes are
  // consumed and dropped as they come (on_data), so the client's window
  // keeps moving until it ends the stream.
  if (input_ == Input::kPaused) resume_request();
  conn_->schedule();
}

void H2Stream::abort() {
  exchange_done_ = true;
  reset(NGHTTP2_INTERNAL_ERROR);
}

void H2Stream::reset(uint32_t error_code) {
  if (closed_) return;
  nghttp2_submit_rst_stream(conn_->session(), NGHTTP2_FLAG_NONE, id_, error_code);
  conn_->schedule();
}

}  // namespace gantry::downstream
