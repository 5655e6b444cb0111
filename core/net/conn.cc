#include "net/conn.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "loop/worker.h"

namespace gantry::net {
namespace {

std::atomic<uint64_t> g_next_id{1};

// A write that could not finish synchronously keeps its own copy of the rest.
struct WriteReq {
  uv_write_t req;
  Conn* conn;
  size_t len;
  char data[1];
};

}  // namespace

Conn::Conn(loop::Worker* worker, ConnHandler* handler)
    : worker_(worker), handler_(handler), id_(g_next_id.fetch_add(1, std::memory_order_relaxed)) {
  uv_tcp_init(worker->loop(), &tcp_);
  tcp_.data = this;
  open_handles_ = 1;
}

Conn::~Conn() {
  if (sess_ != nullptr) transport_->sess_free(sess_);
}

int Conn::accept_from(uv_stream_t* server) {
  int r = uv_accept(server, reinterpret_cast<uv_stream_t*>(&tcp_));
  // No TCP_NODELAY here: the listening socket has it, and accept inherits it
  // (net/listen_socket.cc).
  if (r == 0) tcp_open_ = true;
  return r;
}

int Conn::open_socket(int family) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int r = uv_tcp_open(&tcp_, fd);
  if (r != 0) {
    ::close(fd);
    return r;
  }
  tcp_open_ = true;
  uv_tcp_nodelay(&tcp_, 1);
  return 0;
}

int Conn::connect(const sockaddr* sa) {
  auto* req = static_cast<uv_connect_t*>(std::malloc(sizeof(uv_connect_t)));
  if (req == nullptr) return UV_ENOMEM;
  req->data = this;
  int r = uv_tcp_connect(req, &tcp_, sa, on_connect);
  if (r != 0) {
    std::free(req);
    return r;
  }
  connect_pending_ = true;
  return 0;
}

int Conn::set_transport(const gantry_transport_t* t, void* tctx,
                        const gantry_sess_params_t& params) {
  void* sess = nullptr;
  if (t->sess_new(tctx, &params, &sess) != GANTRY_OK || sess == nullptr) return UV_EPROTO;
  transport_ = t;
  sess_ = sess;
  is_client_tls_ = params.is_server == 0;
  return 0;
}

gantry_status_t Conn::transport_info(gantry_tls_info_t* out) const {
  if (transport_ == nullptr || transport_->info == nullptr) return GANTRY_ERR_NOENT;
  return transport_->info(sess_, out);
}

int Conn::fd() const {
  uv_os_fd_t fd = -1;
  uv_fileno(reinterpret_cast<const uv_handle_t*>(&tcp_), &fd);
  return fd;
}

int Conn::addr(int which, sockaddr_storage* out, socklen_t* len) const {
  int n = sizeof(sockaddr_storage);
  int r = which == GANTRY_ADDR_PEER
              ? uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(out), &n)
              : uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(out), &n);
  *len = static_cast<socklen_t>(n);
  return r;
}

void Conn::start_read() {
  if (reading_ || closing_) return;
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read) == 0) reading_ = true;
}

void Conn::stop_read() {
  if (!reading_) return;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  reading_ = false;
}

void Conn::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* self = static_cast<Conn*>(h->data);
  buf->base = self->worker_->read_buffer();
  buf->len = loop::Worker::kReadBufferSize;
}

void Conn::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* self = static_cast<Conn*>(s->data);
  if (n == 0) return;
  if (n < 0) {
    self->stop_read();
    if (n == UV_EOF) {
      self->handler_->on_conn_eof(self);
    } else {
      self->handler_->on_conn_error(self, static_cast<int>(n));
    }
    return;
  }
  self->bytes_read_ += static_cast<uint64_t>(n);
  self->receive(buf->base, static_cast<size_t>(n));
}

void Conn::receive(const char* data, size_t n) {
  if (closing_) return;
  if (transport_ == nullptr) {
    handler_->on_conn_data(this, data, n);
    return;
  }
  const uint8_t* p = reinterpret_cast<const uint8_t*>(data);
  size_t left = n;
  while (left > 0 && !closing_) {
    size_t used = 0;
    gantry_io_t r = transport_->feed_cipher(sess_, p, left, &used);
    if (r == GANTRY_IO_ERROR) {
      fail(UV_EPROTO);
      return;
    }
    p += used;
    left -= used;
    pump_plain();
    if (used == 0 && left > 0) {
      // The session cannot take more until the handler drains it; treat a
      // stuck transport as a protocol error rather than spin.
      fail(UV_EPROTO);
      return;
    }
  }
}

