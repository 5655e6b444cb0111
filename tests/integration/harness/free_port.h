#pragma once
// Loopback ports for the servers a test starts, safe under `ctest -j`.
//
// free_port() binds a socket to 127.0.0.1:0 with SO_REUSEADDR and
// SO_REUSEPORT and keeps it open, bound but not listening, for the life of
// the test process. While it is held the kernel gives that port to no other
// bind(0) and no outgoing connection, and another test's free_port() cannot
// return it, so two tests never pick the same port. A server that binds with
// SO_REUSEPORT as the same user (gantry's listeners, nginx with `reuseport`)
// binds next to the reservation; connections only ever reach a socket that
// listens. A server that cannot share the port is started after
// release_port(), and retries on a new port if it loses the race (the
// fixture does this for gantry: IntegrationTest::start_gantry).
#include <cstdint>

namespace gantry::itest {

uint16_t free_port();

// Closes the reservation of a port from free_port() (no-op for any other).
void release_port(uint16_t port);

// True when process `pid` itself has a socket listening on TCP `port` (any
// local address), from /proc/net/tcp{,6} and the process's fds. A connect()
// test could be answered by another program on that port.
bool process_listens_on(int pid, uint16_t port);

// A listening socket on 127.0.0.1:port bound without SO_REUSEADDR or
// SO_REUSEPORT: while it is open nothing else can bind the port (tests use it
// to make a port "taken"). Release the port's reservation first.
class PortBlocker {
 public:
  explicit PortBlocker(uint16_t port);
  ~PortBlocker() { release(); }
  PortBlocker(const PortBlocker&) = delete;
  PortBlocker& operator=(const PortBlocker&) = delete;
  bool ok() const { return fd_ >= 0; }
  void release();

 private:
  int fd_ = -1;
};

}  // namespace gantry::itest
