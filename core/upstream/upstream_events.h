#pragma once
// What an upstream connection reports to whoever uses it (the exchange). The
// upstream room never knows who that is: it calls up through this interface.
#include <cstddef>

namespace gantry::upstream {

class UpstreamEvents {
 public:
  virtual ~UpstreamEvents() = default;
  // A fresh connection (and its TLS handshake) is up.
  virtual void on_upstream_ready() = 0;
  // A fresh connection failed before it was up (refused, unreachable, TLS).
  virtual void on_upstream_connect_failed(int err) = 0;
  // Bytes from the server; they live in the worker's scratch buffer only
  // until return.
  virtual void on_upstream_data(const char* p, size_t n) = 0;
  virtual void on_upstream_eof() = 0;
  virtual void on_upstream_error(int err) = 0;  // a uv error code
  // The connect timer or the inactivity timer the user set ran out.
  virtual void on_upstream_timeout() = 0;
  // The write queue toward the server drained below the low watermark.
  virtual void on_upstream_drained() = 0;
};

}  // namespace gantry::upstream