void Conn::pump_plain() {
  char* buf = worker_->plain_buffer();
  for (;;) {
    if (closing_) return;
    size_t got = 0;
    gantry_io_t r = transport_->read_plain(sess_, reinterpret_cast<uint8_t*>(buf),
                                           loop::Worker::kReadBufferSize, &got);
    if (!flush_cipher()) return;
    if (!handshake_seen_ && transport_->handshake_done(sess_)) after_handshake();
    if (closing_) return;
    if (got > 0) {
      handler_->on_conn_data(this, buf, got);
      continue;
    }
    if (r == GANTRY_IO_CLOSED) {
      stop_read();
      handler_->on_conn_eof(this);
      return;
    }
    if (r == GANTRY_IO_ERROR) {
      fail(UV_EPROTO);
      return;
    }
    return;  // WANT_READ, or OK with nothing more
  }
}

void Conn::after_handshake() {
  handshake_seen_ = true;
  if (is_client_tls_) {
    handler_->on_conn_connected(this, 0);
  } else {
    handler_->on_conn_handshake(this);
  }
}

bool Conn::flush_cipher() {
  for (;;) {
    const uint8_t* p = nullptr;
    size_t n = transport_->peek_cipher(sess_, &p);
    if (n == 0) return true;
    uv_buf_t b = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(p)),
                             static_cast<unsigned>(n));
    bool ok = raw_writev(&b, 1);
    transport_->consume_cipher(sess_, n);
    if (!ok) return false;
  }
}

bool Conn::write(const char* p, size_t n) {
  uv_buf_t b = uv_buf_init(const_cast<char*>(p), static_cast<unsigned>(n));
  return writev(&b, 1);
}

bool Conn::writev(const uv_buf_t* bufs, int nbufs) {
  if (closing_) return false;
  if (transport_ == nullptr) return raw_writev(bufs, nbufs);
  // Pieces that fit one TLS record (a response head and its first body
  // bytes) are sealed as one record and leave in one write.
  size_t total = 0;
  for (int i = 0; i < nbufs; ++i) total += bufs[i].len;
  if (nbufs > 1 && total <= kMaxSealedTogether) {
    char joined[kMaxSealedTogether];
    size_t off = 0;
    for (int i = 0; i < nbufs; ++i) {
      std::memcpy(joined + off, bufs[i].base, bufs[i].len);
      off += bufs[i].len;
    }
    return seal(joined, total) && flush_cipher();
  }
  for (int i = 0; i < nbufs; ++i) {
    if (!seal(bufs[i].base, bufs[i].len)) return false;
  }
  return flush_cipher();
}

// Encrypts into the session's output, sending it whenever the session stops
// taking more (its output buffer is full); the caller flushes the rest.
bool Conn::seal(const char* data, size_t n) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(data);
  size_t left = n;
  while (left > 0) {
    size_t used = 0;
    gantry_io_t r = transport_->write_plain(sess_, p, left, &used);
    if (r == GANTRY_IO_ERROR || r == GANTRY_IO_CLOSED) {
      fail(UV_EPROTO);
      return false;
    }
    p += used;
    left -= used;
    if (left == 0) break;
    if (!flush_cipher()) return false;
    if (used == 0) {
      fail(UV_EPROTO);
      return false;
    }
  }
  return true;
}

bool Conn::raw_writev(const uv_buf_t* bufs, int nbufs) {
  if (closing_ || !tcp_open_) return false;
  size_t total = 0;
  for (int i = 0; i < nbufs; ++i) total += bufs[i].len;
  if (total == 0) return true;
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  size_t done = 0;
  if (!connect_pending_) {
    int r = uv_try_write(stream, bufs, static_cast<unsigned>(nbufs));
    if (r >= 0) {
      done = static_cast<size_t>(r);
    } else if (r != UV_EAGAIN) {
      fail(r);
      return false;
    }
  }
  bytes_written_ += done;
  if (done == total) return true;
  // Copy what is left: the caller's buffers are scratch.
  size_t rest = total - done;
  auto* w = static_cast<WriteReq*>(std::malloc(sizeof(WriteReq) + rest));
  if (w == nullptr) std::abort();
  w->conn = this;
  w->len = rest;
  size_t off = 0, skip = done;
  for (int i = 0; i < nbufs; ++i) {
    size_t len = bufs[i].len;
    if (skip >= len) {
      skip -= len;
      continue;
    }
    std::memcpy(w->data + off, bufs[i].base + skip, len - skip);
    off += len - skip;
    skip = 0;
  }
  uv_buf_t b = uv_buf_init(w->data, static_cast<unsigned>(rest));
  int r = uv_write(&w->req, stream, &b, 1, on_write);
  if (r != 0) {
    std::free(w);
    fail(r);
    return false;
  }
  if (queued() > kHighWater) was_high_ = true;
  return true;
}

