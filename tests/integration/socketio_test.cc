// The founding scenario end to end: conf/gantry.toml (ports swapped for free
// ones) with TLS terminated by gantry, /socket.io/ routed by the ACL module to
// two real Socket.IO 4 servers (node) kept sticky by gantry's cookie, and
// everything else to a real nginx. The clients are socket.io-client 4
// (tests/integration/node/sio_client.js), over TLS, in both transports, and
// the demo page itself in headless Chromium.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

using namespace std::chrono_literals;

std::string node_dir() { return source_dir() + "/tests/integration/node"; }

// The JavaScript peers need `npm install` in tests/integration/node
// (scripts/setup.sh runs it).
bool node_packages_present() {
  for (const char* pkg : {"socket.io", "socket.io-client"}) {
    if (!file_exists(node_dir() + "/node_modules/" + pkg + "/package.json")) return false;
  }
  return true;
}

// Replaces every occurrence; a pattern that is not there is a test bug (the
// scenario config changed), reported instead of silently testing something else.
::testing::AssertionResult replace_all(std::string* s, const std::string& from,
                                       const std::string& to) {
  size_t at = s->find(from);
  if (at == std::string::npos)
    return ::testing::AssertionFailure() << "conf/gantry.toml has no \"" << from << "\"";
  for (; at != std::string::npos; at = s->find(from, at + to.size())) s->replace(at, from.size(), to);
  return ::testing::AssertionSuccess();
}

