#include "harness/fixture.h"

#include <iostream>
#include <string>

#include "harness/free_port.h"
#include "harness/paths.h"
#include "harness/temp_dir.h"

namespace gantry::itest {

IntegrationTest::IntegrationTest() : port_(free_port()) {}

void IntegrationTest::TearDown() {
  if (gantry_ && HasFailure()) std::cerr << "[itest] " << gantry_->describe() << "\n";
  if (gantry_) gantry_->kill();
}

std::string IntegrationTest::write_config(const std::string& tmpl, TemplateVars vars,
                                          const std::string& name) {
  vars.emplace("PORT", std::to_string(port_));
  vars.emplace("MODULES_DIR", modules_dir());
  vars.emplace("SOURCE_DIR", source_dir());
  vars.emplace("DIR", tmp_.path());
  return tmp_.write(name, render_template(tmpl, vars));
}

std::string proxy_config_template(const std::vector<std::string>& servers, const std::string& extra) {
  std::string list;
  for (const auto& s : servers) list += (list.empty() ? "\"" : ", \"") + s + "\"";
  return "workers = 1\n"
         "modules_dir = \"{{MODULES_DIR}}\"\n"
         "\n[log]\naccess = \"stdout\"\nlevel = \"info\"\n"
         "\n[[listener]]\nname = \"main\"\nbind = \"127.0.0.1:{{PORT}}\"\n"
         "\n[[backend]]\nname = \"web\"\nservers = [" + list + "]\n" + extra;
}

std::string IntegrationTest::write_proxy_config(const std::vector<std::string>& servers,
                                                const std::string& extra, const std::string& name) {
  return write_config(proxy_config_template(servers, extra), {}, name);
}

::testing::AssertionResult IntegrationTest::make_test_certs(std::string* dir) {
  *dir = tmp().file("certs");
  if (!make_dirs(*dir)) return ::testing::AssertionFailure() << "cannot make " << *dir;
  RunResult r = run_command({"sh", source_dir() + "/tests/unit/tls/make_test_certs.sh", *dir},
                            tmp().path());
  if (!r.status.ok()) return ::testing::AssertionFailure() << "make_test_certs.sh: " << r.err;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IntegrationTest::start_gantry(const std::string& config_path) {
  // Ports from free_port() are reserved for this process, but something
  // outside the harness may still hold one: then gantry fails to bind, and
  // that listener moves to a new port, up to a few times.
  const int kAttempts = 4;
  for (int attempt = 1;; ++attempt) {
    gantry_ = std::make_unique<GantryProcess>(config_path, tmp_.path());
    if (!gantry_->start())
      return ::testing::AssertionFailure() << "cannot start " << gantry_binary();
    if (gantry_->wait_listening(port_)) return ::testing::AssertionSuccess();
    std::string taken = gantry_->address_in_use();
    if (taken.empty() || attempt == kAttempts || !move_listener(config_path, taken))
      return ::testing::AssertionFailure() << "gantry does not listen on 127.0.0.1:" << port_
                                           << ": " << gantry_->describe();
  }
}

// Rewrites `config_path` so the listener bound to `taken` ("127.0.0.1:N")
// uses a fresh port; port() follows when it was that listener's.
bool IntegrationTest::move_listener(const std::string& config_path, const std::string& taken) {
  uint16_t old_port = static_cast<uint16_t>(std::stoi(taken.substr(taken.find(':') + 1)));
  uint16_t fresh = free_port();
  std::string text = read_file(config_path);
  std::string from = "\"" + taken + "\"";
  std::string to = "\"127.0.0.1:" + std::to_string(fresh) + "\"";
  size_t n = 0;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
    ++n;
  }
  if (n == 0 || !write_file(config_path, text)) return false;
  std::cerr << "[itest] " << taken << " is in use; gantry moves that listener to port " << fresh
            << "\n";
  if (old_port == port_) port_ = fresh;
  return true;
}

std::string IntegrationTest::access_log_line(const std::string& target,
                                             std::chrono::milliseconds wait) {
  return gantry_->access_line(target, wait);
}

}  // namespace gantry::itest
