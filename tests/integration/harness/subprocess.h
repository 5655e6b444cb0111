#pragma once
// A child process with stdout and stderr sent to files, so the test can read
// them at any time (and they survive for post-mortem with GANTRY_ITEST_KEEP_TMP).
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace gantry::itest {

using std::chrono::milliseconds;

// How a child ended: exit code, or the signal that killed it.
struct ExitStatus {
  bool exited = false;  // true: `code` holds exit(2)'s value
  int code = -1;
  int signal = 0;  // set when killed by a signal
  std::string str() const;
  bool ok() const { return exited && code == 0; }
};

class Subprocess {
 public:
  Subprocess() = default;
  ~Subprocess();  // kills (SIGKILL) and reaps a child still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Starts argv[0] (searched in PATH when it has no '/'). Empty paths mean /dev/null.
  bool start(const std::vector<std::string>& argv, const std::string& stdout_path,
             const std::string& stderr_path, const std::string& workdir = "");
  pid_t pid() const { return pid_; }
  // True while the child has not been reaped. Reaps it if it has exited.
  bool running();
  bool signal(int sig);
  // Waits for the child to end; nullopt on timeout (the child keeps running).
  std::optional<ExitStatus> wait_exit(milliseconds timeout);
  // SIGKILL + reap; no-op when not running.
  void kill_and_wait();
  const std::optional<ExitStatus>& exit_status() const { return status_; }

 private:
  bool try_reap(bool block);

  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
};

struct RunResult {
  ExitStatus status;
  bool timed_out = false;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs a command to completion (killed after `timeout`), capturing its output
// through files in `scratch_dir`.
RunResult run_command(const std::vector<std::string>& argv, const std::string& scratch_dir,
                      milliseconds timeout = milliseconds(60000));

// The last non-empty line of a command's output: where the test scripts
// (tests/integration/node/*.js) print their JSON report.
std::string last_line(const std::string& out);

std::string join_args(const std::vector<std::string>& argv);

}  // namespace gantry::itest
