#pragma once
// A stand-in for systemd's notify socket: a bound AF_UNIX datagram socket
// that collects what a service sends with the sd_notify protocol. Shared by
// the notifier's unit tests and the integration tests of the real binary.
#include <stddef.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

namespace gantry::test {

class NotifySocket {
 public:
  // `name`: a filesystem path, or "@name" for the abstract namespace (what
  // NOTIFY_SOCKET holds either way).
  explicit NotifySocket(std::string name) : name_(std::move(name)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (name_.empty() || name_.size() >= sizeof addr.sun_path) return;
    std::memcpy(addr.sun_path, name_.data(), name_.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
    if (name_[0] == '@') {
      addr.sun_path[0] = '\0';
    } else {
      ::unlink(name_.c_str());
    }
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
    if (bound_ && name_[0] != '@') ::unlink(name_.c_str());
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  bool bound() const { return bound_; }
  const std::string& name() const { return name_; }

  // The next datagram, or "<nothing>" when none comes within `timeout`; a
  // lost message then fails a test instead of hanging it.
  std::string receive(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000)) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n < 0 ? "<nothing>" : std::string(buf, static_cast<size_t>(n));
  }

 private:
  std::string name_;
  int fd_ = -1;
  bool bound_ = false;
};

}  // namespace gantry::test
