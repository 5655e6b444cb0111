#include "harness/fixture.h"

#include <iostream>

#include "harness/free_port.h"
#include "harness/paths.h"

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

::testing::AssertionResult IntegrationTest::start_gantry(const std::string& config_path) {
  gantry_ = std::make_unique<GantryProcess>(config_path, tmp_.path());
  if (!gantry_->start()) return ::testing::AssertionFailure() << "cannot start " << gantry_binary();
  if (!gantry_->wait_listening(port_))
    return ::testing::AssertionFailure() << "gantry does not listen on 127.0.0.1:" << port_ << ": "
                                         << gantry_->describe();
  return ::testing::AssertionSuccess();
}

std::string IntegrationTest::access_log_line(const std::string& target,
                                             std::chrono::milliseconds wait) {
  // A request line ends the quoted field: `"GET /x" 200 ...`.
  std::string needle = " " + target + "\" ";
  gantry_->wait_for_output(needle, wait);
  std::string out = gantry_->stdout_text();
  size_t at = out.find(needle);
  if (at == std::string::npos) return "";
  size_t b = out.rfind('\n', at);
  size_t e = out.find('\n', at);
  return out.substr(b == std::string::npos ? 0 : b + 1, e == std::string::npos ? e : e - b - 1);
}

}  // namespace gantry::itest
