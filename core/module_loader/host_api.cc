// The one host function table. Config and worker services are filled here;
// connection and stream services are installed by the layers that own them.
#include <cstring>

#include "module_loader/generation.h"
#include "module_loader/host_services.h"

namespace gantry::modules {
namespace {

gantry_host_api_t* table() {
  static gantry_host_api_t* api = [] {
    static gantry_host_api_t t;
    std::memset(&t, 0, sizeof t);
    t.struct_size = sizeof t;
    t.abi_major = GANTRY_ABI_MAJOR;
    t.abi_minor = GANTRY_ABI_MINOR;
    t.host_version = "gantry " GANTRY_VERSION;
    fill_config_services(&t);
    fill_worker_services(&t);
    return &t;
  }();  // thread-safe init
  return api;
}

}  // namespace

void install_host_services(FillServices fill) { fill(table()); }

const gantry_host_api_t* host_api() { return table(); }

}  // namespace gantry::modules
