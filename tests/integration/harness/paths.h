#pragma once
// Where the things under test live. Defaults come from the build (compile
// definitions set by tests/integration/CMakeLists.txt); environment variables
// override them so the suite can run against an installed or relocated build.
#include <string>

namespace gantry::itest {

// The gantry executable. Env: GANTRY_ITEST_BINARY.
std::string gantry_binary();
// Directory holding the built modules (<build>/modules). Env: GANTRY_ITEST_MODULES_DIR.
std::string modules_dir();
// The repository root. Env: GANTRY_ITEST_SOURCE_DIR.
std::string source_dir();
// The shared folder that sits next to the repository (<repo>/../shared).
// Env: GANTRY_SHARED_DIR.
std::string shared_dir();
// The HTTP/1.1 conformance data set. Env: GANTRY_CONFORMANCE_FILE.
std::string conformance_file();

bool file_exists(const std::string& path);

}  // namespace gantry::itest
