#pragma once
#include "gantry/module.h"

namespace gantry::exchange {
// The stream services of the host table (stream_conn, req_*, resp_*, route_*,
// respond, log_note, resume, set_balance_key).
void fill_stream_services(gantry_host_api_t* api);
}  // namespace gantry::exchange
