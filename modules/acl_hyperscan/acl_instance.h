#pragma once
// One instance per config generation: the parsed rules, the compiled
// databases (shared read-only by every worker) and per-worker scan state.
#include <mutex>
#include <vector>

#include "acl_config.h"
#include "field_matcher.h"
#include "gantry/module.h"

namespace gantry::acl {

// Scan state of one worker. Only that worker's loop touches it, so the
// request path takes no lock.
struct WorkerState {
  ScratchPtr scratch;
  std::vector<uint64_t> bits;    // bit p: string predicate p matched
  std::vector<uint8_t> scanned;  // per field: already scanned for this request
};

struct AclInstance {
  const gantry_host_api_t* host = nullptr;
  gantry_module_t* self = nullptr;
  AclConfig cfg;
  FieldMatcher matcher;
  std::vector<WorkerState> workers;  // indexed by host->worker_index()
  // For calls from a thread that is not a worker (worker_index() == -1),
  // which the core should not make; kept so such a call is merely slow.
  WorkerState spare;
  std::mutex spare_mu;
};

// Runs the rules for one request. THREAD: LOOP, with that worker's state.
gantry_action_t evaluate_request(const AclInstance& inst, gantry_stream_t* s, WorkerState* ws);

}  // namespace gantry::acl
