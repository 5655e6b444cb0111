#pragma once
// The context behind one [listener.tls] or [backend.tls] table: what the
// SDK's transport layer asks for a new session.
#include <memory>

#include "gantry/module.hpp"
#include "tls_client.h"
#include "tls_server.h"
#include "tls_session.h"

namespace gantry::tls {

struct TransportCtx {
  std::shared_ptr<ServerState> server;  // a listener's
  std::shared_ptr<ClientState> client;  // a backend's

  // LOOP. Null when the library cannot make the session.
  std::unique_ptr<Session> new_session(const gantry_sess_params_t& params);
};

}  // namespace gantry::tls
