#pragma once
// `gantry doctor`: reads the kernel settings and limits that matter to a
// proxy, compares them with what the config needs, and says for each one
// its value, the recommended value, why, and the `sysctl -w` line. It
// changes nothing; --write-sysctl writes a sysctl.d drop-in and
// --write-systemd a gantry.service drop-in (LimitNOFILE) for the operator
// to install.
#include "config/config.h"

namespace gantry::doctor {

// argv[0] is "doctor". Options: -c FILE, --root DIR (prefix for /proc and
// /sys), --write-sysctl FILE, --write-systemd FILE, -h. Exit code: 0 nothing to fix, 1 at least
// one finding to fix, 2 usage, config or I/O error.
int main(int argc, char** argv);

// One log line per finding (WARN for those to fix), for the startup log.
void log_startup_summary(const gantry::config::Config& cfg);

}  // namespace gantry::doctor
