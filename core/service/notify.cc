#include "service/notify.h"

#include <stddef.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/log.h"

namespace gantry::service {

Notifier Notifier::from_environment() {
  const char* name = std::getenv("NOTIFY_SOCKET");
  return Notifier(name == nullptr ? "" : name);
}

Notifier::Notifier(const std::string& socket_name) {
  if (socket_name.empty()) return;
  // sd_notify(3) accepts absolute paths and '@' names only; anything else
  // (a relative path, a newer transport) is left alone rather than guessed at.
  if (socket_name[0] != '/' && socket_name[0] != '@') {
    GLOG_WARN("NOTIFY_SOCKET=%s: not an absolute path or @name; not notifying",
              socket_name.c_str());
    return;
  }
  if (socket_name.size() >= sizeof addr_.sun_path) {
    GLOG_WARN("NOTIFY_SOCKET: name longer than %zu bytes; not notifying",
              sizeof addr_.sun_path - 1);
    return;
  }
  addr_.sun_family = AF_UNIX;
  std::memcpy(addr_.sun_path, socket_name.data(), socket_name.size());
  addr_len_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_name.size());
  if (socket_name[0] == '@') {
    addr_.sun_path[0] = '\0';  // abstract namespace: no terminator counted
  } else {
    addr_len_ += 1;  // the path's NUL
  }
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    GLOG_WARN("NOTIFY_SOCKET: socket: %s; not notifying", std::strerror(errno));
    return;
  }
  // Connecting now checks write permission on a path socket while the
  // process still has the identity it started with; sends on a connected
  // socket keep working after privileges are dropped.
  connect_socket();
}

Notifier::~Notifier() {
  if (fd_ >= 0) ::close(fd_);
}

Notifier::Notifier(Notifier&& other) noexcept
    : fd_(other.fd_), addr_(other.addr_), addr_len_(other.addr_len_) {
  other.fd_ = -1;
}

Notifier& Notifier::operator=(Notifier&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    addr_ = other.addr_;
    addr_len_ = other.addr_len_;
    other.fd_ = -1;
  }
  return *this;
}

bool Notifier::connect_socket() {
  return ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr_), addr_len_) == 0;
}

bool Notifier::send(std::string_view state) {
  if (fd_ < 0) return false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    ssize_t n = ::send(fd_, state.data(), state.size(), MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(state.size())) return true;
    if (n >= 0) break;
    // Not connected yet (the socket did not exist at start), or the peer's
    // socket was replaced: connect again and retry once.
    if (errno != ENOTCONN && errno != ECONNREFUSED && errno != EDESTADDRREQ) break;
    if (!connect_socket()) break;
  }
  GLOG_WARN("NOTIFY_SOCKET: cannot send \"%.*s\": %s", static_cast<int>(state.size()),
            state.data(), std::strerror(errno));
  return false;
}

std::string status_line(std::string_view status) {
  std::string line = "STATUS=";
  for (char c : status) line += (c == '\n' || c == '\r') ? ' ' : c;
  return line;
}

bool Notifier::ready(std::string_view status) {
  return send("READY=1\n" + status_line(status));
}

bool Notifier::reloading(std::string_view status) {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  unsigned long long usec = static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL +
                            static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL;
  return send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) + "\n" +
              status_line(status));
}

bool Notifier::stopping(std::string_view status) {
  return send("STOPPING=1\n" + status_line(status));
}

}  // namespace gantry::service
