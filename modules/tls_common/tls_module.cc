// The module's descriptor and instance. Compiled once per TLS library: the
// build defines GANTRY_TLS_PROVIDER ("tls-boringssl" / "tls-openssl") and
// GANTRY_TLS_MODULE_NAME.
#include "tls_module.h"

#include <new>

#include "tls_compat.h"
#include "tls_session.h"
#include "tls_settings.h"
#include "tls_transport.h"

#if !defined(GANTRY_TLS_PROVIDER) || !defined(GANTRY_TLS_MODULE_NAME)
#error "the build must define GANTRY_TLS_PROVIDER and GANTRY_TLS_MODULE_NAME"
#endif

namespace gantry::tls {
namespace {

gantry_status_t instance_new(const gantry_host_api_t* host, gantry_module_t* self,
                             const gantry_cfg_t* /*config*/, void** inst, gantry_error_t* err) {
#if !defined(OPENSSL_IS_BORINGSSL)
  // The static OpenSSL inside this module: no exit handler (the module is
  // never unloaded, contexts may be freed late) and no system openssl.cnf, so
  // both providers behave alike whatever the host's OpenSSL config says.
  if (OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_NO_LOAD_CONFIG, nullptr) != 1) {
    host->error_set(err, GANTRY_ERR_GENERIC, "OpenSSL initialisation failed");
    return GANTRY_ERR_GENERIC;
  }
#endif
  init_bio_method();
  auto* mod = new (std::nothrow) Module{host, self};
  if (mod == nullptr) {
    host->error_set(err, GANTRY_ERR_NOMEM, "out of memory");
    return GANTRY_ERR_NOMEM;
  }
  *inst = mod;
  return GANTRY_OK;
}

void instance_free(void* inst) { delete static_cast<Module*>(inst); }

}  // namespace
}  // namespace gantry::tls

GANTRY_MODULE_ENTRY {
  // Built on first call, not at dlopen: static constructors stay trivial.
  static const gantry_hooks_t hooks = [] {
    gantry_hooks_t h{};
    h.struct_size = sizeof h;
    h.instance_new = gantry::tls::instance_new;
    h.instance_free = gantry::tls::instance_free;
    return h;
  }();
  static const gantry_transport_t transport = gantry::tls::make_transport(GANTRY_TLS_PROVIDER);
  static const gantry_module_desc_t desc = {
      GANTRY_DESC_INIT,
      GANTRY_TLS_MODULE_NAME,
      "1.0.0",
      "TLS termination and re-encryption (" GANTRY_TLS_PROVIDER ")",
      GANTRY_CAP_TRANSPORT,
      gantry::tls::kConfigKeys,
      &hooks,
      &transport,
  };
  return &desc;
}
