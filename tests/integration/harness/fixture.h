#pragma once
// Base fixture for integration tests: a temp dir, a free port for gantry's
// listener, config writing from templates and a GantryProcess whose output is
// printed when the test fails.
//
// Every template gets these placeholders for free:
//   {{PORT}}         the listener port picked for this test (port())
//   {{MODULES_DIR}}  the built modules (<build>/modules)
//   {{SOURCE_DIR}}   the repository root
//   {{DIR}}          the test's temp dir
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "harness/config_template.h"
#include "harness/gantry_process.h"
#include "harness/temp_dir.h"

namespace gantry::itest {

class IntegrationTest : public ::testing::Test {
 protected:
  IntegrationTest();
  void TearDown() override;

  uint16_t port() const { return port_; }
  TempDir& tmp() { return tmp_; }
  GantryProcess& gantry() { return *gantry_; }

  // Renders and writes a config file; returns its path.
  std::string write_config(const std::string& tmpl, TemplateVars vars = {},
                           const std::string& name = "gantry.toml");
  // A one-listener, one-backend config (servers = the given addresses) with
  // workers = 1; `extra` is appended verbatim (top-level tables, routes...).
  std::string write_proxy_config(const std::vector<std::string>& servers,
                                 const std::string& extra = "",
                                 const std::string& name = "gantry.toml");
  // Starts gantry on `config_path` and waits until it listens on port().
  // When a listener's port turns out to be taken by another program, the
  // config file is rewritten with a new port for it and gantry started again;
  // port() then returns the new one, so read it after this call.
  ::testing::AssertionResult start_gantry(const std::string& config_path);
  // The TLS tests' PKI (tests/unit/tls/make_test_certs.sh) written into
  // tmp()/certs; *dir gets that path.
  ::testing::AssertionResult make_test_certs(std::string* dir);
  // The access-log line (gantry's stdout) of the first request for
  // `target`, waiting up to `wait` for it; "" if none came.
  std::string access_log_line(const std::string& target,
                              std::chrono::milliseconds wait = std::chrono::milliseconds(10000));

 private:
  bool move_listener(const std::string& config_path, const std::string& taken);

  TempDir tmp_;
  uint16_t port_ = 0;
  std::unique_ptr<GantryProcess> gantry_;
};

// The config text write_proxy_config uses, with {{PORT}}/{{MODULES_DIR}} left in.
std::string proxy_config_template(const std::vector<std::string>& servers, const std::string& extra);

}  // namespace gantry::itest
