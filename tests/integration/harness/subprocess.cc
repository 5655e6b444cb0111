#include "harness/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "harness/temp_dir.h"

extern char** environ;

namespace gantry::itest {

std::string ExitStatus::str() const {
  if (exited) return "exit code " + std::to_string(code);
  if (signal != 0) return std::string("killed by signal ") + std::to_string(signal) + " (" +
                          ::strsignal(signal) + ")";
  return "not exited";
}

Subprocess::~Subprocess() { kill_and_wait(); }

bool Subprocess::start(const std::vector<std::string>& argv, const std::string& stdout_path,
                       const std::string& stderr_path, const std::string& workdir) {
  if (argv.empty() || pid_ > 0) return false;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const int flags = O_WRONLY | O_CREAT | O_TRUNC;
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, stdout_path.empty() ? "/dev/null" : stdout_path.c_str(),
                                   flags, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, stderr_path.empty() ? "/dev/null" : stderr_path.c_str(),
                                   flags, 0644);
  if (!workdir.empty()) posix_spawn_file_actions_addchdir_np(&fa, workdir.c_str());

  // The test binary may block or ignore signals in its threads; the child must
  // start with default dispositions so SIGTERM/SIGHUP reach gantry's handlers.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return false;
  pid_ = pid;
  status_.reset();
  return true;
}

bool Subprocess::try_reap(bool block) {
  if (pid_ <= 0) return true;
  int st = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &st, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  ExitStatus es;
  if (r == pid_) {
    if (WIFEXITED(st)) {
      es.exited = true;
      es.code = WEXITSTATUS(st);
    } else if (WIFSIGNALED(st)) {
      es.signal = WTERMSIG(st);
    }
  }
  status_ = es;
  pid_ = -1;
  return true;
}

bool Subprocess::running() { return pid_ > 0 && !try_reap(false); }

bool Subprocess::signal(int sig) { return pid_ > 0 && ::kill(pid_, sig) == 0; }

std::optional<ExitStatus> Subprocess::wait_exit(milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pid_ > 0) {
    if (try_reap(false)) break;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return status_;
}

void Subprocess::kill_and_wait() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  try_reap(true);
}

RunResult run_command(const std::vector<std::string>& argv, const std::string& scratch_dir,
                      milliseconds timeout) {
  static std::atomic<int> counter{0};
  std::string base = scratch_dir + "/cmd-" + std::to_string(counter++);
  RunResult result;
  Subprocess p;
  if (!p.start(argv, base + ".out", base + ".err")) {
    result.err = "cannot start " + join_args(argv);
    return result;
  }
  auto st = p.wait_exit(timeout);
  if (!st) {
    result.timed_out = true;
    p.kill_and_wait();
    st = p.exit_status();
  }
  if (st) result.status = *st;
  result.out = read_file(base + ".out");
  result.err = read_file(base + ".err");
  return result;
}

std::string join_args(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

std::string last_line(const std::string& out) {
  std::string text = out.substr(0, out.find_last_not_of('\n') + 1);
  size_t nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

}  // namespace gantry::itest
