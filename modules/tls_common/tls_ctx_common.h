#pragma once
// SSL_CTX settings shared by listeners and backends: versions, ciphers,
// curves, ALPN wire format.
#include <string>
#include <vector>

#include "tls_pem.h"
#include "tls_settings.h"

namespace gantry::tls {

// Checks ciphers, ciphersuites and curves name by name, so an error names the
// unknown entry. Runs once at ctx_new.
bool validate_crypto(const Settings& s, Reporter& rep);

// A new SSL_CTX with versions, ciphers, curves and options applied.
CtxPtr new_ctx(const Settings& s, Reporter& rep);

// ALPN protocols in wire format (length-prefixed). The core speaks HTTP/2
// to clients only: toward backends "h2" is left out.
std::string alpn_wire(const std::vector<std::string>& protos, bool with_h2);

// The TLS library's own identification, e.g. "OpenSSL 3.0.11 19 Sep 2023"
// or "BoringSSL".
const char* library_version();

}  // namespace gantry::tls
