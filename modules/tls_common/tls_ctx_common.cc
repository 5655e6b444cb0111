#include "tls_ctx_common.h"

#include <cstring>

namespace gantry::tls {
namespace {

// Forward-secret AEAD suites only (Mozilla "intermediate" for TLS 1.2).
const char kServerCiphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

const char* const kTls13Suites[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                    "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256",
                                    "TLS_AES_128_CCM_8_SHA256"};

std::vector<std::string> split(const std::string& s, const char* seps) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find_first_of(seps, i);
    if (j == std::string::npos) j = s.size();
    std::string tok = s.substr(i, j - i);
    while (!tok.empty() && tok.front() == ' ') tok.erase(0, 1);
    while (!tok.empty() && tok.back() == ' ') tok.pop_back();
    if (!tok.empty()) out.push_back(tok);
    i = j + 1;
  }
  return out;
}

bool cipher_token_known(SSL_CTX* scratch, const std::string& tok) {
  bool ok = SSL_CTX_set_cipher_list(scratch, tok.c_str()) == 1;
  ERR_clear_error();
  return ok;
}

bool validate_ciphers(const Settings& s, Reporter& rep) {
  if (s.ciphers.empty()) return true;
  CtxPtr scratch(SSL_CTX_new(TLS_method()));
  for (std::string tok : split(s.ciphers, ":, ")) {
    // Removals of names this build lacks are harmless; options have no name.
    if (tok[0] == '!' || tok[0] == '-' || tok[0] == '@') continue;
    if (tok[0] == '+') tok.erase(0, 1);
    if (!cipher_token_known(scratch.get(), tok)) {
      std::string hint = tok.rfind("TLS_", 0) == 0 ? " (TLS 1.3 suites go in 'ciphersuites')" : "";
      rep.error(s.ciphers_at, "ciphers: unknown cipher '" + tok + "'" + hint);
      return false;
    }
  }
  if (SSL_CTX_set_cipher_list(scratch.get(), s.ciphers.c_str()) != 1) {
    ERR_clear_error();
    rep.error(s.ciphers_at, "ciphers: the list selects no cipher");
    return false;
  }
  return true;
}

bool validate_suites(const Settings& s, Reporter& rep) {
  if (s.ciphersuites.empty()) return true;
  std::vector<std::string> toks = split(s.ciphersuites, ":, ");
  for (const std::string& tok : toks) {
    bool known = false;
    for (const char* k : kTls13Suites) known = known || tok == k;
    if (!known) {
      rep.error(s.ciphersuites_at, "ciphersuites: unknown TLS 1.3 suite '" + tok + "'");
      return false;
    }
  }
  if (!kCanChooseTls13Suites) {
    rep.warn(s.ciphersuites_at, std::string("ciphersuites: ") + library_version() +
                                    " always offers TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384"
                                    " and TLS_CHACHA20_POLY1305_SHA256; the setting is ignored");
  }
  return true;
}

bool validate_curves(const Settings& s, Reporter& rep) {
  if (s.curves.empty()) return true;
  CtxPtr scratch(SSL_CTX_new(TLS_method()));
  for (const std::string& tok : split(s.curves, ":, ")) {
    if (SSL_CTX_set1_curves_list(scratch.get(), tok.c_str()) != 1) {
      ERR_clear_error();
      rep.error(s.curves_at, "curves: unknown group '" + tok + "'");
      return false;
    }
  }
  return true;
}

}  // namespace

const char* library_version() { return OpenSSL_version(OPENSSL_VERSION); }

bool validate_crypto(const Settings& s, Reporter& rep) {
  return validate_ciphers(s, rep) && validate_suites(s, rep) && validate_curves(s, rep);
}

CtxPtr new_ctx(const Settings& s, Reporter& rep) {
  CtxPtr ctx(SSL_CTX_new(TLS_method()));
  if (!ctx) {
    rep.error(s.table, "cannot create a TLS context: " + take_ssl_errors());
    return nullptr;
  }
  SSL_CTX* c = ctx.get();
  SSL_CTX_set_min_proto_version(c, static_cast<uint16_t>(s.min_version));
  if (s.max_version != 0) SSL_CTX_set_max_proto_version(c, static_cast<uint16_t>(s.max_version));
  const char* ciphers = !s.ciphers.empty() ? s.ciphers.c_str()
                        : s.is_server      ? kServerCiphers
                                           : nullptr;
  if (ciphers != nullptr && SSL_CTX_set_cipher_list(c, ciphers) != 1) {
    rep.error(s.ciphers_at, "ciphers: " + take_ssl_errors());
    return nullptr;
  }
#if !defined(OPENSSL_IS_BORINGSSL)
  if (!s.ciphersuites.empty() && SSL_CTX_set_ciphersuites(c, s.ciphersuites.c_str()) != 1) {
    rep.error(s.ciphersuites_at, "ciphersuites: " + take_ssl_errors());
    return nullptr;
  }
#endif
  if (!s.curves.empty() && SSL_CTX_set1_curves_list(c, s.curves.c_str()) != 1) {
    rep.error(s.curves_at, "curves: " + take_ssl_errors());
    return nullptr;
  }
  // Renegotiation only serves attacks against a proxy; compression leaks (CRIME).
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (s.is_server) SSL_CTX_set_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle connections (WebSocket tunnels) keep no record buffers.
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

std::string alpn_wire(const std::vector<std::string>& protos, bool with_h2) {
  std::string wire;
  for (const std::string& p : protos) {
    if ((p == "h2" && !with_h2) || p.empty() || p.size() > 255) continue;
    wire.push_back(static_cast<char>(p.size()));
    wire += p;
  }
  return wire;
}

}  // namespace gantry::tls
