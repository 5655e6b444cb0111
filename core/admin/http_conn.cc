#include "admin/http_conn.h"

#include <cstring>

#include "util/log.h"

namespace gantry::admin {
namespace {

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

uv_handle_t* as_handle(void* p) { return static_cast<uv_handle_t*>(p); }

}  // namespace

HttpConn::HttpConn(uv_loop_t* loop, bool unix_socket, const Handler* handler,
                   std::unordered_set<HttpConn*>* open)
    : unix_(unix_socket), handler_(handler), open_(open) {
  if (unix_) uv_pipe_init(loop, &h_.pipe, 0);
  else uv_tcp_init(loop, &h_.tcp);
  h_.tcp.data = this;  // both handles start with uv_handle_t's fields
  uv_timer_init(loop, &timer_);
  timer_.data = this;
  parser_.attach(&head_, &arena_);
  parser_.set_limits(kMaxRequestHead, 100, kMaxRequestHead);
  open_->insert(this);
}

HttpConn::~HttpConn() { open_->erase(this); }

bool HttpConn::start(uv_stream_t* server) {
  auto* stream = reinterpret_cast<uv_stream_t*>(&h_);
  if (uv_accept(server, stream) != 0) {
    close();
    return false;
  }
  if (!unix_) {
    sockaddr_storage ss{};
    int len = sizeof ss;
    char ip[64] = "?";
    if (uv_tcp_getpeername(&h_.tcp, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
      uv_ip_name(reinterpret_cast<sockaddr*>(&ss), ip, sizeof ip);
    req_.peer = ip;
  } else {
    req_.peer = "unix";
  }
  uv_timer_start(&timer_, [](uv_timer_t* t) {
    auto* self = static_cast<HttpConn*>(t->data);
    if (self->phase_ == Phase::kReading) self->send({408, "text/plain", "request timeout\n"});
    else self->close();
  }, kRequestTimeoutMs, 0);
  uv_read_start(stream,
                [](uv_handle_t* h, size_t, uv_buf_t* b) {
                  auto* self = static_cast<HttpConn*>(h->data);
                  *b = uv_buf_init(self->buf_, sizeof self->buf_);
                },
                on_read);
  return true;
}

void HttpConn::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* self = static_cast<HttpConn*>(s->data);
  if (n < 0) {
    self->close();
    return;
  }
  if (n == 0 || self->phase_ != Phase::kReading) return;
  size_t consumed = 0;
  http::ParseResult r = self->parser_.feed(buf->base, static_cast<size_t>(n), &consumed);
  if (self->phase_ != Phase::kReading) return;  // answered from a callback
  if (r == http::ParseResult::kError) {
    int st = self->parser_.reject_status();
    if (self->req_.body.size() > kMaxRequestBody) st = 413;
    self->send({st, "text/plain", std::string(reason(st)) + "\n"});
  } else if (self->message_done_) {
    self->dispatch();
  }
}

int HttpConn::on_head(http::Head& head) {
  req_.method = std::string(head.method);
  std::string_view t = head.target;
  size_t q = t.find('?');
  req_.path = std::string(t.substr(0, q));
  req_.query = q == std::string_view::npos ? "" : std::string(t.substr(q + 1));
  if (const http::HeaderField* a = head.find("authorization")) req_.authorization = std::string(a->value);
  if (parser_.has_content_length() && parser_.content_length() > kMaxRequestBody) {
    req_.body.assign(kMaxRequestBody + 1, '\0');  // marks the refusal as 413
    return -1;
  }
  return 0;
}

void HttpConn::on_body(const char* p, size_t n) {
  if (phase_ != Phase::kReading) return;  // already refused
  // Chunked bodies have no length up front: stop at the limit.
  if (req_.body.size() + n > kMaxRequestBody) {
    send({413, "text/plain", "request body too large\n"});
    return;
  }
  req_.body.append(p, n);
}

void HttpConn::on_message_end() { message_done_ = true; }

void HttpConn::dispatch() {
  phase_ = Phase::kHandling;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&h_));
  std::weak_ptr<bool> alive = alive_;
  (*handler_)(req_, [this, alive](Response r) {
    auto a = alive.lock();
    if (a && *a) send(std::move(r));
  });
}

void HttpConn::send(Response r) {
  if (phase_ == Phase::kWriting || phase_ == Phase::kClosing) return;
  phase_ = Phase::kWriting;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&h_));
  out_ = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) +
         "\r\nContent-Type: " + r.content_type +
         "\r\nContent-Length: " + std::to_string(r.body.size()) +
         "\r\nCache-Control: no-store\r\nConnection: close\r\n";
  if (r.status == 401) out_ += "WWW-Authenticate: Bearer\r\n";
  out_ += "\r\n";
  out_ += r.body;
  uv_buf_t b = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
  write_.data = this;
  int err = uv_write(&write_, reinterpret_cast<uv_stream_t*>(&h_), &b, 1, [](uv_write_t* w, int) {
    static_cast<HttpConn*>(w->data)->close();
  });
  if (err != 0) close();
}

void HttpConn::close() {
  if (phase_ == Phase::kClosing) return;
  phase_ = Phase::kClosing;
  *alive_ = false;
  closes_pending_ = 2;
  auto done = [](uv_handle_t* h) {
    auto* self = static_cast<HttpConn*>(h->data);
    if (--self->closes_pending_ == 0) delete self;
  };
  uv_close(as_handle(&h_), done);
  uv_close(as_handle(&timer_), done);
}

}  // namespace gantry::admin
