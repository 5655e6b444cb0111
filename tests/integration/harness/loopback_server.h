#pragma once
// Pieces every in-process test server shares: a listening socket on
// 127.0.0.1 with a port the kernel picks, and a write that keeps going until
// every byte is out, the peer is gone, or the server is stopping.
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace gantry::itest {

// A listening TCP socket on 127.0.0.1:0; its port goes to *port. -1 on failure.
int listen_on_loopback(uint16_t* port, int backlog);

// Writes all n bytes to a connected socket, polling so `stop` is noticed.
// False when the peer closed or `stop` became true; `sent` (optional) counts
// the bytes written.
bool send_all_until_stopped(int fd, const char* p, size_t n, const std::atomic<bool>& stop,
                            std::atomic<uint64_t>* sent = nullptr);

}  // namespace gantry::itest
