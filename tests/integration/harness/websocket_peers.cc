#include "harness/websocket_peers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>

#include "harness/fixture.h"
#include "harness/message_reader.h"
#include "ws_frame.h"

namespace gantry::itest {

using namespace std::chrono_literals;

namespace {

std::string base64(const unsigned char* p, size_t n) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    out += a[v >> 18 & 63];
    out += a[v >> 12 & 63];
    out += i + 1 < n ? a[v >> 6 & 63] : '=';
    out += i + 2 < n ? a[v & 63] : '=';
  }
  return out;
}

// A listening socket on 127.0.0.1 with a kernel-chosen port.
int listen_loopback(uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(fd, 512) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  *port = ntohs(a.sin_port);
  return fd;
}

// Reads a request head; false when the peer goes away first. Bytes after the
// head stay in *buf.
bool read_head(int fd, std::string* buf, std::string* head) {
  size_t end;
  while ((end = buf->find("\r\n\r\n")) == std::string::npos)
    if (ws_read_some(fd, buf, 10s) <= 0) return false;
  *head = buf->substr(0, end + 4);
  buf->erase(0, end + 4);
  return true;
}

std::string key_of(const std::string& head) {
  std::string lower = to_lower(head);
  size_t k = lower.find("sec-websocket-key:");
  if (k == std::string::npos) return "";
  std::string key = head.substr(k + 18, head.find("\r\n", k) - k - 18);
  while (!key.empty() && key.front() == ' ') key.erase(0, 1);
  return key;
}

std::string switching_protocols(const std::string& key) {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
         "Connection: Upgrade\r\nSec-WebSocket-Accept: " + ws_accept_for(key) + "\r\n\r\n";
}

}  // namespace

std::string websocket_proxy_config(const std::string& backend, const std::string& module_config,
                                   const std::string& extra) {
  return proxy_config_template({backend}, "") +
         "\n[[module]]\nname = \"websocket\"\npath = \"websocket\"\n"
         "[module.config]\n" + module_config + "\n" + extra;
}

std::string ws_accept_for(const std::string& key) {
  std::string s = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return base64(d, sizeof d);
}

bool ws_decode(std::string* buf, WsFrame* out) {
  const auto* b = reinterpret_cast<const uint8_t*>(buf->data());
  if (buf->size() < 2) return false;
  size_t h = 2;
  uint64_t len = b[1] & 0x7f;
  if (len == 126) h += 2;
  if (len == 127) h += 8;
  bool masked = b[1] & 0x80;
  if (masked) h += 4;
  if (buf->size() < h) return false;
  if (len == 126) len = uint64_t{b[2]} << 8 | b[3];
  if (len == 127) {
    len = 0;
    for (int i = 2; i < 10; ++i) len = len << 8 | b[i];
  }
  if (buf->size() < h + len) return false;
  out->fin = b[0] & 0x80;
  out->opcode = b[0] & 0x0f;
  out->payload = buf->substr(h, len);
  if (masked)
    for (size_t i = 0; i < len; ++i) out->payload[i] ^= (*buf)[h - 4 + i % 4];
  buf->erase(0, h + len);
  return true;
}

std::string ws_close_payload(uint16_t code) {
  return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
}