// One sio_echo_server.js process on a kernel-chosen port.
class SocketIoServer {
 public:
  SocketIoServer(std::string name, std::string dir) : name_(std::move(name)), dir_(std::move(dir)) {}
  bool start() {
    if (!proc_.start({"node", node_dir() + "/sio_echo_server.js", "--name", name_, "--port", "0"},
                     log_path(), dir_ + "/sio-" + name_ + ".err"))
      return false;
    for (int i = 0; i < 600 && proc_.running(); ++i) {
      std::string out = read_file(log_path());
      size_t at = out.find("listening ");
      if (at != std::string::npos && out.find('\n', at) != std::string::npos) {
        port_ = static_cast<uint16_t>(std::stoi(out.substr(at + 10)));
        return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  void kill() { proc_.kill_and_wait(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return read_file(log_path()); }
  const std::string& name() const { return name_; }

 private:
  std::string log_path() const { return dir_ + "/sio-" + name_ + ".log"; }
  std::string name_;
  std::string dir_;
  Subprocess proc_;
  uint16_t port_ = 0;
};

struct ClientRun {
  nlohmann::json result = nlohmann::json::object();  // the client's last JSON line
  std::string output;
  bool ok() const { return result.value("ok", false); }
  std::string str(const char* key) const { return result.value(key, ""); }
  nlohmann::json list(const char* key) const { return result.value(key, nlohmann::json::array()); }
};

class SocketIoScenarioTest : public IntegrationTest {
 protected:
  void SetUp() override {
    GANTRY_REQUIRE_TOOL("node", "nodejs");
    GANTRY_REQUIRE(node_packages_present(), "the npm packages socket.io and socket.io-client in "
                                                << node_dir() << "/node_modules (run `npm install` "
                                                << "there; scripts/setup.sh does it)");
    GANTRY_REQUIRE_TOOL("nginx", "nginx-light");
    GANTRY_REQUIRE_TOOL("openssl", "openssl");
    GANTRY_REQUIRE_TOOL("curl", "curl");
    RunResult certs = run_command(
        {"sh", source_dir() + "/conf/scenario/make_certs.sh", tmp().file("scenario/certs")},
        tmp().path());
    ASSERT_TRUE(certs.status.ok()) << certs.err;
    a_ = std::make_unique<SocketIoServer>("A", tmp().path());
    b_ = std::make_unique<SocketIoServer>("B", tmp().path());
    ASSERT_TRUE(a_->start()) << a_->log();
    ASSERT_TRUE(b_->start()) << b_->log();
    nginx_ = std::make_unique<NginxBackend>(tmp().file("nginx"));
    nginx_->add_file("index.html", "<h1>the nginx page</h1>\n");
    ASSERT_TRUE(nginx_->start()) << nginx_->error_log();
  }
  void TearDown() override {
    IntegrationTest::TearDown();
    if (a_) a_->kill();
    if (b_) b_->kill();
  }

  // conf/gantry.toml with this test's ports; `balance` replaces the
  // Socket.IO backend's balance line when not empty.
  // The README's scenario (conf/gantry.toml) on test ports; `alpn`, when
  // set, is the public listener's ALPN list (TOML array).
  void start_scenario(const std::string& balance = "", const std::string& alpn = "") {
    std::ifstream in(source_dir() + "/conf/gantry.toml");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string cfg = ss.str();
    ASSERT_FALSE(cfg.empty()) << "cannot read conf/gantry.toml";
    ASSERT_TRUE(replace_all(&cfg, "127.0.0.1:8443", "127.0.0.1:" + std::to_string(port())));
    ASSERT_TRUE(replace_all(&cfg, "\"127.0.0.1:3001\"", "\"" + a_->address() + "\""));
    ASSERT_TRUE(replace_all(&cfg, "\"127.0.0.1:3002\"", "\"" + b_->address() + "\""));
    ASSERT_TRUE(replace_all(&cfg, "\"127.0.0.1:8081\"", "\"" + nginx_->address() + "\""));
    if (!balance.empty()) {
      ASSERT_TRUE(replace_all(&cfg, "balance = \"cookie\"", "balance = \"" + balance + "\""));
    }
    if (!alpn.empty()) {
      ASSERT_TRUE(replace_all(&cfg, "[listener.tls]\n", "[listener.tls]\nalpn = " + alpn + "\n"));
    }
    cfg = "modules_dir = \"" + modules_dir() + "\"\n" + cfg;
    std::string path = tmp().write("gantry.toml", cfg);  // certs resolve next to it
    RunResult check = check_config(path, tmp().path());
    ASSERT_TRUE(check.status.ok()) << "gantry -t refuses the scenario: " << check.out << check.err;
    ASSERT_TRUE(start_gantry(path));
  }

  std::vector<std::string> client_args(const std::string& transport,
                                       const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {"node", node_dir() + "/sio_client.js", "--url",
                                     "https://127.0.0.1:" + std::to_string(port()),
                                     "--transport", transport};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  ClientRun run_client(const std::string& transport, const std::vector<std::string>& extra = {}) {
    RunResult r = run_command(client_args(transport, extra), tmp().path(), 120000ms);
    ClientRun run;
    run.output = r.out + r.err;
    std::string last = last_line(r.out);
    nlohmann::json j = nlohmann::json::parse(last, nullptr, false);
    if (j.is_object()) {
      run.result = std::move(j);
    } else {
      run.output += "\n(no JSON object on the last line)";
    }
    return run;
  }

  std::string servers_of(const ClientRun& r) {
    std::string s;
    for (const nlohmann::json& v : r.list("servers")) s += v.get<std::string>() + " ";
    return s;
  }

  // nginx serving the demo's own page (conf/scenario/www) instead.
  void serve_demo_page() {
    std::string page = read_file(source_dir() + "/conf/scenario/www/index.html");
    ASSERT_FALSE(page.empty());
    nginx_ = std::make_unique<NginxBackend>(tmp().file("nginx2"));
    nginx_->add_file("index.html", page);
    ASSERT_TRUE(nginx_->start()) << nginx_->error_log();
  }

  // Runs browser_demo.js on the scenario's page: both panes connected, one
  // per transport, each with its echo. *out is the script's report.
  void run_demo_page(nlohmann::json* out) {
    RunResult r = run_command({"node", node_dir() + "/browser_demo.js", "--url",
                               "https://127.0.0.1:" + std::to_string(port()) + "/",
                               "--profile", tmp().file("chromium")},
                              tmp().path(), 90000ms);
    std::string last = last_line(r.out);
    *out = nlohmann::json::parse(last, nullptr, false);
    ASSERT_TRUE(out->is_object()) << "no JSON object on the last line\n" << r.out << r.err;
    ASSERT_TRUE(r.status.ok()) << r.out << r.err;
    EXPECT_NE(out->value("userAgent", "").find("Chrome"), std::string::npos) << last;
    for (const char* kind : {"polling", "websocket"}) {
      SCOPED_TRACE(kind);
      nlohmann::json pane = out->value(kind, nlohmann::json::object());
      EXPECT_EQ(pane.value("state", ""), std::string("connected, transport ") + kind) << last;
      bool echoed = false;
      for (const nlohmann::json& line : pane.value("log", nlohmann::json::array())) {
        std::string text = line.is_string() ? line.get<std::string>() : "";
        echoed |= text.find("echo from") == 0 &&
                  text.find(": hello through gantry") != std::string::npos;
      }
      EXPECT_TRUE(echoed) << last;
    }
  }

  std::unique_ptr<SocketIoServer> a_, b_;
  std::unique_ptr<NginxBackend> nginx_;
};

TEST_F(SocketIoScenarioTest, WebSocketTransportOverTls) {
  ASSERT_NO_FATAL_FAILURE(start_scenario());
  ClientRun r = run_client("websocket", {"--messages", "200", "--binary", "1048576"});
  ASSERT_TRUE(r.ok()) << r.output;
  EXPECT_EQ(r.result.value("echoed", 0), 200);
  EXPECT_TRUE(r.result.value("binary_ok", false));
  EXPECT_EQ(r.str("transport"), "websocket");
  EXPECT_TRUE(gantry().wait_for_output("upgraded", 10s)) << gantry().stdout_text();
  // The tunnel's message counts reach the access log after the close handshake
  // (Socket.IO's client closes the WebSocket with 1000/1005).
  EXPECT_TRUE(gantry().wait_for_output("ws_msgs_in=", 10s)) << gantry().stdout_text();
}

TEST_F(SocketIoScenarioTest, PollingWithTwoServersStaysOnOne) {
  ASSERT_NO_FATAL_FAILURE(start_scenario());
  for (int session = 0; session < 3; ++session) {
    ClientRun r = run_client("polling", {"--messages", "40", "--binary", "65536"});
    ASSERT_TRUE(r.ok()) << r.output;
    EXPECT_EQ(r.str("transport"), "polling");
    EXPECT_EQ(r.list("servers").size(), 1u) << servers_of(r);
  }
  EXPECT_EQ(a_->log().find("Session ID unknown"), std::string::npos) << a_->log();
  EXPECT_EQ(b_->log().find("Session ID unknown"), std::string::npos) << b_->log();
}

TEST_F(SocketIoScenarioTest, PollingWithoutStickinessFails) {
  // The control for the test above: round robin splits a session's polls
  // between the servers, which is exactly what the cookie prevents.
  ASSERT_NO_FATAL_FAILURE(start_scenario("roundrobin"));
  ClientRun r = run_client("polling", {"--messages", "40", "--timeout", "15000"});
  EXPECT_FALSE(r.ok() && r.list("servers").size() == 1u) << r.output;
  EXPECT_NE((a_->log() + b_->log()).find("Session ID unknown"), std::string::npos)
      << a_->log() << b_->log();
}

TEST_F(SocketIoScenarioTest, PollingThenUpgradeToWebSocket) {
  ASSERT_NO_FATAL_FAILURE(start_scenario());
  ClientRun r = run_client("upgrade", {"--messages", "50", "--binary", "1048576"});
  ASSERT_TRUE(r.ok()) << r.output;
  EXPECT_EQ(r.str("transport"), "websocket");
  EXPECT_EQ(r.list("servers").size(), 1u) << servers_of(r);
  EXPECT_TRUE(gantry().wait_for_output("upgraded", 10s));
  EXPECT_EQ((a_->log() + b_->log()).find("Session ID unknown"), std::string::npos);
}

TEST_F(SocketIoScenarioTest, ServerInitiatedClose) {
  ASSERT_NO_FATAL_FAILURE(start_scenario());
  ClientRun r = run_client("websocket", {"--messages", "5", "--close", "server"});
  ASSERT_TRUE(r.ok()) << r.output;
  EXPECT_EQ(r.str("disconnect"), "io server disconnect");
}

TEST_F(SocketIoScenarioTest, BackendKilledMidTunnel) {
  ASSERT_NO_FATAL_FAILURE(start_scenario());
  Subprocess client;
  std::string out = tmp().file("client-wait.out");
  ASSERT_TRUE(client.start(client_args("websocket", {"--messages", "5", "--close", "wait"}), out,
                           tmp().file("client-wait.err")));
  std::string text;
  for (int i = 0; i < 1200 && text.find("\"ready\"") == std::string::npos; ++i) {
    std::this_thread::sleep_for(50ms);
    text = read_file(out);
    if (!client.running()) break;
  }
  ASSERT_NE(text.find("\"ready\""), std::string::npos) << text << read_file(tmp().file("client-wait.err"));
  bool on_a = text.find("\"A\"") != std::string::npos;
  (on_a ? a_ : b_)->kill();
  auto status = client.wait_exit(30000ms);
  ASSERT_TRUE(status.has_value()) << "the client did not see the tunnel close";
  EXPECT_NE(read_file(out).find("transport close"), std::string::npos) << read_file(out);
  // gantry is fine and new sessions go to the server that is left.
  EXPECT_TRUE(gantry().running());
  ClientRun again;
  for (int attempt = 0; attempt < 5 && !again.ok(); ++attempt)
    again = run_client("websocket", {"--messages", "5"});
  ASSERT_TRUE(again.ok()) << again.output;
  EXPECT_EQ(servers_of(again), std::string(on_a ? "B " : "A "));
}

TEST_F(SocketIoScenarioTest, EverythingElseGoesToNginx) {
  ASSERT_NO_FATAL_FAILURE(start_scenario());
  CurlResult page = run_curl({"-k", "https://127.0.0.1:" + std::to_string(port()) + "/index.html"},
                             tmp().path());
  ASSERT_TRUE(page.ok()) << page.error;
  EXPECT_EQ(page.http_code, 200);
  EXPECT_EQ(page.body, "<h1>the nginx page</h1>\n");
  // And /socket.io/ is not nginx's: the Socket.IO server serves its client.
  CurlResult js = run_curl(
      {"-k", "https://127.0.0.1:" + std::to_string(port()) + "/socket.io/socket.io.js"},
      tmp().path());
  ASSERT_TRUE(js.ok()) << js.error;
  EXPECT_EQ(js.http_code, 200);
  EXPECT_NE(js.body.find("Socket.IO"), std::string::npos);
}

TEST_F(SocketIoScenarioTest, ScenarioPageIsServed) {
  // The demo's own page (conf/scenario/www) loads its client from /socket.io/.
  ASSERT_NO_FATAL_FAILURE(serve_demo_page());
  ASSERT_NO_FATAL_FAILURE(start_scenario());
  CurlResult r = run_curl({"-k", "https://127.0.0.1:" + std::to_string(port()) + "/"},
                          tmp().path());
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.http_code, 200);
  EXPECT_NE(r.body.find("<script src=\"/socket.io/socket.io.js\"></script>"), std::string::npos);
}

TEST_F(SocketIoScenarioTest, DemoPageWorksInABrowser) {
  // What a newcomer does with the README's demo: open the page in a browser
  // (headless Chromium), then press "Send to both". Both panes must connect
  // through gantry over TLS, one per transport, and get their echo.
  GANTRY_REQUIRE_TOOL("chromium", "chromium");
  ASSERT_NO_FATAL_FAILURE(serve_demo_page());
  ASSERT_NO_FATAL_FAILURE(start_scenario());
  nlohmann::json v;
  ASSERT_NO_FATAL_FAILURE(run_demo_page(&v));
  EXPECT_EQ(v.value("nextHop", ""), "http/1.1");
}

TEST_F(SocketIoScenarioTest, DemoPageOverH2KeepsItsWebSocketOnHttp11) {
  // The same page with h2 offered: Chromium loads it and long-polls over
  // HTTP/2 (the stickiness cookie crosses as h2 cookie fields), and since
  // gantry does not offer extended CONNECT (RFC 8441), the browser opens its
  // WebSocket on an HTTP/1.1 connection of its own, which gantry upgrades.
  GANTRY_REQUIRE_TOOL("chromium", "chromium");
  ASSERT_NO_FATAL_FAILURE(serve_demo_page());
  ASSERT_NO_FATAL_FAILURE(start_scenario("", "[\"h2\", \"http/1.1\"]"));
  nlohmann::json v;
  ASSERT_NO_FATAL_FAILURE(run_demo_page(&v));
  EXPECT_EQ(v.value("nextHop", ""), "h2");
  EXPECT_TRUE(gantry().wait_for_output("upgraded", 10s)) << gantry().stdout_text();
}

}  // namespace
}  // namespace gantry::itest
