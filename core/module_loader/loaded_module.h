#pragma once
// A module's .so, opened once per real path for the life of the process and
// never closed: code of an old generation may still be running, and TLS
// libraries pin themselves anyway. Its descriptor, hook table, transport and
// config keys are copied into the host's layout at load time.
#include <string>
#include <vector>

#include "gantry/module.h"
#include "util/result.h"

namespace gantry::modules {

struct LoadedModule {
  std::string path;  // realpath of the .so
  void* handle = nullptr;
  gantry_module_desc_t desc{};  // host layout; strings still point into the .so
  gantry_hooks_t hooks{};       // host layout, unknown tail zeroed
  bool has_transport = false;
  gantry_transport_t transport{};         // valid when has_transport
  std::vector<gantry_config_key_t> keys;  // host layout, without the NULL terminator
};

// Opens `path` (or returns the module already opened from the same real
// path) and checks it: entry symbol, ABI major, minimum host minor, struct
// sizes, transport and key tables. The error says only what is wrong with
// the file; callers add which config entry asked for it.
Result<const LoadedModule*> load_module(const std::string& path);

// Names of GANTRY_CAP_* bits, e.g. "transport,routing".
std::string capability_names(uint64_t caps);
const char* scope_name(uint32_t scope);

}  // namespace gantry::modules
