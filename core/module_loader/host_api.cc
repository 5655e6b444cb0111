// The one host function table, assembled from its two halves on first use.
#include <cstring>

#include "module_loader/generation.h"
#include "module_loader/host_services.h"

namespace gantry::modules {
namespace {

gantry_host_api_t* build_host_api() {
  static gantry_host_api_t api;
  std::memset(&api, 0, sizeof api);
  api.struct_size = sizeof api;
  api.abi_major = GANTRY_ABI_MAJOR;
  api.abi_minor = GANTRY_ABI_MINOR;
  api.host_version = "gantry " GANTRY_VERSION;
  fill_config_services(&api);
  fill_runtime_services(&api);
  return &api;
}

}  // namespace

const gantry_host_api_t* host_api() {
  static const gantry_host_api_t* api = build_host_api();  // thread-safe init
  return api;
}

}  // namespace gantry::modules
