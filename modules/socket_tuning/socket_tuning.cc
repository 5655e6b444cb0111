// socket_tuning: per-listener and per-backend socket options (HAProxy's
// tcp-smart-accept / tcp-smart-connect, defer-accept, fastopen, keepalive,
// buffers, TOS/mark, source binding). Config parsing lives in
// config_reader.cc, load-time kernel checks in kernel_support.cc, the
// setsockopt calls in apply.cc; this file is the module class.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>
#include <string>

#include "apply.h"
#include "config_reader.h"
#include "gantry/module.hpp"
#include "kernel_support.h"
#include "load_reports.h"
#include "options.h"

namespace socket_tuning {
namespace {

class SocketTuning : public gantry::Module {
 public:
  static constexpr const char* kName = "socket_tuning";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "listener and backend socket options: smart accept/connect, defer accept, fastopen, "
      "keepalive, buffers, TOS/mark, source binding";
  static constexpr uint64_t kCapabilities = GANTRY_CAP_SOCKET;
  static constexpr const gantry_config_key_t* kConfigKeys = socket_tuning::kConfigKeys;
  // One per listener or backend with a table; the layer frees it.
  using ScopeContext = Scope;

  explicit SocketTuning(gantry::Host host) : Module(host), reports_(host) {}

  std::unique_ptr<Scope> scope_new(uint32_t scope, gantry::Config table) {
    if (scope != GANTRY_SCOPE_LISTENER && scope != GANTRY_SCOPE_BACKEND) return nullptr;
    auto s = std::make_unique<Scope>();
    read_scope(scope, table, s.get());
    check_kernel_support(reports_, table, s.get());
    return s;
  }

  gantry_action_t on_listen(Scope* s, gantry_listener_t* /*l*/, int32_t fd) {
    if (s == nullptr || s->scope != GANTRY_SCOPE_LISTENER) return GANTRY_CONTINUE;
    ApplyError e;
    if (!apply_listen(s->listener, fd, &e)) log_runtime_failure(s, "listening", e);
    if (s->listener.smart_accept) {
      std::lock_guard<std::mutex> lock(s->listen_fds.mu);
      s->listen_fds.pending.push_back(fd);
      s->listen_fds.all_done.store(false, std::memory_order_release);
    }
    return GANTRY_CONTINUE;
  }

  gantry_action_t on_accept(Scope* s, gantry::Connection /*c*/, int32_t fd) {
    if (s == nullptr || s->scope != GANTRY_SCOPE_LISTENER) return GANTRY_CONTINUE;
    ApplyError e;
    if (!apply_accepted(s->listener, fd, &e)) log_runtime_failure(s, "accepted", e);
    if (s->listener.smart_accept && !s->listen_fds.all_done.load(std::memory_order_acquire)) {
      // Until every listening socket carries TCP_QUICKACK off (and so hands
      // it to what it accepts), set it on the accepted socket itself.
      settle_listen_quickack(&s->listen_fds);
      int zero = 0;
      setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof zero);
    }
    return GANTRY_CONTINUE;
  }

  gantry_action_t on_connect_upstream(Scope* s, gantry::Request& /*req*/, int32_t fd,
                                      size_t pending) {
    if (s == nullptr || s->scope != GANTRY_SCOPE_BACKEND) return GANTRY_CONTINUE;
    ApplyError e;
    if (apply_upstream(s->backend, fd, pending, &e)) return GANTRY_CONTINUE;
    log_runtime_failure(s, "backend", e);
    // Connecting from another address than the configured source could
    // break firewall rules the operator relies on: fail this connect instead.
    return std::strcmp(e.option, "source") == 0 ? GANTRY_CLOSE : GANTRY_CONTINUE;
  }

 private:
  // A failing setsockopt on a live socket (the load-time probe passed) is
  // logged once per scope; the connection goes on untuned rather than dying.
  void log_runtime_failure(Scope* s, const char* where, const ApplyError& e) const {
    if (s->runtime_error_logged.exchange(true)) return;
    host().warn(std::string(e.option) + ": setting it on the " + where + " socket failed (" +
                std::strerror(e.err) + "); further failures of this scope are not logged");
  }

  LoadReports reports_;  // written only from scope_new (MAIN)
};

}  // namespace
}  // namespace socket_tuning

GANTRY_CPP_MODULE(socket_tuning::SocketTuning)
