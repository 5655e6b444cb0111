#include "tls_transport.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "tls_ctx_common.h"
#include "tls_session.h"

namespace gantry::tls {
namespace {

// Output beyond this stops write_plain early: the host has not sent what it
// already has, and a transport should not buffer a whole response body.
constexpr size_t kOutHighWater = 256 * 1024;
// Ciphertext the transport holds before refusing more (feed_cipher *used).
constexpr size_t kInLimit = 256 * 1024;
constexpr int kMaxRecordPlain = 16384;

struct TransportCtx {
  std::shared_ptr<ServerState> server;
  std::shared_ptr<ClientState> client;
};

Session* sess_of(void* p) { return static_cast<Session*>(p); }

gantry_io_t io_result(Session* s, int r, const char* what) {
  switch (SSL_get_error(s->ssl, r)) {
    case SSL_ERROR_WANT_READ:
      return GANTRY_IO_WANT_READ;
    case SSL_ERROR_ZERO_RETURN:
      return GANTRY_IO_CLOSED;
    default: {
      // A client speaking plain HTTP or garbage lands here: not worth more
      // than a debug line, the host closes the connection.
      std::string why = take_ssl_errors();
      log(s->mod(), GANTRY_LOG_DEBUG, "TLS %s failed: %s", what,
          why.empty() ? "protocol error" : why.c_str());
      return GANTRY_IO_ERROR;
    }
  }
}

// --- Context --------------------------------------------------------------

gantry_status_t ctx_new(void* inst, const gantry_cfg_t* table, uint32_t is_server, void** tctx,
                        gantry_error_t* err) {
  auto* mod = static_cast<const Module*>(inst);
  Reporter rep(mod, err);
  if (table == nullptr) {
    rep.error(Where{}, "no TLS settings");
    return GANTRY_ERR_INVAL;
  }
  try {
    Settings settings;
    if (!parse_settings(mod, table, is_server != 0, rep, &settings)) return GANTRY_ERR_INVAL;
    auto t = std::make_unique<TransportCtx>();
    if (is_server != 0) {
      t->server = std::make_shared<ServerState>(mod, std::move(settings));
      if (!t->server->init(rep)) return GANTRY_ERR_INVAL;
    } else {
      t->client = std::make_shared<ClientState>(mod, std::move(settings));
      if (!t->client->init(rep)) return GANTRY_ERR_INVAL;
    }
    *tctx = t.release();
    return GANTRY_OK;
  } catch (const std::bad_alloc&) {
    return GANTRY_ERR_NOMEM;
  } catch (...) {
    return GANTRY_ERR_GENERIC;
  }
}

void ctx_free(void* /*inst*/, void* tctx) { delete static_cast<TransportCtx*>(tctx); }

// --- Session --------------------------------------------------------------

gantry_status_t sess_new(void* tctx, const gantry_sess_params_t* params, void** sess) {
  auto* t = static_cast<TransportCtx*>(tctx);
  try {
    Session* s = nullptr;
    if (t->server) {
      s = new_server_session(t->server);
    } else {
      std::string name;
      if (params != nullptr && params->server_name.len > 0) {
        name.assign(params->server_name.ptr, params->server_name.len);
      } else {
        name = t->client->settings().server_name;
      }
      s = new_client_session(t->client, name);
    }
    if (s == nullptr) return GANTRY_ERR_NOMEM;
    *sess = s;
    return GANTRY_OK;
  } catch (...) {
    return GANTRY_ERR_NOMEM;
  }
}

void sess_free(void* sess) { delete sess_of(sess); }

gantry_io_t handshake(void* sess) {
  Session* s = sess_of(sess);
  ERR_clear_error();
  int r = SSL_do_handshake(s->ssl);
  return r == 1 ? GANTRY_IO_OK : io_result(s, r, "handshake");
}

gantry_io_t feed_cipher(void* sess, const uint8_t* p, size_t n, size_t* used) {
  Session* s = sess_of(sess);
  size_t held = s->in.size();
  size_t take = held >= kInLimit ? 0 : std::min(n, kInLimit - held);
  s->in.append(p, take);
  *used = take;
  return GANTRY_IO_OK;
}

gantry_io_t read_plain(void* sess, uint8_t* buf, size_t cap, size_t* got) {
  Session* s = sess_of(sess);
  *got = 0;
  ERR_clear_error();
  int r = SSL_read(s->ssl, buf, static_cast<int>(std::min<size_t>(cap, INT32_MAX)));
  if (r > 0) {
    *got = static_cast<size_t>(r);
    return GANTRY_IO_OK;
  }
  return io_result(s, r, SSL_is_init_finished(s->ssl) ? "read" : "handshake");
}

gantry_io_t write_plain(void* sess, const uint8_t* p, size_t n, size_t* used) {
  Session* s = sess_of(sess);
  *used = 0;
  if (!SSL_is_init_finished(s->ssl)) return GANTRY_IO_WANT_READ;
  size_t done = 0;
  while (done < n && (done == 0 || s->out.size() < kOutHighWater)) {
    int chunk = static_cast<int>(std::min<size_t>(n - done, kMaxRecordPlain));
    ERR_clear_error();
    int r = SSL_write(s->ssl, p + done, chunk);
    if (r <= 0) {
      *used = done;
      return done > 0 ? GANTRY_IO_OK : io_result(s, r, "write");
    }
    done += static_cast<size_t>(r);
  }
  *used = done;
  return GANTRY_IO_OK;
}

size_t peek_cipher(void* sess, const uint8_t** p) {
  Session* s = sess_of(sess);
  *p = s->out.data();
  return s->out.size();
}

void consume_cipher(void* sess, size_t n) { sess_of(sess)->out.consume(n); }

uint32_t handshake_done(void* sess) { return SSL_is_init_finished(sess_of(sess)->ssl) ? 1 : 0; }

gantry_io_t shutdown(void* sess) {
  Session* s = sess_of(sess);
  if (!SSL_is_init_finished(s->ssl)) return GANTRY_IO_OK;  // nothing to close yet
  ERR_clear_error();
  int r = SSL_shutdown(s->ssl);
  if (r >= 0) return GANTRY_IO_OK;
  return io_result(s, r, "shutdown");
}

gantry_str_t str(const char* p) {
  return p == nullptr ? gantry_str_t{"", 0} : gantry_str_t{p, std::strlen(p)};
}
gantry_str_t str(const std::string& s) { return gantry_str_t{s.data(), s.size()}; }

// Peer certificate facts are computed once, on first request.
void cache_peer_facts(Session* s) {
  if (s->facts_cached) return;
  s->facts_cached = true;
  X509* peer = peer_certificate(s->ssl);
  if (peer == nullptr) return;
  int len = i2d_X509(peer, nullptr);
  if (len > 0) {
    s->peer_der.resize(static_cast<size_t>(len));
    auto* p = reinterpret_cast<unsigned char*>(&s->peer_der[0]);
    i2d_X509(peer, &p);
  }
  s->peer_subject = subject_line(peer);
  X509_free(peer);
}

gantry_status_t info(void* sess, gantry_tls_info_t* out) {
  if (out == nullptr) return GANTRY_ERR_INVAL;
  Session* s = sess_of(sess);
  SSL* ssl = s->ssl;
  gantry_tls_info_t i{};
  i.struct_size = sizeof i;
  i.handshake_done = SSL_is_init_finished(ssl) ? 1 : 0;
  i.sni = str(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name));
  i.library = str(library_version());
  if (i.handshake_done) {
    const unsigned char* alpn = nullptr;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
    i.alpn =
        alpn_len > 0 ? gantry_str_t{reinterpret_cast<const char*>(alpn), alpn_len} : str(nullptr);
    i.version = str(SSL_get_version(ssl));
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
    i.cipher = str(cipher != nullptr ? SSL_CIPHER_get_name(cipher) : nullptr);
    cache_peer_facts(s);
    i.peer_der = str(s->peer_der);
    i.peer_subject = str(s->peer_subject);
    bool verifying = s->server ? s->server->settings().verify_client != VerifyClient::kNone
                               : s->client->settings().verify;
    i.peer_verified = verifying && !s->peer_der.empty() && SSL_get_verify_result(ssl) == X509_V_OK;
    i.resumed = SSL_session_reused(ssl) ? 1 : 0;
  }
  // The host's struct may be older (shorter) or newer (longer) than ours.
  size_t n = out->struct_size == 0 ? sizeof i : std::min<size_t>(out->struct_size, sizeof i);
  uint32_t their_size = out->struct_size;
  std::memcpy(out, &i, n);
  out->struct_size = their_size == 0 ? static_cast<uint32_t>(sizeof i) : their_size;
  return GANTRY_OK;
}

}  // namespace

gantry_transport_t make_transport(const char* name) {
  gantry_transport_t t{};
  t.struct_size = sizeof t;
  t.name = name;
  t.ctx_new = ctx_new;
  t.ctx_free = ctx_free;
  t.sess_new = sess_new;
  t.sess_free = sess_free;
  t.handshake = handshake;
  t.feed_cipher = feed_cipher;
  t.read_plain = read_plain;
  t.write_plain = write_plain;
  t.peek_cipher = peek_cipher;
  t.consume_cipher = consume_cipher;
  t.handshake_done = handshake_done;
  t.shutdown = shutdown;
  t.info = info;
  return t;
}

}  // namespace gantry::tls
