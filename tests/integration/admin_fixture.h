#pragma once
// The admin tests' fixture: gantry with servers named a, b (and c) behind
// backend "web" and an admin listener of its own with a bearer token, and
// helpers that call the API and read /metrics.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/harness.h"

namespace gantry::itest {

using namespace std::chrono_literals;
using json = nlohmann::json;

inline constexpr const char* kToken = "t0ken-for-the-test";

// Where a test leaves what a person may want to look at afterwards
// (screenshots): <working dir>/test-output/admin_test, or
// $GANTRY_ITEST_OUTPUT_DIR.
inline std::string output_dir() {
  const char* env = std::getenv("GANTRY_ITEST_OUTPUT_DIR");
  std::string dir = env != nullptr && *env != '\0'
                        ? std::string(env)
                        : std::filesystem::current_path().string() + "/test-output/admin_test";
  std::filesystem::create_directories(dir);
  return dir;
}

// The value of the /metrics line that starts with `series` (name and
// labels exactly); -1 if there is none.
inline long long metric_value(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + series.size() + 2));
}

class AdminTest : public IntegrationTest {
 protected:
  // Two servers named a and b behind backend "web", the admin listener on a
  // port of its own. The admin socket does not share ports, so its reserved
  // port is released just before gantry starts.
  // `top`: top-level keys and [[module]] tables, before the rest.
  void start(const std::vector<std::string>& servers, const std::string& extra = "",
             const std::string& top = "") {
    admin_port_ = free_port();
    std::ofstream(tmp().file("token")) << kToken << "\n";
    std::string list;
    const char* names[] = {"a", "b", "c"};
    for (size_t i = 0; i < servers.size(); ++i)
      list += std::string(i ? ", " : "") + "{address = \"" + servers[i] + "\", name = \"" +
              names[i] + "\"}";
    std::string cfg =
        "workers = 2\n" + top +
        "[log]\naccess = \"off\"\n"
        "[admin]\nbind = \"127.0.0.1:" + std::to_string(admin_port_) + "\"\n"
        "token_file = \"token\"\n"
        "[[listener]]\nbind = \"127.0.0.1:{{PORT}}\"\n"
        "[[backend]]\nname = \"web\"\nservers = [" + list + "]\n" + extra;
    config_ = write_config(cfg);
    release_port(admin_port_);
    ASSERT_TRUE(start_gantry(config_));
    ASSERT_TRUE(gantry().wait_for_output("admin listener on", 10s)) << gantry().output();
  }

  std::string admin_url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(admin_port_) + path;
  }

  CurlResult admin(const std::string& method, const std::string& path, const std::string& body = "",
                   const std::string& token = "") {
    std::vector<std::string> args = {"-X", method, admin_url(path)};
    if (!body.empty()) args.insert(args.end(), {"-H", "Content-Type: application/json", "--data", body});
    if (!token.empty()) args.insert(args.end(), {"-H", "Authorization: Bearer " + token});
    return run_curl(args, tmp().path());
  }

  json backends() {
    CurlResult r = admin("GET", "/api/backends");
    EXPECT_EQ(r.http_code, 200) << r.body << r.error;
    return json::parse(r.body, nullptr, false);
  }

  // A server's 2xx count from /metrics; -1 if the line is missing.
  long long server_2xx(const std::string& server) {
    CurlResult r = run_curl({admin_url("/metrics")}, tmp().path());
    std::regex line("gantry_server_requests_total\\{backend=\"web\",server=\"" + server +
                    "\",code=\"2xx\"\\} (\\d+)");
    std::smatch m;
    if (!std::regex_search(r.body, m, line)) return -1;
    return std::stoll(m[1]);
  }

  // `top` for start(): both TLS modules.
  std::string tls_modules() const {
    return "modules_dir = \"" + modules_dir() + "\"\n"
           "[[module]]\nname = \"tls-openssl\"\npath = \"tls_openssl\"\n"
           "[[module]]\nname = \"tls-boringssl\"\npath = \"tls_boringssl\"\n";
  }
  // `extra` for start(): a TLS listener on a port of its own serving `cert`
  // (its key is the .key beside it).
  std::string tls_listener(const std::string& provider, const std::string& cert) {
    std::string key = cert.substr(0, cert.size() - 4) + ".key";
    uint16_t p = free_port();
    tls_ports_[cert] = p;
    return "[[listener]]\nbind = \"127.0.0.1:" + std::to_string(p) + "\"\n[listener.tls]\n"
           "provider = \"" + provider + "\"\ncertificates = [ { cert = \"" + cert +
           "\", key = \"" + key + "\" } ]\n";
  }
  std::string tls_port_of(const std::string& cert) { return std::to_string(tls_ports_[cert]); }
  // A certificate's notAfter as Unix time, as openssl and date(1) read it.
  long long not_after_of(const std::string& cert) {
    RunResult e = run_command({"openssl", "x509", "-in", cert, "-noout", "-enddate"}, tmp().path());
    std::string when = e.out.substr(e.out.find('=') + 1);
    when = when.substr(0, when.find('\n'));
    RunResult d = run_command({"date", "-u", "-d", when, "+%s"}, tmp().path());
    EXPECT_TRUE(d.status.ok()) << e.out << d.err;
    return std::stoll(d.out);
  }
  static std::string iso_utc(long long t) {
    char buf[32];
    std::time_t tt = static_cast<std::time_t>(t);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
    return buf;
  }

  uint16_t admin_port_ = 0;
  std::string config_;
  std::map<std::string, uint16_t> tls_ports_;  // by certificate file
};

}  // namespace gantry::itest
