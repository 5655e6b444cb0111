#pragma once
// The few places where BoringSSL and OpenSSL 3 differ. Everything else in
// tls_common is written once against the API both libraries share.
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#include <openssl/core_names.h>
#endif

namespace gantry::tls {

// Peer certificate with a reference the caller releases with X509_free.
inline X509* peer_certificate(const SSL* ssl) {
#if defined(OPENSSL_IS_BORINGSSL)
  return SSL_get_peer_certificate(ssl);
#else
  return SSL_get1_peer_certificate(ssl);
#endif
}

// True if this library can negotiate the given TLS 1.3 suite configuration.
// BoringSSL fixes its TLS 1.3 suites; only OpenSSL can narrow them.
constexpr bool kCanChooseTls13Suites =
#if defined(OPENSSL_IS_BORINGSSL)
    false;
#else
    true;
#endif

}  // namespace gantry::tls
