#pragma once
// The module class, one instance per config generation: the parsed rules,
// the compiled databases (shared read-only by every worker) and per-worker
// scan state.
#include <mutex>
#include <string>
#include <vector>

#include "acl_config.h"
#include "field_matcher.h"
#include "gantry/module.hpp"

namespace gantry::acl {

// Scan state of one worker. Only that worker's loop touches it, so the
// request path takes no lock.
struct WorkerState {
  ScratchPtr scratch;
  std::vector<uint64_t> bits;    // bit p: string predicate p matched
  std::vector<uint8_t> scanned;  // per field: already scanned for this request
};

class AclModule : public gantry::Module {
 public:
  static constexpr const char* kName = "acl_hyperscan";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "HAProxy-style ACL routing; all patterns matched in one Hyperscan scan per field";
  static constexpr uint64_t kCapabilities = GANTRY_CAP_ROUTING | GANTRY_CAP_HEADERS;
  static constexpr gantry_config_key_t kConfigKeys[] = {
      gantry::key("acl", GANTRY_CFG_ARRAY, false,
                  "[[acl]] tables: name + one predicate (path_reg, host, src, ...)"),
      gantry::key("rule", GANTRY_CFG_ARRAY, false,
                  "[[rule]] tables, in order: if/unless + use_backend, deny, redirect, respond, "
                  "header/path actions"),
      gantry::key("default_backend", GANTRY_CFG_STRING, false,
                  "backend for requests no use_backend rule took (default: leave to core routes)"),
      gantry::key("cache_dir", GANTRY_CFG_STRING, false,
                  "compiled database cache: \"auto\" (default), \"off\", or a directory"),
      gantry::keys_end()};

  // MAIN: parses the config and compiles (or loads) the databases.
  AclModule(gantry::Host host, gantry::Config config);

  // LOOP: routes, rewrites, answers or denies one request.
  gantry_action_t on_request_headers(gantry::Request& req);

  const AclConfig& cfg() const { return cfg_; }
  const FieldMatcher& matcher() const { return matcher_; }

 private:
  void build(const gantry::Config& config);
  bool init_workers(std::string* why);
  void register_metrics();

  AclConfig cfg_;
  FieldMatcher matcher_;
  gantry::PerWorker<WorkerState> workers_;
  // For calls from a thread that is not a worker (worker_index() == -1),
  // which the core should not make; kept so such a call is merely slow.
  WorkerState spare_;
  std::mutex spare_mu_;
};

// Runs the rules for one request. THREAD: LOOP, with that worker's state.
gantry_action_t evaluate_request(const AclModule& acl, const gantry::Request& req, WorkerState* ws);

}  // namespace gantry::acl
