#include "harness/loopback_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace gantry::itest {

int listen_on_loopback(uint16_t* port, int backlog) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(sa);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 || ::listen(fd, backlog) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    ::close(fd);
    return -1;
  }
  *port = ntohs(sa.sin_port);
  return fd;
}

bool send_all_until_stopped(int fd, const char* p, size_t n, const std::atomic<bool>& stop,
                            std::atomic<uint64_t>* sent) {
  while (n > 0) {
    if (stop) return false;
    pollfd pf{fd, POLLOUT, 0};
    int pr = ::poll(&pf, 1, 50);
    if (pr < 0 && errno != EINTR) return false;
    if (pr <= 0) continue;
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (w <= 0) return false;
    if (sent != nullptr) *sent += static_cast<uint64_t>(w);
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace gantry::itest
