#include "downstream/client_conn.h"

#include "util/log.h"

namespace gantry::downstream {

ClientConn::ClientConn(runtime::WorkerContext& wc, std::shared_ptr<const runtime::Snapshot> snap,
                       int listener, ConnList* list)
    : wc_(wc), snap_(std::move(snap)), listener_(listener), list_(list) {
  facts_.handle = this;
  facts_.conn_ctx = &conn_ctx_;
  facts_.listener = listener;
}

ClientConn::~ClientConn() = default;

bool ClientConn::accept(uv_stream_t* server, net::ConnHandler* handler) {
  conn_ = new net::Conn(wc_.worker, handler);
  if (conn_->accept_from(server) != 0) return false;
  if (!wants_proxy_header()) return finish_accept();
  learn_address();
  if (!peer_allowed()) {
    GLOG_INFO("listener %s: %s may not send a PROXY header: closed",
              snap_->cfg->listeners[listener_].name.c_str(), address_.c_str());
    return false;
  }
  return true;
}

bool ClientConn::wants_proxy_header() const {
  return snap_->cfg->listeners[listener_].proxy_protocol;
}

bool ClientConn::peer_allowed() const {
  const auto& from = snap_->cfg->listeners[listener_].proxy_protocol_from;
  if (from.empty()) return true;
  sockaddr_storage ss;
  socklen_t len = 0;
  if (conn_->addr(GANTRY_ADDR_PEER, &ss, &len) != 0) return false;
  for (const net::Cidr& c : from)
    if (c.contains(ss)) return true;
  return false;
}

bool ClientConn::accept_proxied(const net::ProxyInfo& info) {
  proxy_ = info;
  // The reader lets only visible ASCII into these; the unique id is binary.
  auto add = [this](const char* key, const std::string& value) {
    if (value.empty()) return;
    if (!proxy_notes_.empty()) proxy_notes_ += ' ';
    proxy_notes_ += key;
    proxy_notes_ += '=';
    proxy_notes_ += value;
  };
  add("proxy_authority", info.authority);
  add("proxy_alpn", info.alpn);
  std::string hex;
  static const char kHex[] = "0123456789abcdef";
  for (unsigned char c : info.unique_id) {
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  add("proxy_unique_id", hex);
  if (info.ssl) add("proxy_ssl", info.ssl_version.empty() ? "1" : info.ssl_version);
  facts_.proxy_notes = proxy_notes_;
  return finish_accept();
}

int ClientConn::client_addr(int which, sockaddr_storage* out, socklen_t* len) const {
  if (proxy_.source != net::ProxyInfo::Source::kAddress) return conn_->addr(which, out, len);
  *out = which == GANTRY_ADDR_PEER ? proxy_.src : proxy_.dst;
  *len = out->ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  return 0;
}

// Accept hooks, the transport, the client's address: after the PROXY header
// on a proxy_protocol listener, so modules see the client it names.
bool ClientConn::finish_accept() {
  const modules::Generation& gen = *snap_->gen;
  const modules::ScopeState& scope = gen.listeners[listener_];
  if (!gen.with_accept.empty() || !gen.with_conn_close.empty() || !gen.with_handshake.empty())
    conn_ctx_.assign(gen.instances.size(), nullptr);
  close_hooks_ = Hooks::kOwed;
  for (size_t i : gen.with_accept) {
    const modules::Instance& m = gen.instances[i];
    void* sctx = i < scope.scope_ctx.size() ? scope.scope_ctx[i] : nullptr;
    gantry_action_t a = m.hooks.on_accept(m.inst, sctx, this, conn_->fd(), &conn_ctx_[i]);
    if (a != GANTRY_CONTINUE && a != GANTRY_DECLINED) return false;
  }
  if (scope.tls.transport != nullptr) {
    gantry_sess_params_t params{};
    params.struct_size = sizeof params;
    params.is_server = 1;
    params.conn = this;
    if (conn_->set_transport(scope.tls.transport, scope.tls.tctx, params) != 0) {
      GLOG_WARN("listener %s: transport session could not be created",
                snap_->cfg->listeners[listener_].name.c_str());
      return false;
    }
    facts_.tls = true;
  }
  learn_address();  // while the peer address is surely there
  return true;
}

void ClientConn::learn_address() {
  sockaddr_storage ss;
  socklen_t len = 0;
  char buf[INET6_ADDRSTRLEN] = "";
  if (client_addr(GANTRY_ADDR_PEER, &ss, &len) == 0) {
    if (ss.ss_family == AF_INET)
      uv_ip4_name(reinterpret_cast<sockaddr_in*>(&ss), buf, sizeof buf);
    else if (ss.ss_family == AF_INET6)
      uv_ip6_name(reinterpret_cast<sockaddr_in6*>(&ss), buf, sizeof buf);
  }
  address_ = buf[0] ? buf : "unknown";
  facts_.address = address_;
  facts_.peer = buf[0] ? ss : sockaddr_storage{};
  if (client_addr(GANTRY_ADDR_LOCAL, &ss, &len) != 0) ss = sockaddr_storage{};
  facts_.local = ss;
}

bool ClientConn::run_handshake_hooks() {
  gantry_tls_info_t info{};
  info.struct_size = sizeof info;
  if (conn_->transport_info(&info) == GANTRY_OK)
    wc_.metrics.tls.note({info.library.ptr, info.library.len}, {info.version.ptr, info.version.len},
                         info.resumed != 0);
  const modules::Generation& gen = *snap_->gen;
  for (size_t i : gen.with_handshake) {
    const modules::Instance& m = gen.instances[i];
    gantry_action_t a = m.hooks.on_handshake(m.inst, this, conn_ctx_[i]);
    if (a != GANTRY_CONTINUE && a != GANTRY_DECLINED) return false;
  }
  return true;
}

void ClientConn::run_close_hooks() {
  if (close_hooks_ != Hooks::kOwed) return;
  close_hooks_ = Hooks::kDone;
  const modules::Generation& gen = *snap_->gen;
  for (size_t i : gen.with_conn_close) {
    const modules::Instance& m = gen.instances[i];
    m.hooks.on_conn_close(m.inst, this, conn_ctx_.empty() ? nullptr : conn_ctx_[i]);
  }
}

void ClientConn::closed() {
  run_close_hooks();
  delete conn_;
  conn_ = nullptr;
  list_->conn_closed(this);
  delete this;
}

}  // namespace gantry::downstream
