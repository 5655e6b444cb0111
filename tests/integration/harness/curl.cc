#include "harness/curl.h"

#include <atomic>
#include <cstdlib>

#include "harness/temp_dir.h"

namespace gantry::itest {

CurlResult run_curl(const std::vector<std::string>& args, const std::string& scratch_dir,
                    std::chrono::milliseconds timeout) {
  static std::atomic<int> counter{0};
  std::string body_path = scratch_dir + "/curl-body-" + std::to_string(counter++);
  std::vector<std::string> argv = {"curl", "-sS", "--noproxy", "*", "-o", body_path, "-w",
                                   "%{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult r = run_command(argv, scratch_dir, timeout);
  CurlResult c;
  c.status = r.status;
  c.error = r.err;
  c.http_code = std::atoi(r.out.c_str());
  c.body = read_file(body_path);
  return c;
}

}  // namespace gantry::itest
