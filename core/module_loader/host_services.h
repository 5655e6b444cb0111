#pragma once
// The host function table is assembled from two halves owned by two layers:
// config-node services (module_loader) and runtime services (proxy, loop).
#include "gantry/module.h"

namespace gantry::modules {

// module_loader/host_config.cc: log, alloc/free, error_*, cfg_*.
void fill_config_services(gantry_host_api_t* api);

// proxy/host_runtime.cc: worker_*, post, conn_*, stream, request, response.
void fill_runtime_services(gantry_host_api_t* api);

}  // namespace gantry::modules
