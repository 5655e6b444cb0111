// The module class. Compiled once per TLS library: the build defines
// GANTRY_TLS_PROVIDER ("tls-boringssl" / "tls-openssl") and
// GANTRY_TLS_MODULE_NAME.
#include <memory>
#include <utility>

#include "gantry/module.hpp"
#include "tls_compat.h"
#include "tls_module.h"
#include "tls_session.h"
#include "tls_settings.h"
#include "tls_transport.h"

#if !defined(GANTRY_TLS_PROVIDER) || !defined(GANTRY_TLS_MODULE_NAME)
#error "the build must define GANTRY_TLS_PROVIDER and GANTRY_TLS_MODULE_NAME"
#endif

namespace gantry::tls {
namespace {

// Immutable after construction, so every worker may read it.
class TlsModule : public gantry::Module {
 public:
  static constexpr const char* kName = GANTRY_TLS_MODULE_NAME;
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "TLS termination and re-encryption (" GANTRY_TLS_PROVIDER ")";
  static constexpr uint64_t kCapabilities = GANTRY_CAP_TRANSPORT;
  static constexpr const gantry_config_key_t* kConfigKeys = tls::kConfigKeys;
  // provider = "<kTransportName>" in a [listener.tls] / [backend.tls] table.
  static constexpr const char* kTransportName = GANTRY_TLS_PROVIDER;
  using TransportContext = TransportCtx;

  explicit TlsModule(gantry::Host host) : Module(host) {
#if !defined(OPENSSL_IS_BORINGSSL)
    // The static OpenSSL inside this module: no exit handler (the module is
    // never unloaded, contexts may be freed late) and no system openssl.cnf,
    // so both providers behave alike whatever the host's OpenSSL config says.
    if (OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_NO_LOAD_CONFIG, nullptr) != 1)
      throw gantry::Error(GANTRY_ERR_GENERIC, "OpenSSL initialisation failed");
#endif
    init_bio_method();
  }

  // MAIN, once per [listener.tls] (is_server) or [backend.tls] table.
  std::unique_ptr<TransportCtx> transport_new(gantry::Config table, bool is_server) {
    Reporter rep(host());
    if (!table) {
      rep.error(Where{}, "no TLS settings");
      rep.raise();
    }
    Settings settings;
    if (!parse_settings(host(), table, is_server, rep, &settings)) rep.raise();
    auto t = std::make_unique<TransportCtx>();
    if (is_server) {
      t->server = std::make_shared<ServerState>(host(), std::move(settings));
      if (!t->server->init(rep)) rep.raise();
    } else {
      t->client = std::make_shared<ClientState>(host(), std::move(settings));
      if (!t->client->init(rep)) rep.raise();
    }
    return t;
  }
};

}  // namespace
}  // namespace gantry::tls

GANTRY_CPP_MODULE(gantry::tls::TlsModule)
