// The response side of an HTTP/1.1 session: heads and bodies as HTTP/1.1
// bytes, with the framing this client can read and the keep-alive it gets.
#include "downstream/http1_session.h"
#include "util/strings.h"

namespace gantry::downstream {

void Http1Session::send_interim(const http::Head& head) {
  std::string& out = wc_.scratch;
  http::write_interim_head(head, &out);
  conn_->write(out.data(), out.size());
}

void Http1Session::send_switching(const http::Head& head) {
  std::string& out = wc_.scratch;
  http::write_switching_head(head, &out);
  conn_->write(out.data(), out.size());
}

// The client asked to close: "Connection: close", or HTTP/1.0 without
// keep-alive, or (once its request is in) llhttp's verdict.
bool Http1Session::client_wants_close() const {
  const http::Head& req = exchange_->request();
  const http::HeaderField* c = req.find("connection");
  if (c != nullptr && list_has_token(c->value, "close")) return true;
  if (req.version_minor == 0 && !(c != nullptr && list_has_token(c->value, "keep-alive")))
    return true;
  return state_ != State::kRequest && !parser_->keep_alive();
}

void Http1Session::send_head(const exchange::OutgoingResponse& r) {
  bool client11 = exchange_->request().version_minor >= 1;
  http::ResponseWire w;
  // A refusal before the head was whole leaves nothing trustworthy behind.
  w.close = r.close || !parser_->head_done() || client_wants_close() || wc_.draining;
  switch (r.body) {
    case exchange::BodySize::kNone:
      w.framing = http::Framing::kNone;
      break;
    case exchange::BodySize::kKnown:
      w.framing = http::Framing::kLength;
      w.length = r.length;
      break;
    case exchange::BodySize::kUnknown:
      w.framing = client11 ? http::Framing::kChunked : http::Framing::kUntilClose;
      if (!client11) w.close = true;
      break;
  }
  w.keep_alive = !client11 && !w.close;
  if (w.close) close_after_ = true;
  out_framing_ = w.framing;
  http::write_response_head(*r.head, w, &wc_.scratch);
  // Held so the head and the first body bytes (often all of them) leave in
  // one write; flush() sends it at the end of the batch if no body came.
  output_ = Output::kHeadHeld;
}

void Http1Session::send_body(const char* p, size_t n) {
  uv_buf_t bufs[4];
  int nb = 0;
  if (output_ == Output::kHeadHeld) {
    bufs[nb++] = uv_buf_init(wc_.scratch.data(), static_cast<unsigned>(wc_.scratch.size()));
  }
  output_ = Output::kBody;
  char line[http::kChunkLineMax];
  if (out_framing_ == http::Framing::kChunked) {
    size_t len = http::write_chunk_line(n, line);
    bufs[nb++] = uv_buf_init(line, static_cast<unsigned>(len));
    bufs[nb++] = uv_buf_init(const_cast<char*>(p), static_cast<unsigned>(n));
    bufs[nb++] = uv_buf_init(const_cast<char*>("\r\n"), 2);
  } else if (out_framing_ != http::Framing::kNone) {
    bufs[nb++] = uv_buf_init(const_cast<char*>(p), static_cast<unsigned>(n));
  }
  if (nb > 0) conn_->writev(bufs, nb);
}

void Http1Session::end_body() {
  if (out_framing_ == http::Framing::kChunked) {
    if (output_ == Output::kHeadHeld) {
      wc_.scratch.append(http::kLastChunk);
    } else {
      conn_->write(http::kLastChunk.data(), http::kLastChunk.size());
    }
  }
  flush();
}

bool Http1Session::unsend_head() {
  if (output_ != Output::kHeadHeld) return false;
  output_ = Output::kNone;
  return true;
}

void Http1Session::flush() {
  if (output_ != Output::kHeadHeld) return;
  output_ = Output::kBody;
  conn_->write(wc_.scratch.data(), wc_.scratch.size());
}

}  // namespace gantry::downstream
