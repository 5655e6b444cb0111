#include "upstream/connector.h"

namespace gantry::upstream {
namespace {

bool run_connect_hooks(const ConnectTarget& t, gantry_stream_t* stream, int fd, size_t pending) {
  const modules::Generation& gen = *t.gen;
  for (size_t i : gen.with_connect_upstream) {
    const modules::Instance& m = gen.instances[i];
    void* sctx = i < t.scope->scope_ctx.size() ? t.scope->scope_ctx[i] : nullptr;
    gantry_action_t a = m.hooks.on_connect_upstream(m.inst, sctx, stream, fd, pending);
    if (a != GANTRY_CONTINUE && a != GANTRY_DECLINED) return false;
  }
  return true;
}

bool start_connect(UpstreamConn* u, const ConnectTarget& t, gantry_stream_t* stream,
                   size_t pending, const std::string& proxy_header) {
  net::Conn* c = u->conn();
  const config::Address& addr = *t.address;
  if (c->open_socket(addr.sa.ss_family) != 0) return false;
  if (!run_connect_hooks(t, stream, c->fd(), pending)) return false;
  if (t.scope->tls.transport != nullptr) {
    gantry_sess_params_t params{};
    params.struct_size = sizeof params;
    params.is_server = 0;
    params.server_name = {t.tls_server_name->data(), t.tls_server_name->size()};
    if (c->set_transport(t.scope->tls.transport, t.scope->tls.tctx, params) != 0) return false;
  }
  if (c->connect(reinterpret_cast<const sockaddr*>(&addr.sa)) != 0) return false;
  // Queued behind the connect, so it leaves before the TLS handshake and the request.
  if (!proxy_header.empty() && !c->write_preamble(proxy_header.data(), proxy_header.size()))
    return false;
  u->arm(t.connect_timeout_ms);
  return true;
}

}  // namespace

Acquired acquire(Pool& pool, const ConnectTarget& t, UpstreamEvents* user,
                 gantry_stream_t* stream, size_t pending, const std::string& proxy_header,
                 bool fresh) {
  // The PROXY protocol forbids sharing a connection between clients.
  bool own = !proxy_header.empty();
  if (UpstreamConn* idle = own || fresh ? nullptr : pool.take(*t.pool_key)) {
    idle->attach(user);
    return {idle, Acquired::How::kPooled};
  }
  auto* u = new UpstreamConn(&pool, *t.pool_key, t.address->text,
                             own ? UpstreamConn::Keep{} : t.keep);
  u->attach(user);
  if (!start_connect(u, t, stream, pending, proxy_header)) {
    u->close();
    return {};
  }
  return {u, Acquired::How::kConnecting};
}

}  // namespace gantry::upstream
