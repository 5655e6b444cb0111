#pragma once
// curl as a real-world client: `curl -sS -o BODY -w '%{http_code}' ...`.
#include <string>
#include <vector>

#include "harness/subprocess.h"

namespace gantry::itest {

struct CurlResult {
  int http_code = 0;  // 0: no response (see error)
  std::string body;
  std::string error;  // curl's stderr
  ExitStatus status;
  bool ok() const { return status.ok() && http_code != 0; }
};

// Runs curl with `args` (URL and options) plus the fixed output options.
CurlResult run_curl(const std::vector<std::string>& args, const std::string& scratch_dir,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(60000));

}  // namespace gantry::itest
