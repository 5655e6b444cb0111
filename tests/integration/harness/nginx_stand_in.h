#pragma once
// Harness self-check only: translates the subset of gantry's TOML used by the
// integration tests (listeners, backends, routes, respond rules, timeouts,
// limits, X-Forwarded-*) into an nginx configuration, so the tests can be run
// with nginx playing the proxy (GANTRY_ITEST_PROXY=nginx). Features nginx lacks
// (active health checks, module loading, gantry's -t messages) are not
// translated; the tests for them are expected to fail in that mode.
#include <string>

namespace gantry::itest {

// Writes <dir>/nginx-stand-in.conf and returns its path; "" and *error on failure.
std::string translate_to_nginx(const std::string& toml_path, const std::string& dir,
                               std::string* error);

}  // namespace gantry::itest
