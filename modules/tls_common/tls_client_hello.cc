#include "tls_client_hello.h"

#include <cctype>

namespace gantry::tls {
namespace {

uint16_t u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

}  // namespace

void parse_sni(const uint8_t* p, size_t n, ClientHelloFacts* out) {
  // ServerNameList: u16 length, then { u8 type, u16 length, name }.
  if (n < 2) return;
  size_t list = u16(p);
  if (list + 2 > n) return;
  p += 2;
  while (list >= 3) {
    uint8_t type = p[0];
    size_t len = u16(p + 1);
    if (len + 3 > list) return;
    if (type == 0 && len > 0) {  // host_name
      std::string name;
      name.reserve(len);
      for (size_t i = 0; i < len; ++i) {
        name.push_back(static_cast<char>(std::tolower(p[3 + i])));
      }
      if (!name.empty() && name.back() == '.') name.pop_back();
      out->sni = name;
      return;
    }
    p += 3 + len;
    list -= 3 + len;
  }
}

void parse_sigalgs(const uint8_t* p, size_t n, ClientHelloFacts* out) {
  if (n < 2) return;
  size_t len = u16(p);
  if (len + 2 > n) return;
  out->has_sigalgs = true;
  for (size_t i = 2; i + 1 < len + 2; i += 2) {
    // ecdsa_secp256r1_sha256 .. ecdsa_secp521r1_sha512 and ecdsa_sha1.
    uint16_t alg = u16(p + i);
    if (alg == 0x0403 || alg == 0x0503 || alg == 0x0603 || alg == 0x0203) {
      out->ecdsa_sigalg = true;
      return;
    }
  }
}

void parse_supported_versions(const uint8_t* p, size_t n, ClientHelloFacts* out) {
  if (n < 1) return;
  size_t len = p[0];
  if (len + 1 > n) return;
  for (size_t i = 1; i + 1 < len + 1; i += 2) {
    if (u16(p + i) == 0x0304) {
      out->offers_tls13 = true;
      return;
    }
  }
}

void parse_cipher_suites(const uint8_t* p, size_t n, ClientHelloFacts* out) {
  for (size_t i = 0; i + 1 < n; i += 2) {
    uint16_t id = u16(p + i);
    // ECDHE_ECDSA with AES-CBC, AES-GCM, AES-CCM and CHACHA20-POLY1305.
    if (id == 0xC009 || id == 0xC00A || id == 0xC023 || id == 0xC024 || id == 0xC02B ||
        id == 0xC02C || id == 0xCCA9 || (id >= 0xC0AC && id <= 0xC0AF)) {
      out->ecdsa_cipher = true;
      return;
    }
  }
}

bool client_takes_ecdsa(const ClientHelloFacts& f, bool tls13_allowed) {
  if (f.offers_tls13 && tls13_allowed) return f.ecdsa_sigalg;
  // TLS 1.2: the suite decides the certificate type; a client without the
  // extension implicitly accepts ecdsa_sha1 (RFC 5246 7.4.1.4.1).
  return f.ecdsa_cipher && (f.ecdsa_sigalg || !f.has_sigalgs);
}

}  // namespace gantry::tls
