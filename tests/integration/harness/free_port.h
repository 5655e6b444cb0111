#pragma once
// Loopback port picking. The kernel hands out an unused port for port 0; we
// close the socket and give the number to a process that binds it next. The
// window between close and bind is tiny and ephemeral ports are picked
// randomly, so collisions between parallel tests are rare enough.
#include <cstdint>

namespace gantry::itest {

uint16_t free_port();

// True when something accepts TCP connections on 127.0.0.1:port right now.
bool port_accepts(uint16_t port);

}  // namespace gantry::itest
