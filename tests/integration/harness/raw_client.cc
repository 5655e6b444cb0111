#include "harness/raw_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace gantry::itest {

using Clock = std::chrono::steady_clock;

const char* to_string(ReadStatus s) {
  switch (s) {
    case ReadStatus::kResponse: return "response";
    case ReadStatus::kClosed: return "closed";
    case ReadStatus::kTimeout: return "timeout";
    case ReadStatus::kError: return "error";
  }
  return "?";
}

RawClient::~RawClient() { close(); }

bool RawClient::connect(uint16_t port, milliseconds timeout) {
  return connect_from("", port, timeout);
}

bool RawClient::connect_from(const std::string& source_ip, uint16_t port, milliseconds timeout) {
  close();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) return false;
  if (!source_ip.empty()) {
    sockaddr_in src{};
    src.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source_ip.c_str(), &src.sin_addr) != 1 ||
        ::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
      close();
      return false;
    }
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  int rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) == 1) {
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
    }
  }
  if (rc != 0) {
    close();
    return false;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return true;
}

bool RawClient::send(const std::string& bytes) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    pollfd pf{fd_, POLLOUT, 0};
    int pr = ::poll(&pf, 1, 30000);
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) return false;
    ssize_t n = ::send(fd_, p, left, MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return false;
    p += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}

bool RawClient::send_pieces(const std::vector<std::string>& pieces, milliseconds pause) {
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) std::this_thread::sleep_for(pause);
    if (!send(pieces[i])) return false;
  }
  return true;
}

void RawClient::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void RawClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  eof_ = false;
  received_.clear();
  reader_ = MessageReader(MessageReader::Kind::kResponse);
}

bool RawClient::fill(milliseconds timeout) {
  if (eof_) return true;
  pollfd p{fd_, POLLIN, 0};
  int pr;
  do {
    pr = ::poll(&p, 1, static_cast<int>(timeout.count() < 0 ? 0 : timeout.count()));
  } while (pr < 0 && errno == EINTR);
  if (pr <= 0) return false;
  char buf[65536];
  ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  if (n <= 0) {
    // EOF or reset (ECONNRESET): either way the peer is gone.
    if (n < 0) error_ = std::strerror(errno);
    eof_ = true;
    return true;
  }
  received_.append(buf, static_cast<size_t>(n));
  reader_.append(std::string_view(buf, static_cast<size_t>(n)));
  return true;
}

ReadResult RawClient::read_response(milliseconds timeout, bool head_request) {
  ReadResult r;
  if (fd_ < 0) {
    r.status = ReadStatus::kClosed;
    return r;
  }
  if (head_request) reader_.expect_head_response();
  auto deadline = Clock::now() + timeout;
  while (true) {
    bool was_idle = reader_.idle();
    auto s = reader_.step(eof_);
    if (s == MessageReader::Step::kComplete) {
      r.status = ReadStatus::kResponse;
      r.response = reader_.take();
      return r;
    }
    if (s == MessageReader::Step::kHead) continue;
    if (s == MessageReader::Step::kError) {
      // EOF mid-response is a close; anything else is garbage on the wire.
      r.status = eof_ ? ReadStatus::kClosed : ReadStatus::kError;
      r.partial = true;
      r.error = reader_.error();
      return r;
    }
    if (eof_) {
      r.status = ReadStatus::kClosed;
      r.partial = !was_idle;
      r.error = error_;
      return r;
    }
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || !fill(left)) {
      r.status = ReadStatus::kTimeout;
      r.partial = !reader_.idle();
      return r;
    }
  }
}

ReadResult RawClient::read_final_response(milliseconds timeout, bool head_request) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    ReadResult r = read_response(left, head_request);
    if (!r.ok() || r.response.status >= 200 || r.response.status == 101) return r;
  }
}

bool RawClient::wait_closed(milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!eof_) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || !fill(left)) return false;
  }
  return true;
}

ReadResult exchange(uint16_t port, const std::string& request, milliseconds timeout) {
  RawClient c;
  ReadResult r;
  if (!c.connect(port, timeout)) {
    r.status = ReadStatus::kClosed;
    r.error = "connect failed";
    return r;
  }
  if (!c.send(request)) {
    r.status = ReadStatus::kClosed;
    r.error = "send failed";
    return r;
  }
  return c.read_final_response(timeout, request.compare(0, 5, "HEAD ") == 0);
}

std::string get_request(const std::string& path, const std::string& host,
                        const std::string& extra_headers) {
  return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + extra_headers + "\r\n";
}

}  // namespace gantry::itest
