#pragma once
// The gantry binary under test, run as a child process: `gantry -c FILE` in the
// foreground with stdout/stderr captured to files in the test's directory.
//
// Harness self-check: with GANTRY_ITEST_PROXY=nginx in the environment, the
// same TOML is translated to an nginx configuration and nginx plays the proxy
// (see nginx_stand_in.h). That shows a test can pass against a reference
// proxy before gantry implements the feature; it is never used by ctest.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/subprocess.h"

namespace gantry::itest {

using std::chrono::milliseconds;

class GantryProcess {
 public:
  // `work_dir` receives gantry.stdout / gantry.stderr.
  GantryProcess(std::string config_path, std::string work_dir);
  ~GantryProcess();
  GantryProcess(const GantryProcess&) = delete;
  GantryProcess& operator=(const GantryProcess&) = delete;

  bool start();
  // Waits until the process listens on `port` itself. False when it exits
  // first or the timeout passes.
  bool wait_listening(uint16_t port, milliseconds timeout = milliseconds(30000));
  bool start_and_wait(uint16_t port, milliseconds timeout = milliseconds(30000)) {
    return start() && wait_listening(port, timeout);
  }
  bool running();
  bool signal(int sig);
  bool reload();  // SIGHUP
  std::optional<ExitStatus> wait_exit(milliseconds timeout = milliseconds(60000));
  // SIGKILL; used by the destructor when a test leaves the process running.
  void kill();

  std::string stdout_text() const;
  std::string stderr_text() const;
  // stdout then stderr: everything the process printed.
  std::string output() const { return stdout_text() + stderr_text(); }
  // Polls the output until it contains `needle`.
  bool wait_for_output(const std::string& needle, milliseconds timeout = milliseconds(30000)) const;
  // The address a failed start could not bind because something else holds
  // it ("127.0.0.1:PORT" from gantry's "cannot bind ...: Address already in
  // use", or nginx's "bind() to ... failed (98: ...)"), or "" if that is not
  // why it failed.
  std::string address_in_use() const;
  // The access-log line (stdout) of the first request for `target`, waiting
  // up to `wait` for it; "" if it never came.
  std::string access_line(const std::string& target, milliseconds wait = milliseconds(10000)) const;
  // A summary for failure messages: state plus the tail of the output.
  std::string describe();
  const std::string& config_path() const { return config_; }
  pid_t pid() const { return proc_.pid(); }

 private:
  std::string config_;
  std::string dir_;
  Subprocess proc_;
  bool stand_in_ = false;
};

// `gantry -t -c FILE`: checks a config and exits 0 (good) or 1 (bad, with file:line).
RunResult check_config(const std::string& config_path, const std::string& scratch_dir);

// True when GANTRY_ITEST_PROXY=nginx (the harness self-check mode).
bool nginx_stand_in_enabled();

}  // namespace gantry::itest
