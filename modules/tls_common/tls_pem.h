#pragma once
// Reading certificates, keys and OCSP responses from files into library
// objects, with messages that name the file and the config key.
#include <memory>
#include <string>
#include <vector>

#include "tls_compat.h"
#include "tls_settings.h"

namespace gantry::tls {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct ChainFree {
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};
struct CtxFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using ChainPtr = std::unique_ptr<STACK_OF(X509), ChainFree>;
using CtxPtr = std::unique_ptr<SSL_CTX, CtxFree>;

struct LoadedCert {
  X509Ptr leaf;
  ChainPtr chain;  // intermediates, may be empty
  PkeyPtr key;
  bool ecdsa = false;              // key type: EC, else RSA (or other)
  std::vector<std::string> names;  // lower-case DNS names (SAN, else CN)
  std::string ocsp;                // DER response to staple; empty: none
};

// Whole file into *out; false with a reason (strerror) otherwise.
bool read_file(const std::string& path, std::string* out, std::string* why);

// Loads cert (+chain), key and OCSP file of one CertSpec and checks that the
// key matches. An expired or not yet valid certificate is a warning.
bool load_cert(const CertSpec& spec, Reporter& rep, LoadedCert* out);

// Lower-case DNS names a certificate is valid for (SAN dNSName, else CN).
std::vector<std::string> cert_names(X509* x);

// One-line RFC 2253 subject.
std::string subject_line(X509* x);

// The certificate's notAfter as Unix seconds; 0 if it cannot be read.
int64_t not_after_unix(X509* x);

}  // namespace gantry::tls