bool ws_send_all(int fd, const std::string& b) {
  size_t off = 0;
  while (off < b.size()) {
    ssize_t n = ::send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

ssize_t ws_read_some(int fd, std::string* buf, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return -1;
  char tmp[65536];
  ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
  if (n > 0) buf->append(tmp, static_cast<size_t>(n));
  return n < 0 ? 0 : n;
}

/* ---- ConnectionThreads --------------------------------------------------- */

bool ConnectionThreads::start(Serve serve) {
  serve_ = std::move(serve);
  lfd_ = listen_loopback(&port_);
  if (lfd_ < 0) return false;
  acceptor_ = std::thread([this] { accept_loop(); });
  return true;
}

void ConnectionThreads::stop() {
  if (stopping_.exchange(true)) return;
  if (lfd_ >= 0) {
    ::shutdown(lfd_, SHUT_RDWR);
    ::close(lfd_);
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  for (int fd : fds_) ::close(fd);
}

void ConnectionThreads::accept_loop() {
  while (!stopping_) {
    int fd = ::accept4(lfd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    ++accepted_;
    std::lock_guard<std::mutex> g(mu_);
    fds_.push_back(fd);
    threads_.emplace_back([this, fd] { serve_(fd); });
  }
}

/* ---- WsEchoServer ------------------------------------------------------ */

bool WsEchoServer::start() {
  return conns_.start([this](int fd) { serve(fd); });
}

std::vector<std::string> WsEchoServer::heads() const {
  std::lock_guard<std::mutex> g(mu_);
  return heads_;
}

std::vector<WsFrame> WsEchoServer::frames() const {
  std::lock_guard<std::mutex> g(mu_);
  return frames_;
}

void WsEchoServer::serve(int fd) {
  std::string buf, head;
  if (!read_head(fd, &buf, &head)) return;
  {
    std::lock_guard<std::mutex> g(mu_);
    heads_.push_back(head);
  }
  if (to_lower(head).find("upgrade: websocket") == std::string::npos) {
    ws_send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nplain\n");
    return;
  }
  if (!refusal_.empty()) {
    ws_send_all(fd, refusal_);
    return;
  }
  ws_send_all(fd, switching_protocols(key_of(head)));
  echo(fd, &buf);
}

void WsEchoServer::echo(int fd, std::string* buf) {
  bool sending = true;
  for (;;) {
    WsFrame f;
    while (ws_decode(buf, &f)) {
      payload_bytes_ += f.payload.size();
      {
        std::lock_guard<std::mutex> g(mu_);
        frames_.push_back(f);
      }
      if (!sending) continue;
      if (f.opcode == 1 && f.payload == "server-fin") {
        ws_send_all(fd, test::ws_frame(1, "fin-coming"));
        ::shutdown(fd, SHUT_WR);
        sending = false;
        continue;
      }
      ws_send_all(fd, test::ws_frame(f.opcode, f.payload, f.fin));
      if (f.opcode == 8) {
        ::shutdown(fd, SHUT_WR);
        sending = false;
      }
    }
    ssize_t n = ws_read_some(fd, buf, 30s);
    if (n == 0) {
      saw_eof_ = true;
      if (sending) ws_send_all(fd, test::ws_frame(1, "eof-seen"));
      ::shutdown(fd, SHUT_WR);
      return;
    }
    if (n < 0 || conns_.stopping()) return;
  }
}

/* ---- WsRawBackend -------------------------------------------------------- */

bool WsRawBackend::start() {
  return conns_.start([this](int fd) { serve(fd); });
}

std::string WsRawBackend::received() const {
  std::lock_guard<std::mutex> g(mu_);
  return received_;
}

bool WsRawBackend::wait_received(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> g(mu_);
  return cv_.wait_for(g, timeout, [&] { return received_.size() >= n; });
}

bool WsRawBackend::wait_eof(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> g(mu_);
  return cv_.wait_for(g, timeout, [&] { return eof_; });
}

bool WsRawBackend::saw_eof() const {
  std::lock_guard<std::mutex> g(mu_);
  return eof_;
}

bool WsRawBackend::send(const std::string& bytes) {
  int fd;
  {
    std::lock_guard<std::mutex> g(mu_);
    fd = current_;
  }
  return fd >= 0 && ws_send_all(fd, bytes);
}

void WsRawBackend::serve(int fd) {
  std::string buf, head;
  if (!read_head(fd, &buf, &head)) return;
  {
    // Before the 101 goes out: a test sends once its client has the 101.
    std::lock_guard<std::mutex> g(mu_);
    current_ = fd;
    received_ = buf;
    eof_ = false;
  }
  if (!ws_send_all(fd, switching_protocols(key_of(head)))) return;
  for (;;) {
    std::string got;
    ssize_t n = ws_read_some(fd, &got, 100ms);
    if (conns_.stopping()) return;
    if (n < 0) continue;
    std::lock_guard<std::mutex> g(mu_);
    if (n == 0) {
      eof_ = true;
      cv_.notify_all();
      return;
    }
    received_ += got;
    cv_.notify_all();
  }
}

/* ---- WsClient ---------------------------------------------------------- */

WsClient::~WsClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool WsClient::connect(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

HttpMessage WsClient::request(const std::string& raw) {
  HttpMessage m;
  if (!ws_send_all(fd_, raw)) return m;
  size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
    if (ws_read_some(fd_, &buf_, 10s) <= 0) return m;
  MessageReader r(MessageReader::Kind::kResponse);
  r.append(buf_.substr(0, end + 4));
  r.step();
  m = r.message();
  buf_.erase(0, end + 4);
  return m;
}

HttpMessage WsClient::handshake(const std::string& extra) {
  return request("GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Key: " + std::string(kWsKey) +
                 "\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n");
}

bool WsClient::send_frame(uint8_t opcode, const std::string& payload) {
  return ws_send_all(fd_, test::ws_frame(opcode, payload, true, true));
}

bool WsClient::send_raw(const std::string& bytes) { return ws_send_all(fd_, bytes); }

WsFrame WsClient::next(std::chrono::milliseconds timeout) {
  WsFrame f;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!ws_decode(&buf_, &f)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return WsFrame{0xff, true, {}};
    ssize_t n = ws_read_some(fd_, &buf_, left);
    if (n == 0) eof_ = true;
    if (n <= 0) return WsFrame{0xff, true, {}};
  }
  return f;
}

bool WsClient::wait_eof(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    ssize_t n = ws_read_some(fd_, &buf_, left);
    if (n == 0) {
      eof_ = true;
      return true;
    }
    if (n < 0) return false;
  }
}

void WsClient::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

void WsClient::close() {
  ::close(fd_);
  fd_ = -1;
}

}  // namespace gantry::itest
