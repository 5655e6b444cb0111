#pragma once
// `gantry -t`: load the config and build (then drop) a generation, so module
// keys and module initialisation are checked exactly as a start would.
#include <cstdio>
#include <string>

namespace gantry::modules {

// Prints "<file>: configuration is valid" or the first error, each on one
// line to `out`. Returns 0 when valid, 1 otherwise.
int check_config_cli(const std::string& path, FILE* out);

}  // namespace gantry::modules
