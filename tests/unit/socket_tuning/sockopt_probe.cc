// Test-only module: reads socket options back with getsockopt on the real
// sockets gantry hands to modules and logs them as "key=value" words, so a
// test can assert what the kernel carries. List it AFTER socket_tuning in
// [[module]] order so it sees that module's settings. Keys: `report = true`
// in [listener.<name>] / [backend.<name>] gives it a scope (and so the
// listening sockets, whose backlog and TCP_QUICKACK it reads at accept).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <atomic>
#include <cstring>
#include <new>
#include <string>

#include "gantry/module.h"

namespace {

struct Probe {
  const gantry_host_api_t* host;
  gantry_module_t* self;
};

struct ProbeScope {
  uint32_t scope;
  std::atomic<int> listen_fd{-1};  // last listening socket seen (MAIN writes, LOOP reads)
};

int get_int(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  if (getsockopt(fd, level, name, &v, &len) != 0) return -1;
  return v;
}

std::string word(const char* key, long v) { return std::string(" ") + key + "=" + std::to_string(v); }

std::string conn_words(int fd) {
  std::string s;
  int domain = get_int(fd, SOL_SOCKET, SO_DOMAIN);
  s += word("nodelay", get_int(fd, IPPROTO_TCP, TCP_NODELAY));
  s += word("keepalive", get_int(fd, SOL_SOCKET, SO_KEEPALIVE));
  s += word("keepidle", get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE));
  s += word("keepintvl", get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL));
  s += word("keepcnt", get_int(fd, IPPROTO_TCP, TCP_KEEPCNT));
  s += word("user_timeout", get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT));
  s += word("tos", domain == AF_INET6 ? get_int(fd, IPPROTO_IPV6, IPV6_TCLASS)
                                      : get_int(fd, IPPROTO_IP, IP_TOS));
  s += word("mark", get_int(fd, SOL_SOCKET, SO_MARK));
  s += word("sndbuf", get_int(fd, SOL_SOCKET, SO_SNDBUF));
  s += word("rcvbuf", get_int(fd, SOL_SOCKET, SO_RCVBUF));
  s += word("quickack", get_int(fd, IPPROTO_TCP, TCP_QUICKACK));
  return s;
}

void emit(Probe* p, const std::string& line) { p->host->log(p->self, GANTRY_LOG_INFO, line.c_str()); }

gantry_status_t instance_new(const gantry_host_api_t* host, gantry_module_t* self,
                             const gantry_cfg_t*, void** inst, gantry_error_t*) {
  *inst = new (std::nothrow) Probe{host, self};
  return *inst != nullptr ? GANTRY_OK : GANTRY_ERR_NOMEM;
}

void instance_free(void* inst) { delete static_cast<Probe*>(inst); }

gantry_status_t scope_new(void*, uint32_t scope, const gantry_cfg_t*, void** ctx, gantry_error_t*) {
  auto* s = new (std::nothrow) ProbeScope;
  if (s == nullptr) return GANTRY_ERR_NOMEM;
  s->scope = scope;
  *ctx = s;
  return GANTRY_OK;
}

void scope_free(void*, uint32_t, void* ctx) { delete static_cast<ProbeScope*>(ctx); }

gantry_action_t on_listen(void* inst, void* ctx, gantry_listener_t*, int32_t fd) {
  if (ctx != nullptr) static_cast<ProbeScope*>(ctx)->listen_fd.store(fd);
  std::string s = "sockopt_probe listen";
  s += word("reuseport", get_int(fd, SOL_SOCKET, SO_REUSEPORT));
  s += word("defer_accept", get_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT));
  s += word("fastopen", get_int(fd, IPPROTO_TCP, TCP_FASTOPEN));
  s += conn_words(fd);
  emit(static_cast<Probe*>(inst), s);
  return GANTRY_CONTINUE;
}

gantry_action_t on_accept(void* inst, void* ctx, gantry_conn_t* c, int32_t fd, void**) {
  auto* p = static_cast<Probe*>(inst);
  gantry_str_t name = p->host->conn_listener != nullptr ? p->host->conn_listener(c) : gantry_str_t{};
  std::string s = "sockopt_probe accept listener=" + std::string(name.ptr ? name.ptr : "", name.len);
  s += conn_words(fd);
  int lfd = ctx != nullptr ? static_cast<ProbeScope*>(ctx)->listen_fd.load() : -1;
  if (lfd >= 0) {
    tcp_info ti{};
    socklen_t len = sizeof ti;
    // For a listening socket tcpi_sacked holds the accept-queue limit.
    long backlog = getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 ? ti.tcpi_sacked : -1;
    s += word("listen_backlog", backlog);
    s += word("listen_quickack", get_int(lfd, IPPROTO_TCP, TCP_QUICKACK));
    s += word("listen_defer_accept", get_int(lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT));
    s += word("listen_fastopen", get_int(lfd, IPPROTO_TCP, TCP_FASTOPEN));
    s += word("listen_reuseport", get_int(lfd, SOL_SOCKET, SO_REUSEPORT));
  }
  emit(p, s);
  return GANTRY_CONTINUE;
}

gantry_action_t on_connect_upstream(void* inst, void*, gantry_stream_t*, int32_t fd,
                                    size_t pending) {
  std::string s = "sockopt_probe connect";
  s += word("pending", static_cast<long>(pending));
  s += conn_words(fd);
  s += word("fastopen_connect", get_int(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT));
  s += word("bind_no_port", get_int(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT));
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  char host[INET6_ADDRSTRLEN] = "none";
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0) {
    if (sa.ss_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&sa)->sin_addr, host, sizeof host);
    } else if (sa.ss_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&sa)->sin6_addr, host, sizeof host);
    }
  }
  s += std::string(" local=") + host;
  emit(static_cast<Probe*>(inst), s);
  return GANTRY_CONTINUE;
}

gantry_hooks_t make_hooks() {
  gantry_hooks_t h;
  std::memset(&h, 0, sizeof h);
  h.struct_size = sizeof h;
  h.instance_new = instance_new;
  h.instance_free = instance_free;
  h.scope_new = scope_new;
  h.scope_free = scope_free;
  h.on_listen = on_listen;
  h.on_accept = on_accept;
  h.on_connect_upstream = on_connect_upstream;
  return h;
}

const gantry_hooks_t kHooks = make_hooks();

const gantry_config_key_t kKeys[] = {
    {sizeof(gantry_config_key_t), GANTRY_SCOPE_LISTENER, "report", GANTRY_CFG_BOOL, 0,
     "probe this listener's sockets"},
    {sizeof(gantry_config_key_t), GANTRY_SCOPE_BACKEND, "report", GANTRY_CFG_BOOL, 0,
     "probe this backend's sockets"},
    {0, 0, nullptr, 0, 0, nullptr},
};

const gantry_module_desc_t kDesc = {
    GANTRY_DESC_INIT, "sockopt_probe", "0.0.1", "test fixture: logs socket options",
    GANTRY_CAP_SOCKET, kKeys, &kHooks, nullptr,
};

}  // namespace

GANTRY_MODULE_ENTRY { return &kDesc; }
