#include "harness/gantry_process.h"

#include <signal.h>

#include <cstdlib>
#include <thread>

#include "harness/free_port.h"
#include "harness/nginx_stand_in.h"
#include "harness/paths.h"
#include "harness/temp_dir.h"

namespace gantry::itest {

bool nginx_stand_in_enabled() {
  const char* v = std::getenv("GANTRY_ITEST_PROXY");
  return v != nullptr && std::string(v) == "nginx";
}

GantryProcess::GantryProcess(std::string config_path, std::string work_dir)
    : config_(std::move(config_path)), dir_(std::move(work_dir)), stand_in_(nginx_stand_in_enabled()) {}

GantryProcess::~GantryProcess() { kill(); }

bool GantryProcess::start() {
  std::vector<std::string> argv;
  if (stand_in_) {
    std::string err;
    std::string conf = translate_to_nginx(config_, dir_, &err);
    if (conf.empty()) {
      write_file(dir_ + "/gantry.stderr", err + "\n");
      return false;
    }
    argv = {"nginx", "-p", dir_ + "/", "-c", conf, "-g", "daemon off;"};
  } else {
    argv = {gantry_binary(), "-c", config_};
  }
  return proc_.start(argv, dir_ + "/gantry.stdout", dir_ + "/gantry.stderr");
}

bool GantryProcess::wait_listening(uint16_t port, milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!proc_.running()) return false;
    if (port_accepts(port)) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

bool GantryProcess::running() { return proc_.running(); }

bool GantryProcess::signal(int sig) {
  // nginx drains on SIGQUIT where gantry drains on SIGTERM.
  if (stand_in_ && sig == SIGTERM) sig = SIGQUIT;
  if (stand_in_ && sig == SIGHUP) {
    std::string err;
    if (translate_to_nginx(config_, dir_, &err).empty()) {
      write_file(dir_ + "/gantry.stderr", read_file(dir_ + "/gantry.stderr") + err + "\n");
      return true;
    }
  }
  return proc_.signal(sig);
}

bool GantryProcess::reload() { return signal(SIGHUP); }

std::optional<ExitStatus> GantryProcess::wait_exit(milliseconds timeout) {
  return proc_.wait_exit(timeout);
}

void GantryProcess::kill() { proc_.kill_and_wait(); }

std::string GantryProcess::stdout_text() const { return read_file(dir_ + "/gantry.stdout"); }

std::string GantryProcess::stderr_text() const { return read_file(dir_ + "/gantry.stderr"); }

bool GantryProcess::wait_for_output(const std::string& needle, milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (output().find(needle) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
}

std::string GantryProcess::describe() {
  std::string s = running() ? "gantry running" : "gantry not running";
  if (proc_.exit_status()) s += " (" + proc_.exit_status()->str() + ")";
  std::string out = output();
  const size_t kTail = 4000;
  if (out.size() > kTail) out = "..." + out.substr(out.size() - kTail);
  return s + "; output:\n" + out;
}

RunResult check_config(const std::string& config_path, const std::string& scratch_dir) {
  if (nginx_stand_in_enabled()) {
    std::string err;
    std::string conf = translate_to_nginx(config_path, scratch_dir, &err);
    if (conf.empty()) {
      RunResult r;
      r.status.exited = true;
      r.status.code = 1;
      r.err = err;
      return r;
    }
    return run_command({"nginx", "-t", "-p", scratch_dir + "/", "-c", conf}, scratch_dir);
  }
  return run_command({gantry_binary(), "-t", "-c", config_path}, scratch_dir);
}

}  // namespace gantry::itest
