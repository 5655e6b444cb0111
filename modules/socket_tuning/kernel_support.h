#pragma once
// Load-time checks: every configured option is tried once on a throwaway
// socket, so an option this kernel (or this process's privileges) refuses
// is reported by name at load and then left out, instead of failing on
// every connection. Also warns where a sysctl makes an option ineffective.
#include "gantry/module.h"
#include "module_state.h"
#include "options.h"

namespace socket_tuning {

// Returns GANTRY_OK, or an error (via error_at on `table`'s key) when the
// option cannot work at all on this host, e.g. a `source` address that is
// not local.
gantry_status_t check_kernel_support(Module& m, const gantry_cfg_t* table, Scope* s,
                                     gantry_error_t* err);

}  // namespace socket_tuning
