#include "apply.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace socket_tuning {

namespace {

bool set_int(int fd, int level, int name, int value, const char* option, ApplyError* e) {
  if (setsockopt(fd, level, name, &value, sizeof value) == 0) return true;
  e->option = option;
  e->err = errno;
  return false;
}

int socket_family(int fd) {
  int domain = AF_INET;
  socklen_t len = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) return AF_INET;
  return domain;
}

bool apply_keepalive(const ConnOptions& c, int fd, ApplyError* e) {
  if (c.keepalive && !set_int(fd, SOL_SOCKET, SO_KEEPALIVE, *c.keepalive ? 1 : 0, "keepalive", e)) {
    return false;
  }
  if (c.keepalive_idle_s &&
      !set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, *c.keepalive_idle_s, "keepalive_idle", e)) {
    return false;
  }
  if (c.keepalive_interval_s &&
      !set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, *c.keepalive_interval_s, "keepalive_interval", e)) {
    return false;
  }
  if (c.keepalive_count &&
      !set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, *c.keepalive_count, "keepalive_count", e)) {
    return false;
  }
  return true;
}

bool apply_conn(const ConnOptions& c, int fd, ApplyError* e) {
  if (c.nodelay && !set_int(fd, IPPROTO_TCP, TCP_NODELAY, *c.nodelay ? 1 : 0, "nodelay", e)) {
    return false;
  }
  if (!apply_keepalive(c, fd, e)) return false;
  if (c.user_timeout_ms && !set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT,
                                    static_cast<int>(*c.user_timeout_ms), "user_timeout", e)) {
    return false;
  }
  if (c.send_buffer && !set_int(fd, SOL_SOCKET, SO_SNDBUF, *c.send_buffer, "send_buffer", e)) {
    return false;
  }
  if (c.receive_buffer &&
      !set_int(fd, SOL_SOCKET, SO_RCVBUF, *c.receive_buffer, "receive_buffer", e)) {
    return false;
  }
  if (c.ip_tos) {
    bool v6 = socket_family(fd) == AF_INET6;
    if (!set_int(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_TCLASS : IP_TOS, *c.ip_tos,
                 "ip_tos", e)) {
      return false;
    }
  }
  if (c.mark && !set_int(fd, SOL_SOCKET, SO_MARK, static_cast<int>(*c.mark), "mark", e)) {
    return false;
  }
  return true;
}

}  // namespace

bool apply_listen(const ListenerOptions& o, int fd, ApplyError* e) {
  // Idempotent with the core's own SO_REUSEPORT; kept so the option is
  // visible and stays on whatever the core's listener code does.
  if (o.reuseport && !set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1, "reuseport", e)) return false;
  if (o.defer_accept_s &&
      !set_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, *o.defer_accept_s, "defer_accept", e)) {
    return false;
  }
  if (o.fastopen_queue &&
      !set_int(fd, IPPROTO_TCP, TCP_FASTOPEN, *o.fastopen_queue, "tcp_fastopen", e)) {
    return false;
  }
  // Takes effect only if the socket already listens (listen() resets the
  // delayed-ACK state); otherwise settle_listen_quickack() repeats it.
  if (o.smart_accept && !set_int(fd, IPPROTO_TCP, TCP_QUICKACK, 0, "tcp_smart_accept", e)) {
    return false;
  }
  return apply_conn(o.conn, fd, e);
}

bool apply_accepted(const ListenerOptions& o, int fd, ApplyError* e) {
  const ConnOptions& c = o.conn;
  if (c.nodelay && !set_int(fd, IPPROTO_TCP, TCP_NODELAY, *c.nodelay ? 1 : 0, "nodelay", e)) {
    return false;
  }
  if (c.keepalive && !set_int(fd, SOL_SOCKET, SO_KEEPALIVE, *c.keepalive ? 1 : 0, "keepalive", e)) {
    return false;
  }
  return true;
}

void settle_listen_quickack(ListenFds* fds) {
  std::lock_guard<std::mutex> lock(fds->mu);
  auto& p = fds->pending;
  for (size_t i = 0; i < p.size();) {
    int listening = 0;
    socklen_t len = sizeof listening;
    bool ready = getsockopt(p[i], SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening;
    int zero = 0;
    if (ready && setsockopt(p[i], IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof zero) == 0) {
      p[i] = p.back();
      p.pop_back();
    } else {
      ++i;
    }
  }
  fds->all_done.store(p.empty(), std::memory_order_release);
}

bool apply_upstream(const BackendOptions& o, int fd, size_t pending, ApplyError* e) {
  if (!apply_conn(o.conn, fd, e)) return false;
  // Without waiting bytes the kernel would hold the handshake's last ACK for
  // nothing, so smart connect only applies when the request is ready.
  if (o.smart_connect && pending > 0 &&
      !set_int(fd, IPPROTO_TCP, TCP_QUICKACK, 0, "tcp_smart_connect", e)) {
    return false;
  }
  if (o.fastopen && !set_int(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1, "tcp_fastopen", e)) {
    return false;
  }
  if (o.has_source) {
    if (o.bind_address_no_port &&
        !set_int(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1, "bind_address_no_port", e)) {
      return false;
    }
    if (bind(fd, reinterpret_cast<const sockaddr*>(&o.source), o.source_len) != 0) {
      e->option = "source";
      e->err = errno;
      return false;
    }
  }
  return true;
}

}  // namespace socket_tuning
