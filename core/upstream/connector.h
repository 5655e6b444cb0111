#pragma once
// Getting a connection to a server: an idle one from the pool, or a new one
// (socket, the modules' connect hooks, the backend's transport, connect and
// its timer). Results reach the user through UpstreamEvents.
#include <cstddef>
#include <string>

#include "config/config.h"
#include "gantry/module.h"
#include "module_loader/generation.h"
#include "upstream/pool.h"
#include "upstream/upstream_conn.h"

namespace gantry::upstream {

// Everything about one server of one config generation that connecting needs.
struct ConnectTarget {
  const config::Address* address = nullptr;
  const std::string* pool_key = nullptr;       // server identity + transport context
  const modules::Generation* gen = nullptr;    // for the connect hooks
  const modules::ScopeState* scope = nullptr;  // the backend's module state and transport
  const std::string* tls_server_name = nullptr;
  UpstreamConn::Keep keep;
  uint64_t connect_timeout_ms = 0;
};

struct Acquired {
  enum class How : uint8_t {
    kPooled,      // connected already; the user goes on at once
    kConnecting,  // on_upstream_ready or on_upstream_connect_failed follows
    kFailed,      // no socket, or a module refused it; nothing follows
  };
  UpstreamConn* conn = nullptr;  // null when kFailed
  How how = How::kFailed;
};

// `stream` and `pending` are what the modules' on_connect_upstream hooks see.
// A non-empty `proxy_header` goes first on a new connection, which then
// belongs to that client alone: never taken from the pool nor put back.
// `fresh`: never an idle pooled connection (a retry after one died).
Acquired acquire(Pool& pool, const ConnectTarget& t, UpstreamEvents* user,
                 gantry_stream_t* stream, size_t pending, const std::string& proxy_header = {},
                 bool fresh = false);

}  // namespace gantry::upstream
