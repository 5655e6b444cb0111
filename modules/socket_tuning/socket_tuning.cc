// socket_tuning: per-listener and per-backend socket options (HAProxy's
// tcp-smart-accept / tcp-smart-connect, defer-accept, fastopen, keepalive,
// buffers, TOS/mark, source binding). Config parsing lives in
// config_reader.cc, load-time kernel checks in kernel_support.cc, the
// setsockopt calls in apply.cc; this file is the ABI surface.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstring>
#include <new>
#include <string>

#include "apply.h"
#include "config_reader.h"
#include "gantry/module.h"
#include "kernel_support.h"
#include "module_state.h"
#include "options.h"

namespace socket_tuning {

namespace {

gantry_status_t instance_new(const gantry_host_api_t* host, gantry_module_t* self,
                             const gantry_cfg_t* /*config*/, void** inst, gantry_error_t* err) {
  auto* m = new (std::nothrow) Module;
  if (m == nullptr) {
    host->error_set(err, GANTRY_ERR_NOMEM, "out of memory");
    return GANTRY_ERR_NOMEM;
  }
  m->host = host;
  m->self = self;
  *inst = m;
  return GANTRY_OK;
}

void instance_free(void* inst) { delete static_cast<Module*>(inst); }

gantry_status_t scope_new(void* inst, uint32_t scope, const gantry_cfg_t* table, void** scope_ctx,
                          gantry_error_t* err) {
  auto* m = static_cast<Module*>(inst);
  if (scope != GANTRY_SCOPE_LISTENER && scope != GANTRY_SCOPE_BACKEND) return GANTRY_OK;
  auto* s = new (std::nothrow) Scope;
  if (s == nullptr) {
    m->host->error_set(err, GANTRY_ERR_NOMEM, "out of memory");
    return GANTRY_ERR_NOMEM;
  }
  gantry_status_t st = read_scope(*m, scope, table, s, err);
  if (st == GANTRY_OK) st = check_kernel_support(*m, table, s, err);
  if (st != GANTRY_OK) {
    delete s;
    return st;
  }
  *scope_ctx = s;
  return GANTRY_OK;
}

void scope_free(void* /*inst*/, uint32_t /*scope*/, void* scope_ctx) {
  delete static_cast<Scope*>(scope_ctx);
}

// A failing setsockopt on a live socket (the load-time probe passed) is
// logged once per scope; the connection goes on untuned rather than dying.
void log_runtime_failure(Module* m, Scope* s, const char* where, const ApplyError& e) {
  if (s->runtime_error_logged.exchange(true)) return;
  m->log(GANTRY_LOG_WARN, std::string(e.option) + ": setting it on the " + where +
                              " socket failed (" + std::strerror(e.err) +
                              "); further failures of this scope are not logged");
}

gantry_action_t on_listen(void* inst, void* scope_ctx, gantry_listener_t* /*l*/, int32_t fd) {
  auto* s = static_cast<Scope*>(scope_ctx);
  if (s == nullptr || s->scope != GANTRY_SCOPE_LISTENER) return GANTRY_CONTINUE;
  ApplyError e;
  if (!apply_listen(s->listener, fd, &e)) log_runtime_failure(static_cast<Module*>(inst), s, "listening", e);
  if (s->listener.smart_accept) {
    std::lock_guard<std::mutex> lock(s->listen_fds.mu);
    s->listen_fds.pending.push_back(fd);
    s->listen_fds.all_done.store(false, std::memory_order_release);
  }
  return GANTRY_CONTINUE;
}

gantry_action_t on_accept(void* inst, void* scope_ctx, gantry_conn_t* /*c*/, int32_t fd,
                          void** /*conn_ctx*/) {
  auto* s = static_cast<Scope*>(scope_ctx);
  if (s == nullptr || s->scope != GANTRY_SCOPE_LISTENER) return GANTRY_CONTINUE;
  ApplyError e;
  if (!apply_accepted(s->listener, fd, &e)) {
    log_runtime_failure(static_cast<Module*>(inst), s, "accepted", e);
  }
  if (s->listener.smart_accept && !s->listen_fds.all_done.load(std::memory_order_acquire)) {
    // Until every listening socket carries TCP_QUICKACK off (and so hands it
    // to what it accepts), set it on the accepted socket itself.
    settle_listen_quickack(&s->listen_fds);
    int zero = 0;
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof zero);
  }
  return GANTRY_CONTINUE;
}

gantry_action_t on_connect_upstream(void* inst, void* scope_ctx, gantry_stream_t* /*s*/, int32_t fd,
                                    size_t pending) {
  auto* s = static_cast<Scope*>(scope_ctx);
  if (s == nullptr || s->scope != GANTRY_SCOPE_BACKEND) return GANTRY_CONTINUE;
  ApplyError e;
  if (apply_upstream(s->backend, fd, pending, &e)) return GANTRY_CONTINUE;
  log_runtime_failure(static_cast<Module*>(inst), s, "backend", e);
  // Connecting from another address than the configured source could break
  // firewall rules the operator relies on: fail this connect instead.
  return std::strcmp(e.option, "source") == 0 ? GANTRY_CLOSE : GANTRY_CONTINUE;
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

const gantry_module_desc_t kDesc = {
    GANTRY_DESC_INIT,
    "socket_tuning",
    "1.0.0",
    "listener and backend socket options: smart accept/connect, defer accept, fastopen, "
    "keepalive, buffers, TOS/mark, source binding",
    GANTRY_CAP_SOCKET,
    kConfigKeys,
    &kHooks,
    nullptr,
};

}  // namespace

}  // namespace socket_tuning

GANTRY_MODULE_ENTRY { return &socket_tuning::kDesc; }
