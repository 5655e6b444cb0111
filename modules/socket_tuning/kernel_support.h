#pragma once
// Load-time checks: every configured option is tried once on a throwaway
// socket, so an option this kernel (or this process's privileges) refuses
// is reported by name at load and then left out, instead of failing on
// every connection. Also warns where a sysctl makes an option ineffective.
#include "gantry/module.hpp"
#include "load_reports.h"
#include "options.h"

namespace socket_tuning {

// Throws gantry::ConfigError (at `table`'s key) when an option cannot work at
// all on this host, e.g. a `source` address that is not local.
void check_kernel_support(LoadReports& reports, const gantry::Config& table, Scope* s);

}  // namespace socket_tuning
