#include "kernel_support.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace socket_tuning {

namespace {

// Owns the probe socket.
class ProbeSocket {
 public:
  explicit ProbeSocket(int family) : fd_(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) {}
  ~ProbeSocket() {
    if (fd_ >= 0) close(fd_);
  }
  ProbeSocket(const ProbeSocket&) = delete;
  ProbeSocket& operator=(const ProbeSocket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// 0 if the kernel took the option, else errno.
int try_set(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value) == 0 ? 0 : errno;
}

long read_sysctl(const char* path) {
  FILE* f = std::fopen(path, "re");
  if (f == nullptr) return -1;
  long v = -1;
  if (std::fscanf(f, "%ld", &v) != 1) v = -1;
  std::fclose(f);
  return v;
}

std::string unsupported(const char* option, int err) {
  return std::string(option) + ": not supported here (" + std::strerror(err) +
         "); the option is left out";
}

// Tries one optional int option; clears it (with a warning) when refused.
template <typename T>
void probe(LoadReports& m, int fd, std::optional<T>* opt, int level, int name, const char* option) {
  if (!opt->has_value()) return;
  int err = try_set(fd, level, name, static_cast<int>(**opt));
  if (err == 0) return;
  m.report_once(option, unsupported(option, err));
  opt->reset();
}

void probe_flag(LoadReports& m, int fd, bool* flag, int level, int name, int value,
                const char* option) {
  if (!*flag) return;
  int err = try_set(fd, level, name, value);
  if (err == 0) return;
  m.report_once(option, unsupported(option, err));
  *flag = false;
}

// The kernel silently caps SO_SNDBUF/SO_RCVBUF at wmem_max/rmem_max.
void check_buffer_cap(LoadReports& m, const std::optional<int>& v, const char* option,
                      const char* sysctl_path, const char* sysctl_name) {
  if (!v) return;
  long cap = read_sysctl(sysctl_path);
  if (cap < 0 || *v <= cap) return;
  m.report_once(std::string(option) + "-cap",
                std::string(option) + ": " + std::to_string(*v) + " exceeds " + sysctl_name +
                    " (" + std::to_string(cap) + ") and is capped by the kernel; raise it with "
                    "sysctl -w " + sysctl_name + "=" + std::to_string(*v));
}

void probe_conn(LoadReports& m, int fd, ConnOptions* c) {
  probe(m, fd, &c->nodelay, IPPROTO_TCP, TCP_NODELAY, "nodelay");
  probe(m, fd, &c->keepalive, SOL_SOCKET, SO_KEEPALIVE, "keepalive");
  probe(m, fd, &c->keepalive_idle_s, IPPROTO_TCP, TCP_KEEPIDLE, "keepalive_idle");
  probe(m, fd, &c->keepalive_interval_s, IPPROTO_TCP, TCP_KEEPINTVL, "keepalive_interval");
  probe(m, fd, &c->keepalive_count, IPPROTO_TCP, TCP_KEEPCNT, "keepalive_count");
  probe(m, fd, &c->user_timeout_ms, IPPROTO_TCP, TCP_USER_TIMEOUT, "user_timeout");
  probe(m, fd, &c->send_buffer, SOL_SOCKET, SO_SNDBUF, "send_buffer");
  probe(m, fd, &c->receive_buffer, SOL_SOCKET, SO_RCVBUF, "receive_buffer");
  probe(m, fd, &c->ip_tos, IPPROTO_IP, IP_TOS, "ip_tos");
  probe(m, fd, &c->mark, SOL_SOCKET, SO_MARK, "mark");
  check_buffer_cap(m, c->send_buffer, "send_buffer", "/proc/sys/net/core/wmem_max",
                   "net.core.wmem_max");
  check_buffer_cap(m, c->receive_buffer, "receive_buffer", "/proc/sys/net/core/rmem_max",
                   "net.core.rmem_max");
}

// net.ipv4.tcp_fastopen: bit 0x1 enables the client side, 0x2 the server side.
void check_fastopen_sysctl(LoadReports& m, long bit, const char* side) {
  long v = read_sysctl("/proc/sys/net/ipv4/tcp_fastopen");
  if (v < 0 || (v & bit) != 0) return;
  m.report_once(std::string("tcp_fastopen-") + side,
                std::string("tcp_fastopen: net.ipv4.tcp_fastopen=") + std::to_string(v) +
                    " leaves the " + side + " side off, so the option has no effect; run "
                    "sysctl -w net.ipv4.tcp_fastopen=" + std::to_string(v | bit) +
                    " (see `gantry doctor`)");
}

void check_listener(LoadReports& m, Scope* s) {
  ListenerOptions& o = s->listener;
  ProbeSocket p(AF_INET);
  if (p.fd() < 0) return;
  probe_flag(m, p.fd(), &o.reuseport, SOL_SOCKET, SO_REUSEPORT, 1, "reuseport");
  probe(m, p.fd(), &o.defer_accept_s, IPPROTO_TCP, TCP_DEFER_ACCEPT, "defer_accept");
  probe(m, p.fd(), &o.fastopen_queue, IPPROTO_TCP, TCP_FASTOPEN, "tcp_fastopen");
  probe_flag(m, p.fd(), &o.smart_accept, IPPROTO_TCP, TCP_QUICKACK, 0, "tcp_smart_accept");
  probe_conn(m, p.fd(), &o.conn);
  if (o.fastopen_queue.value_or(0) > 0) check_fastopen_sysctl(m, 0x2, "server");
}

void check_backend(LoadReports& m, const gantry::Config& table, Scope* s) {
  BackendOptions& o = s->backend;
  int family = o.has_source ? o.source.ss_family : AF_INET;
  ProbeSocket p(family);
  if (p.fd() < 0) return;
  probe_flag(m, p.fd(), &o.smart_connect, IPPROTO_TCP, TCP_QUICKACK, 0, "tcp_smart_connect");
  probe_flag(m, p.fd(), &o.fastopen, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1, "tcp_fastopen");
  probe_conn(m, p.fd(), &o.conn);
  if (o.fastopen) check_fastopen_sysctl(m, 0x1, "client");
  if (!o.has_source) return;
  probe_flag(m, p.fd(), &o.bind_address_no_port, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1,
             "bind_address_no_port");
  // A source address this host does not own would fail every connect.
  if (bind(p.fd(), reinterpret_cast<const sockaddr*>(&o.source), o.source_len) != 0) {
    std::string msg = std::string("source: cannot bind to it (") + std::strerror(errno) + ")";
    gantry::Config at = table["source"];
    (at ? at : table).fail(msg);
  }
}

}  // namespace

void check_kernel_support(LoadReports& reports, const gantry::Config& table, Scope* s) {
  if (s->scope == GANTRY_SCOPE_LISTENER) {
    check_listener(reports, s);
    return;
  }
  check_backend(reports, table, s);
}

}  // namespace socket_tuning
