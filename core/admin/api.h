#pragma once
// The runtime API's JSON documents and changes (nlohmann::json).
#include <string>

#include "admin/controller.h"
#include "admin/http_conn.h"

namespace gantry::admin {

// GET /api/backends: every backend and server with state, weight, active
// requests, health and counters (`m`: the workers' sum).
std::string backends_json(const runtime::Snapshot& snap, const metrics::WorkerMetrics& m);
// GET /api/generation: generation, modules, listeners.
std::string generation_json(const runtime::Snapshot& snap);
// POST /api/backends/{b}/servers/{s}/state or .../weight; body is JSON.
Response change_server(Controller* ctl, const std::string& backend, const std::string& server,
                       const std::string& what, const std::string& body);
// POST /api/backends/{b}/servers (add) and DELETE .../servers/{s} (remove).
Response add_server(Controller* ctl, const std::string& backend, const std::string& body);
Response remove_server(Controller* ctl, const std::string& backend, const std::string& server);

Response json_response(int status, const std::string& body);
Response json_error(int status, const std::string& message);

}  // namespace gantry::admin
