#pragma once
// A real nginx (Debian nginx-light) as an origin server: static files from its
// own www/ folder plus `return` locations, on a free loopback port. Runs in
// the foreground without a master process; pid, logs and temp files stay in
// the test's directory.
#include <cstdint>
#include <string>
#include <vector>

#include "harness/subprocess.h"

namespace gantry::itest {

class NginxBackend {
 public:
  // `dir` is a scratch folder owned by the test (e.g. TempDir::file("nginx")).
  explicit NginxBackend(std::string dir);
  ~NginxBackend();

  // Call before start(): a file served at /<name>.
  void add_file(const std::string& name, const std::string& content);
  // Call before start(): `location = path { return status "body"; }`.
  void add_return(const std::string& path, int status, const std::string& body);
  // Extra directives for the server block.
  void add_server_directive(const std::string& line);

  bool start();
  void stop();
  uint16_t port() const { return port_; }
  // The nginx process (it runs without a master): a test may kill it.
  pid_t pid() const { return proc_.pid(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string error_log() const;

 private:
  std::string dir_;
  uint16_t port_ = 0;
  std::vector<std::string> directives_;
  Subprocess proc_;
};

}  // namespace gantry::itest
