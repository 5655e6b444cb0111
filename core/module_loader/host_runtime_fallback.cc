// Stand-in for the runtime half of the host table (proxy/host_runtime.cc)
// so config-only programs and tests link. It leaves those members NULL.
//
// CAUTION: in a static library the linker extracts the first archive member
// that defines an undefined symbol, and a weak definition found first is
// kept. Once proxy/host_runtime.cc defines fill_runtime_services, delete this
// file, or make sure that object is pulled into every link by another symbol.
#include "module_loader/host_services.h"

namespace gantry::modules {

__attribute__((weak)) void fill_runtime_services(gantry_host_api_t*) {}

}  // namespace gantry::modules
