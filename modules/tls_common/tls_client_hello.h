#pragma once
// What certificate selection needs from a ClientHello, parsed from the raw
// extension bytes both libraries hand to their early callback.
#include <cstddef>
#include <cstdint>
#include <string>

namespace gantry::tls {

struct ClientHelloFacts {
  std::string sni;            // lower-case, no trailing dot; empty: none sent
  bool ecdsa_sigalg = false;  // signature_algorithms lists an ECDSA scheme
  bool has_sigalgs = false;
  bool offers_tls13 = false;  // supported_versions lists TLS 1.3
  bool ecdsa_cipher = false;  // a TLS 1.2 ECDHE-ECDSA suite is offered
};

// Each takes the body of the extension (without type and length).
void parse_sni(const uint8_t* p, size_t n, ClientHelloFacts* out);
void parse_sigalgs(const uint8_t* p, size_t n, ClientHelloFacts* out);
void parse_supported_versions(const uint8_t* p, size_t n, ClientHelloFacts* out);
// The cipher_suites vector (2-byte ids, no length prefix).
void parse_cipher_suites(const uint8_t* p, size_t n, ClientHelloFacts* out);

// Whether an ECDSA certificate can serve this client.
bool client_takes_ecdsa(const ClientHelloFacts& f, bool tls13_allowed);

}  // namespace gantry::tls
