#pragma once
// The checks themselves: each reads what it needs through a SystemView and
// returns findings; none changes anything.
#include "doctor/demand.h"
#include "doctor/finding.h"
#include "doctor/system_view.h"

namespace gantry::doctor {

Findings check_conntrack(const SystemView& sys, const Demand& d);
Findings check_ports_and_reuse(const SystemView& sys, const Demand& d);
Findings check_backlogs(const SystemView& sys, const Demand& d);
Findings check_file_limits(const SystemView& sys, const Demand& d);
Findings check_fastopen(const SystemView& sys, const Demand& d);
Findings check_virtualization(const SystemView& sys, const Demand& d);

// Every check above, in a stable order.
Findings run_all_checks(const SystemView& sys, const Demand& d);

// "sysctl -w key=value" (quoted when the value has spaces).
std::string sysctl_command(const std::string& key, const std::string& value);

}  // namespace gantry::doctor