void Conn::on_write(uv_write_t* req, int status) {
  auto* w = reinterpret_cast<WriteReq*>(req);
  Conn* self = w->conn;
  if (status == 0) self->bytes_written_ += w->len;
  std::free(w);
  if (status == UV_ECANCELED) return;  // closing
  if (status < 0) {
    self->fail(status);
    return;
  }
  if (self->was_high_ && self->queued() < kLowWater) {
    self->was_high_ = false;
    self->handler_->on_conn_drained(self);
  }
}

size_t Conn::queued() const {
  return uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&tcp_));
}

// libuv calls back even when the handle closes first (UV_ECANCELED), before
// the close callbacks: the Conn is still there.
void Conn::on_connect(uv_connect_t* req, int status) {
  auto* self = static_cast<Conn*>(req->data);
  std::free(req);
  self->connect_pending_ = false;
  if (status == UV_ECANCELED || self->closing_) return;
  if (status != 0 || self->transport_ == nullptr) {
    self->handler_->on_conn_connected(self, status);
    return;
  }
  // TLS to the backend: the connection is "connected" once the handshake is.
  self->start_read();
  gantry_io_t r = self->transport_->handshake(self->sess_);
  if (r == GANTRY_IO_ERROR) {
    self->handler_->on_conn_connected(self, UV_EPROTO);
    return;
  }
  self->flush_cipher();
}

void Conn::shutdown_write() {
  if (closing_ || shutdown_started_ || !tcp_open_) return;
  shutdown_started_ = true;
  if (transport_ != nullptr && transport_->shutdown != nullptr) {
    transport_->shutdown(sess_);
    flush_cipher();
  }
  auto* req = static_cast<uv_shutdown_t*>(std::malloc(sizeof(uv_shutdown_t)));
  if (req == nullptr) return;
  req->data = this;
  if (uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&tcp_), on_shutdown) == 0) {
    shutdown_pending_ = true;
  } else {
    std::free(req);
  }
}

// Like on_connect, called before the close callbacks.
void Conn::on_shutdown(uv_shutdown_t* req, int) {
  auto* self = static_cast<Conn*>(req->data);
  std::free(req);
  self->shutdown_pending_ = false;
}

bool Conn::ensure_timer() {
  if (timer_ != nullptr) return true;
  timer_ = static_cast<uv_timer_t*>(std::malloc(sizeof(uv_timer_t)));
  if (timer_ == nullptr) return false;
  uv_timer_init(worker_->loop(), timer_);
  timer_->data = this;
  ++open_handles_;
  return true;
}

void Conn::fail(int err) {
  if (closing_) return;
  stop_read();
  // Report from the loop, not from inside the caller's write().
  pending_error_ = err;
  if (!ensure_timer()) std::abort();
  uv_timer_start(timer_, on_timer, 0, 0);
}

void Conn::set_timer(uint64_t ms) {
  if (closing_ || pending_error_ != 0) return;
  if (ms == 0) {
    if (timer_ != nullptr) uv_timer_stop(timer_);
    return;
  }
  if (!ensure_timer()) std::abort();
  uv_timer_start(timer_, on_timer, ms, 0);
}

void Conn::stop_timer() {
  if (pending_error_ == 0 && timer_ != nullptr) uv_timer_stop(timer_);
}

void Conn::release_timer() {
  if (closing_ || pending_error_ != 0 || timer_ == nullptr) return;
  timer_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), on_timer_released);
  timer_ = nullptr;
  --open_handles_;
}

void Conn::on_timer_released(uv_handle_t* h) { std::free(h); }

void Conn::on_timer(uv_timer_t* t) {
  auto* self = static_cast<Conn*>(t->data);
  if (self->closing_) return;
  if (self->pending_error_ != 0) {
    int err = self->pending_error_;
    self->pending_error_ = 0;
    self->handler_->on_conn_error(self, err);
    return;
  }
  self->handler_->on_conn_timeout(self);
}

void Conn::close() {
  if (closing_) return;
  closing_ = true;
  reading_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_handle_closed);
  if (timer_ != nullptr) uv_close(reinterpret_cast<uv_handle_t*>(timer_), on_handle_closed);
}

void Conn::on_handle_closed(uv_handle_t* h) {
  auto* self = static_cast<Conn*>(h->data);
  if (h != reinterpret_cast<uv_handle_t*>(&self->tcp_)) {
    self->timer_ = nullptr;
    std::free(h);
  }
  if (--self->open_handles_ == 0) self->handler_->on_conn_closed(self);
}

}  // namespace gantry::net
