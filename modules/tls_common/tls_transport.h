#pragma once
// The gantry_transport_t this module exports.
#include "gantry/module.h"

namespace gantry::tls {

// name: the provider name used in config (e.g. "tls-openssl").
gantry_transport_t make_transport(const char* name);

}  // namespace gantry::tls
