#include "tls_client.h"

#include "tls_ctx_common.h"
#include "tls_session.h"

namespace gantry::tls {
namespace {

// The library hands over each new session; keep it for the next connection
// to the same name (one per name: enough to skip full handshakes).
int on_new_session(SSL* ssl, SSL_SESSION* sess) {
  Session* s = session_of(ssl);
  if (s == nullptr || !s->client) return 0;
  s->client->remember(s->server_name, sess);
  return 1;  // we own it now
}

}  // namespace

ClientState::ClientState(const gantry::Host& host, Settings settings)
    : host_(host), settings_(std::move(settings)) {}

ClientState::~ClientState() {
  for (auto& kv : sessions_) SSL_SESSION_free(kv.second);
}

bool ClientState::init(Reporter& rep) {
  const Settings& s = settings_;
  if (!validate_crypto(s, rep)) return false;
  ctx_ = new_ctx(s, rep);
  if (!ctx_) return false;
  SSL_CTX* c = ctx_.get();
  if (s.verify) {
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
    if (!s.ca.empty()) {
      std::string content, why;
      if (!read_file(s.ca.path, &content, &why)) {
        rep.error(s.ca.at, "cannot read ca '" + s.ca.path + "': " + why);
        return false;
      }
      if (SSL_CTX_load_verify_locations(c, s.ca.path.c_str(), nullptr) != 1) {
        rep.error(s.ca.at, "no usable CA certificate in '" + s.ca.path + "': " + take_ssl_errors());
        return false;
      }
    } else if (SSL_CTX_set_default_verify_paths(c) != 1) {
      rep.error(s.table, "cannot load the system trust store (set 'ca'): " + take_ssl_errors());
      return false;
    }
  } else {
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
  }
  if (!s.client_cert.empty()) {
    CertSpec spec{s.client_cert, s.client_key, FileRef{}};
    LoadedCert cert;
    if (!load_cert(spec, rep, &cert)) return false;
    if (SSL_CTX_use_certificate(c, cert.leaf.get()) != 1 ||
        SSL_CTX_use_PrivateKey(c, cert.key.get()) != 1 ||
        SSL_CTX_set1_chain(c, cert.chain.get()) != 1) {
      rep.error(s.client_cert.at, "cannot use client_cert: " + take_ssl_errors());
      return false;
    }
  }
  std::string alpn = alpn_wire(s.alpn, false);
  // Returns 0 on success, unlike the rest of the API.
  if (!alpn.empty() && SSL_CTX_set_alpn_protos(c, reinterpret_cast<const uint8_t*>(alpn.data()),
                                               static_cast<unsigned>(alpn.size())) != 0) {
    rep.error(s.alpn_at, "alpn: " + take_ssl_errors());
    return false;
  }
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(c, on_new_session);
  return true;
}

SSL_SESSION* ClientState::session_for(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(name);
  if (it == sessions_.end()) return nullptr;
  SSL_SESSION_up_ref(it->second);
  return it->second;
}

void ClientState::remember(const std::string& name, SSL_SESSION* sess) {
  SSL_SESSION* old = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    SSL_SESSION*& slot = sessions_[name];
    old = slot;
    slot = sess;
  }
  if (old != nullptr) SSL_SESSION_free(old);
}

}  // namespace gantry::tls
