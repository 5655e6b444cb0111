#pragma once
// The [listener.tls] / [backend.tls] table, read once at ctx_new into plain
// values. File paths are kept (not their contents) so a certificate reload
// can read them again.
#include <cstdint>
#include <string>
#include <vector>

#include "tls_module.h"

namespace gantry::tls {

// A file named in the config: absolute path plus where it was named.
struct FileRef {
  std::string path;  // empty: not configured
  Where at;
  bool empty() const { return path.empty(); }
};

// One certificate (chain) with its key; the key may live in the cert file.
struct CertSpec {
  FileRef cert;
  FileRef key;   // empty: the key is in the cert file
  FileRef ocsp;  // DER OCSP response to staple; empty: none
};

enum class VerifyClient { kNone, kOptional, kRequired };

struct Settings {
  bool is_server = true;
  Where table;  // the tls table itself

  // Both sides.
  std::vector<std::string> alpn = {"http/1.1"};  // as configured (may hold "h2")
  Where alpn_at;
  int min_version = 0;  // TLS1_2_VERSION unless set
  int max_version = 0;  // 0: the library's highest
  std::string ciphers;  // TLS 1.2 and below; empty: our default
  Where ciphers_at;
  std::string ciphersuites;  // TLS 1.3; empty: the library's default
  Where ciphersuites_at;
  std::string curves;  // empty: the library's default
  Where curves_at;

  // Server side (listeners).
  std::vector<CertSpec> certs;  // [0] is the default certificate
  bool strict_sni = false;
  bool session_tickets = true;
  std::vector<FileRef> ticket_keys;    // [0] encrypts new tickets
  int64_t session_cache_size = 20480;  // 0: no server-side cache
  int64_t session_timeout_s = 300;
  VerifyClient verify_client = VerifyClient::kNone;
  FileRef client_ca;
  int64_t reload_interval_ms = 1000;  // 0: never look at the files again

  // Client side (backends).
  bool verify = true;
  FileRef ca;  // empty: the system's trust store
  std::string server_name;
  FileRef client_cert;
  FileRef client_key;
};

// Reads and checks the table. Returns false after reporting the first error.
bool parse_settings(const gantry::Host& host, const gantry::Config& table, bool is_server,
                    Reporter& rep, Settings* out);

// The accepted keys (scope GANTRY_SCOPE_TRANSPORT), ending with a NULL name.
extern const gantry_config_key_t kConfigKeys[];

}  // namespace gantry::tls
