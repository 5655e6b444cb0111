#pragma once
// A config generation: the immutable Config plus the module instances and
// per-listener/backend module state built for it. Built and destroyed on the
// main thread; workers hold it through shared_ptr and only read it.
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "gantry/module.h"
#include "util/result.h"

namespace gantry::modules {

struct LoadedModule;  // process-lifetime: a dlopen'ed .so, never unloaded

// One module instance of this generation, with its hook table copied into the
// host's layout (unknown tail zero-filled) so calls need no size checks.
struct Instance {
  const LoadedModule* module = nullptr;
  gantry_module_t* self = nullptr;  // handle passed back to host->log
  std::string name;                 // config name
  gantry_hooks_t hooks{};           // NULL members: not interested
  void* inst = nullptr;
  bool live = false;  // instance_new succeeded: instance_free is owed
};

// A transport bound to one listener or backend.
struct TransportBinding {
  const gantry_transport_t* transport = nullptr;  // host-layout copy; null: plain
  void* tctx = nullptr;
  size_t instance = 0;  // index in Generation::instances of the provider
  bool live = false;    // ctx_new succeeded: ctx_free is owed
};

struct ScopeState {
  std::vector<void*> scope_ctx;  // one per instance (null if none)
  TransportBinding tls;
  std::vector<uint8_t> scope_live;  // per instance: scope_new succeeded, scope_free is owed
};

struct Generation {
  std::shared_ptr<const config::Config> config;
  std::vector<Instance> instances;      // config order = hook order
  std::vector<ScopeState> listeners;    // parallel to config->listeners
  std::vector<ScopeState> backends;     // parallel to config->backends

  // Indices into `instances` of those that implement a hook, so the data path
  // skips uninterested modules without testing every member.
  std::vector<size_t> with_accept, with_handshake, with_request_headers, with_upgrade,
      with_connect_upstream, with_response_headers, with_tunnel_data, with_log,
      with_stream_end, with_conn_close, with_listening;

  Generation() = default;
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;
  // Frees transport contexts, scope contexts, then instances (reverse order).
  // Must run on the main thread: use make_generation_ptr's deleter.
  ~Generation();
};

// Load every module the config names (once per path per process), validate
// their config tables against their declared keys, and build the instances.
// On failure nothing of the new generation survives and the message names the
// module and the file:line of the key at fault.
Result<std::shared_ptr<Generation>> build_generation(std::shared_ptr<const config::Config> cfg);

// The host function table handed to modules (process lifetime).
const gantry_host_api_t* host_api();

}  // namespace gantry::modules
