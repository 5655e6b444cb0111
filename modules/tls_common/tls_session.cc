#include "tls_session.h"

#include <arpa/inet.h>

#include <mutex>

namespace gantry::tls {
namespace {

BIO_METHOD* g_bio_method = nullptr;  // module lifetime; never freed

Session* bio_session(BIO* bio) { return static_cast<Session*>(BIO_get_data(bio)); }

int bio_write(BIO* bio, const char* p, int n) {
  if (n <= 0) return 0;
  bio_session(bio)->out.append(p, static_cast<size_t>(n));
  return n;
}

int bio_read(BIO* bio, char* p, int n) {
  BIO_clear_retry_flags(bio);
  Session* s = bio_session(bio);
  if (s->in.size() == 0) {
    BIO_set_retry_read(bio);  // the library reports WANT_READ
    return -1;
  }
  return static_cast<int>(s->in.take(p, static_cast<size_t>(n)));
}

long bio_ctrl(BIO* bio, int cmd, long /*num*/, void* /*ptr*/) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING:
      return static_cast<long>(bio_session(bio)->in.size());
    default:
      return 0;
  }
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

bool is_ip_literal(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

Session* attach(Session* s, SSL* ssl) {
  s->ssl = ssl;
  SSL_set_app_data(ssl, s);
  BIO* bio = BIO_new(g_bio_method);
  BIO_set_data(bio, s);
  SSL_set_bio(ssl, bio, bio);  // one reference, read and write
  return s;
}

}  // namespace

void init_bio_method() {
  static std::once_flag once;
  std::call_once(once, [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "gantry");
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    g_bio_method = m;
  });
}

Session::~Session() {
  if (ssl == nullptr) return;
  // A connection that ends without close_notify (most do, HTTP closes the
  // socket) would otherwise make OpenSSL drop its session from the caches,
  // defeating resumption. Failed handshakes and fatal alerts still do.
  if (SSL_is_init_finished(ssl)) SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  SSL_free(ssl);
}

std::unique_ptr<Session> new_server_session(std::shared_ptr<ServerState> state) {
  state->maybe_check_files();
  auto s = std::make_unique<Session>();
  s->snap = state->snapshot();
  s->server = std::move(state);
  SSL* ssl = SSL_new(s->snap->entries[0].ctx.get());
  if (ssl == nullptr) return nullptr;
  attach(s.get(), ssl);
  SSL_set_accept_state(ssl);
  return s;
}

std::unique_ptr<Session> new_client_session(std::shared_ptr<ClientState> state,
                                            const std::string& server_name) {
  auto s = std::make_unique<Session>();
  s->client = std::move(state);
  s->server_name = server_name;
  SSL* ssl = SSL_new(s->client->ctx());
  if (ssl == nullptr) return nullptr;
  attach(s.get(), ssl);
  SSL_set_connect_state(ssl);
  if (!server_name.empty()) {
    bool ip = is_ip_literal(server_name);
    // SNI carries host names only (RFC 6066 3).
    if (!ip) SSL_set_tlsext_host_name(ssl, server_name.c_str());
    if (s->client->settings().verify) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, server_name.c_str())
                  : X509_VERIFY_PARAM_set1_host(param, server_name.c_str(), server_name.size());
      if (ok != 1) return nullptr;
    }
  }
  if (SSL_SESSION* cached = s->client->session_for(server_name)) {
    SSL_set_session(ssl, cached);
    SSL_SESSION_free(cached);
  }
  return s;
}

}  // namespace gantry::tls
