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
    // Its own socket: another program on the port must not pass for gantry.
    if (process_listens_on(proc_.pid(), port)) return true;
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

std::string GantryProcess::access_line(const std::string& target, milliseconds wait) const {
  std::string needle = " " + target + "\" ";
  wait_for_output(needle, wait);
  std::string out = stdout_text();
  size_t at = out.find(needle);
  if (at == std::string::npos) return "";
  size_t b = out.rfind('\n', at);
  size_t e = out.find('\n', at);
  b = b == std::string::npos ? 0 : b + 1;
  return out.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

std::string GantryProcess::address_in_use() const {
  std::string out = output();
  size_t at = out.find("Address already in use");
  if (at == std::string::npos) return "";
  size_t line = out.rfind('\n', at);
  line = line == std::string::npos ? 0 : line + 1;
  // The address is the last host:port on the line before the error text.
  size_t host = out.rfind("127.0.0.1:", at);
  if (host == std::string::npos || host < line) return "";
  size_t end = host + 10;
  while (end < out.size() && out[end] >= '0' && out[end] <= '9') ++end;
  return end > host + 10 ? out.substr(host, end - host) : "";
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
