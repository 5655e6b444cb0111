#pragma once
// Applies parsed options to host-owned sockets. Only setsockopt/getsockopt,
// plus bind() of an unconnected backend socket to its `source` address.
#include <cstddef>

#include "options.h"

namespace socket_tuning {

// Which option failed, for the log line.
struct ApplyError {
  const char* option = nullptr;
  int err = 0;
};

// Listening socket, before listen(). Connection options go here too: Linux
// copies them into every accepted socket, so they cost nothing per accept
// and already shape the SYN-ACK (TOS, mark, window from the buffer sizes).
bool apply_listen(const ListenerOptions& o, int fd, ApplyError* e);

// Accepted socket. Re-applies nodelay/keepalive, the two options a core may
// set per connection on its own, and smart accept until the listening
// sockets carry it themselves (see ListenFds).
bool apply_accepted(const ListenerOptions& o, int fd, ApplyError* e);

// Backend socket before connect(); `pending` request bytes are ready.
bool apply_upstream(const BackendOptions& o, int fd, size_t pending, ApplyError* e);

// Sets TCP_QUICKACK off on the recorded listening sockets that listen now.
void settle_listen_quickack(ListenFds* fds);

}  // namespace socket_tuning
