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

gantry_str_t str(const char* p) {
  return p == nullptr ? gantry_str_t{"", 0} : gantry_str_t{p, std::strlen(p)};
}
gantry_str_t str(const std::string& s) { return gantry_str_t{s.data(), s.size()}; }

}  // namespace

// --- Context --------------------------------------------------------------

std::unique_ptr<Session> TransportCtx::new_session(const gantry_sess_params_t& params) {
  if (server) return new_server_session(server);
  std::string name = params.server_name.len > 0
                         ? std::string(params.server_name.ptr, params.server_name.len)
                         : client->settings().server_name;
  return new_client_session(client, name);
}

// --- Session --------------------------------------------------------------

gantry_io_t Session::io_result(int r, const char* what) {
  switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ:
      return GANTRY_IO_WANT_READ;
    case SSL_ERROR_ZERO_RETURN:
      return GANTRY_IO_CLOSED;
    default: {
      // A client speaking plain HTTP or garbage lands here: not worth more
      // than a debug line, the host closes the connection.
      std::string why = take_ssl_errors();
      log(host(), GANTRY_LOG_DEBUG, "TLS %s failed: %s", what,
          why.empty() ? "protocol error" : why.c_str());
      return GANTRY_IO_ERROR;
    }
  }
}

gantry_io_t Session::handshake() {
  ERR_clear_error();
  int r = SSL_do_handshake(ssl);
  return r == 1 ? GANTRY_IO_OK : io_result(r, "handshake");
}

gantry_io_t Session::feed_cipher(const uint8_t* p, size_t n, size_t* used) {
  size_t held = in.size();
  size_t take = held >= kInLimit ? 0 : std::min(n, kInLimit - held);
  in.append(p, take);
  *used = take;
  return GANTRY_IO_OK;
}

gantry_io_t Session::read_plain(uint8_t* buf, size_t cap, size_t* got) {
  *got = 0;
  ERR_clear_error();
  int r = SSL_read(ssl, buf, static_cast<int>(std::min<size_t>(cap, INT32_MAX)));
  if (r > 0) {
    *got = static_cast<size_t>(r);
    return GANTRY_IO_OK;
  }
  return io_result(r, SSL_is_init_finished(ssl) ? "read" : "handshake");
}

gantry_io_t Session::write_plain(const uint8_t* p, size_t n, size_t* used) {
  *used = 0;
  if (!SSL_is_init_finished(ssl)) return GANTRY_IO_WANT_READ;
  size_t done = 0;
  while (done < n && (done == 0 || out.size() < kOutHighWater)) {
    int chunk = static_cast<int>(std::min<size_t>(n - done, kMaxRecordPlain));
    ERR_clear_error();
    int r = SSL_write(ssl, p + done, chunk);
    if (r <= 0) {
      *used = done;
      return done > 0 ? GANTRY_IO_OK : io_result(r, "write");
    }
    done += static_cast<size_t>(r);
  }
  *used = done;
  return GANTRY_IO_OK;
}

size_t Session::peek_cipher(const uint8_t** p) {
  *p = out.data();
  return out.size();
}

bool Session::handshake_done() const { return SSL_is_init_finished(ssl); }

gantry_io_t Session::shutdown() {
  if (!SSL_is_init_finished(ssl)) return GANTRY_IO_OK;  // nothing to close yet
  ERR_clear_error();
  int r = SSL_shutdown(ssl);
  if (r >= 0) return GANTRY_IO_OK;
  return io_result(r, "shutdown");
}

// Peer certificate facts are computed once, on first request.
void Session::cache_peer_facts() {
  if (facts_cached) return;
  facts_cached = true;
  X509* peer = peer_certificate(ssl);
  if (peer == nullptr) return;
  int len = i2d_X509(peer, nullptr);
  if (len > 0) {
    peer_der.resize(static_cast<size_t>(len));
    auto* p = reinterpret_cast<unsigned char*>(&peer_der[0]);
    i2d_X509(peer, &p);
  }
  peer_subject = subject_line(peer);
  X509_free(peer);
}

// The layer hands a zeroed struct of this SDK's size and copies what the
// host's struct holds.
gantry_status_t Session::info(gantry_tls_info_t& i) {
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
    cache_peer_facts();
    i.peer_der = str(peer_der);
    i.peer_subject = str(peer_subject);
    bool verifying = server ? server->settings().verify_client != VerifyClient::kNone
                            : client->settings().verify;
    i.peer_verified = verifying && !peer_der.empty() && SSL_get_verify_result(ssl) == X509_V_OK;
    i.resumed = SSL_session_reused(ssl) ? 1 : 0;
  }
  return GANTRY_OK;
}

}  // namespace gantry::tls
