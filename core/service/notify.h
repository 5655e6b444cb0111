#pragma once
// Readiness notifications to a service manager, by the protocol sd_notify(3)
// documents: one datagram of newline-separated KEY=VALUE lines sent to the
// AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" for the abstract
// namespace). systemd documents this protocol as a stable interface that
// programs may speak without libsystemd, so gantry does not link it: the
// protocol is a few lines, and the library would bring its compression and
// crypto dependencies into a network-facing process for no gain.
#include <sys/socket.h>
#include <sys/un.h>

#include <string>
#include <string_view>

namespace gantry::service {

class Notifier {
 public:
  // Disabled when $NOTIFY_SOCKET is unset or empty, as when gantry runs
  // outside systemd or under a unit that is not Type=notify.
  static Notifier from_environment();
  // `socket_name`: a filesystem path or "@abstract-name"; "" disables.
  explicit Notifier(const std::string& socket_name);
  ~Notifier();
  Notifier(Notifier&& other) noexcept;
  Notifier& operator=(Notifier&& other) noexcept;
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  bool enabled() const { return fd_ >= 0; }

  // Sends `state` as one datagram; false when disabled or the send failed
  // (a service manager that went away is not gantry's failure, so callers
  // only log it).
  bool send(std::string_view state);

  // READY=1 with a STATUS line: the service accepts connections (again).
  bool ready(std::string_view status);
  // RELOADING=1 with the CLOCK_MONOTONIC time in microseconds, which systemd
  // uses to tell this reload apart from an older one it already saw.
  bool reloading(std::string_view status);
  // STOPPING=1: the service drains and will exit.
  bool stopping(std::string_view status);

 private:
  bool connect_socket();

  int fd_ = -1;
  sockaddr_un addr_{};
  socklen_t addr_len_ = 0;
};

// "STATUS=..." with newlines turned into spaces, so a message can never add
// a line (a key) of its own to the datagram.
std::string status_line(std::string_view status);

}  // namespace gantry::service
