#pragma once
#include "gantry/module.h"

namespace gantry::downstream {
// The connection services of the host table (conn_*).
void fill_conn_services(gantry_host_api_t* api);
}  // namespace gantry::downstream
