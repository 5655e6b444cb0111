#pragma once
// `gantry modules [DIR]`: what every module in a directory is and accepts.
#include <cstdio>
#include <string>

namespace gantry::modules {

// Loads every *.so in `dir` with the same checks as a config load and prints
// name, version, ABI, capabilities, transport and config keys; files that
// fail to load are listed with the reason. Returns 0 if all loaded, 1 if
// some did not, 2 if the directory cannot be read.
int list_modules_cli(const std::string& dir, FILE* out);

}  // namespace gantry::modules
