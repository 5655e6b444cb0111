#pragma once
// Drives the acl_hyperscan module without a proxy: the config is loaded by
// the real TOML loader, the module's instance_new and on_request_headers are
// called with a copy of the real host table whose stream, request and
// connection functions read a FakeRequest instead.
#include <string>
#include <utility>
#include <vector>

#include "gantry/module.h"
#include "module_under_test.h"

namespace gantry::acl_test {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct FakeRequest {
  std::string method = "GET";
  std::string target = "/";
  Headers headers;
  std::string peer = "192.0.2.10";  // IPv4 or IPv6 text
  bool tls = false;
  std::string sni;

  // What the module did.
  std::string backend;
  int status = 0;
  Headers resp_headers;
  std::string body;
  Headers notes;

  // Borrowed by the fake getters.
  std::string path_;
  std::string query_;

  FakeRequest() = default;
  FakeRequest(std::string t, Headers h = {}) : target(std::move(t)), headers(std::move(h)) {}
  std::string resp_header(const std::string& name) const;  // "" if absent
  std::string req_header(const std::string& name) const;   // first, "" if absent
  size_t req_header_count(const std::string& name) const;
};

class AclHarness {
 public:
  // How load() builds the instance under test.
  enum class Mode {
    // The core's loader and build_generation first (what `gantry -t` runs;
    // errors are the core's messages), then a second instance of the same
    // module, config node and hook table bound to the fake host.
    kThroughCore,
    // Only the fake-host instance, so its log shows every cache event.
    kFakeHostOnly,
  };

  // `module_config` is TOML placed under [module.config]: keys first, then
  // [[module.config.acl]] / [[module.config.rule]] tables. Returns false with
  // error() set if the loader or the module refuses it.
  bool load(const std::string& module_config, const std::string& cache_dir = "off",
            Mode mode = Mode::kThroughCore);
  const std::string& error() const {
    return load_error_.empty() ? module_.error() : load_error_;
  }
  const std::vector<std::string>& logs() const { return logs_; }
  bool logged(const std::string& needle) const;

  // Runs on_request_headers as worker `worker`.
  gantry_action_t run(FakeRequest* r, int32_t worker = 0);
  // The backend the module chose for a GET of `target` ("" if none, or
  // "status:N" if it answered itself).
  std::string route(const std::string& target, const Headers& headers = {});

  // A file in the config directory, for pattern files.
  std::string write_file(const std::string& name, const std::string& content);
  const std::string& dir() const { return dir_.path(); }
  std::string config_path() const { return dir_.path() + "/gantry.toml"; }

 private:
  unit_test::TempDir dir_{"acl-test"};
  std::string load_error_;  // the module could not be opened at all
  std::vector<std::string> logs_;
  unit_test::ModuleUnderTest module_;
};

}  // namespace gantry::acl_test
