#pragma once
#include "config/config.h"

namespace gantry::net {

// A bound, not yet listening, non-blocking TCP socket with SO_REUSEPORT, so
// each worker can own one for the same address and the kernel spreads
// connections. Returns the fd or -errno.
int make_listen_socket(const config::Address& addr);

}  // namespace gantry::net
