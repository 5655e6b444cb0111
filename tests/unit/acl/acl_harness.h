#pragma once
// Drives the acl_hyperscan module without a proxy, on the SDK's mock host:
// the config is TOML in a scratch gantry.toml (errors carry its file:line),
// requests are gantry::testing::MockStream. The host runs two workers, and
// every backend exists except those named "missing...".
#include <gantry/mock_host.hpp>

#include <string>
#include <vector>

#include "mock_module.h"
#include "temp_dir.h"

namespace gantry::acl_test {

using testing::HeaderList;
using testing::MockStream;
using Headers = HeaderList;

// A GET of `target` with `headers`, from 192.0.2.10 over plain TCP.
MockStream request(const std::string& target, Headers headers = {});
// The value of response header `name` the module answered with, "" if none.
std::string responded(const MockStream& r, const std::string& name);
// The first request header `name`, "" if none.
std::string header(const MockStream& r, const std::string& name);
// The client address of `r`, as text.
std::string peer_of(const MockStream& r);
// The request as a client sends it: TLS with this SNI.
void use_tls(MockStream* r, const std::string& sni);

class AclHarness {
 public:
  AclHarness();

  // `module_config` is TOML placed under [module.config]: keys first, then
  // [[module.config.acl]] / [[module.config.rule]] tables. Returns false with
  // error() set if the host or the module refuses it.
  bool load(const std::string& module_config, const std::string& cache_dir = "off");
  const std::string& error() const { return module_.error(); }
  // The module's log lines, "<level> <message>".
  std::vector<std::string> logs() const;
  bool logged(const std::string& needle) const;

  // Runs on_request_headers as worker `worker`.
  gantry_action_t run(MockStream* r, int32_t worker = 0);
  // The backend the module chose for a GET of `target` ("" if none, or
  // "status:N" if it answered itself).
  std::string route(const std::string& target, const Headers& headers = {});

  // A file in the config directory, for pattern files.
  std::string write_file(const std::string& name, const std::string& content);
  const std::string& dir() const { return dir_.path(); }
  testing::MockHost& host() { return module_.host(); }
  std::string config_path() const { return dir_.path() + "/gantry.toml"; }

 private:
  test::TempDir dir_{"acl-test"};
  test::MockModule module_;
};

}  // namespace gantry::acl_test
