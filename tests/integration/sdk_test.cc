// The SDK's modules inside the real gantry: the examples (header_rewrite in
// C, ratelimit in C++), a module built against the frozen 1.0 header, and a
// C++ module that throws from a hook, which must cost one connection, never
// the process.
#include <gtest/gtest.h>

#include <string>

#include "harness/harness.h"
#include "harness/websocket_peers.h"

namespace gantry::itest {
namespace {

// SDK test fixtures (tests/abi) are built next to <build>/modules.
std::string abi_fixture(const std::string& name) {
  return modules_dir() + "/../tests/abi/modules/" + name + ".so";
}

class SdkModulesTest : public IntegrationTest {
 protected:
  void SetUp() override { ASSERT_TRUE(backend_.start()); }

  // One listener, one backend, and `modules` (TOML [[module]] entries).
  ::testing::AssertionResult start_with(const std::string& modules) {
    return start_gantry(write_config(R"(workers = 1
modules_dir = "{{MODULES_DIR}}"
)" + modules + R"(
[[listener]]
name = "main"
bind = "127.0.0.1:{{PORT}}"

[[backend]]
name = "web"
servers = ["{{WEB}}"]
)",
                                     {{"WEB", backend_.address()}}));
  }

  RecordingBackend backend_{"web"};
};

TEST_F(SdkModulesTest, RatelimitAnswers429WithRetryAfterToARealClient) {
  GANTRY_REQUIRE_TOOL("curl", "curl");
  // One token per 100 s: nothing refills while the test runs.
  ASSERT_TRUE(start_with(R"(
[[module]]
name = "ratelimit"
path = "ratelimit"
[module.config]
rate = 0.01
burst = 3
)"));
  std::string url = "http://127.0.0.1:" + std::to_string(port()) + "/page";
  for (int i = 0; i < 3; ++i) {
    CurlResult r = run_curl({url}, tmp().path());
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.http_code, 200) << "request " << i;
  }
  for (int i = 0; i < 2; ++i) {
    CurlResult r = run_curl({url}, tmp().path());
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.http_code, 429) << "request " << 3 + i;
    EXPECT_EQ(r.body, "Too Many Requests\n");
  }
  ReadResult raw = exchange(port(), get_request("/page"));
  ASSERT_TRUE(raw.ok()) << to_string(raw.status);
  EXPECT_EQ(raw.response.status, 429);
  EXPECT_GE(std::stoi(raw.response.header("Retry-After").empty() ? "0"
                                                                  : raw.response.header("Retry-After")),
            1);
  EXPECT_EQ(backend_.request_count(), 3u);  // limited requests never reach it
}

TEST_F(SdkModulesTest, HeaderRewriteSetsAndRemovesRequestHeaders) {
  ASSERT_TRUE(start_with(R"(
[[module]]
name = "header_rewrite"
path = "header_rewrite"
[module.config]
remove = ["X-Debug"]
set = { "X-Env" = "prod" }
)"));
  ReadResult r = exchange(port(), get_request("/", "localhost", "X-Debug: 1\r\nX-Env: dev\r\n"));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.status, 200);
  ASSERT_TRUE(backend_.wait_for_requests(1, std::chrono::milliseconds(10000)));
  RecordedRequest seen = backend_.requests().at(0);
  EXPECT_FALSE(seen.has_header("X-Debug"));
  EXPECT_EQ(seen.header_count("X-Env"), 1u);
  EXPECT_EQ(seen.header("X-Env"), "prod");
}

TEST_F(SdkModulesTest, ModuleBuiltAgainstFrozen10HeaderServes) {
  ASSERT_TRUE(start_with(R"(
[[module]]
name = "old"
path = ")" + abi_fixture("old_module_1_0") + R"("
[module.config]
greeting = "hello"
)"));
  // Its request hook answers this path itself, through the 1.0 respond().
  ReadResult greet = exchange(port(), get_request("/old-module/greet"));
  ASSERT_TRUE(greet.ok()) << to_string(greet.status);
  EXPECT_EQ(greet.response.status, 200);
  EXPECT_EQ(greet.response.body, "hello");  // the greeting from its config table
  EXPECT_EQ(greet.response.header("X-Old-Module"), "1.0");
  EXPECT_EQ(backend_.request_count(), 0u);

  // Other requests go on with a header it set; its response hook marks the answer.
  ReadResult r = exchange(port(), get_request("/page"));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.body, "web");
  EXPECT_EQ(r.response.header("X-Old-Module"), "hello");
  ASSERT_TRUE(backend_.wait_for_requests(1, std::chrono::milliseconds(10000)));
  RecordedRequest seen = backend_.requests().at(0);
  EXPECT_EQ(seen.target, "/page");
  EXPECT_EQ(seen.header("X-Greeting"), "hello");
}

TEST_F(SdkModulesTest, ModuleThrowingFromHookDoesNotTakeTheProcessDown) {
  ASSERT_TRUE(start_with(R"(
[[module]]
name = "throwing"
path = ")" + abi_fixture("throwing_module") + R"("
)"));
  for (const char* path : {"/throw", "/throw-int"}) {
    RawClient c;
    ASSERT_TRUE(c.connect(port()));
    ASSERT_TRUE(c.send(get_request(path)));
    ReadResult r = c.read_response();
    // GANTRY_CLOSE: the connection ends without a response from the backend.
    EXPECT_TRUE(r.status == ReadStatus::kClosed || (r.ok() && r.response.status >= 500))
        << path << ": " << to_string(r.status) << " " << r.response.status;
  }
  EXPECT_TRUE(gantry().running());
  EXPECT_TRUE(gantry().wait_for_output("thrown on purpose")) << gantry().describe();
  EXPECT_TRUE(gantry().wait_for_output("unknown exception")) << gantry().describe();
  EXPECT_EQ(backend_.request_count(), 0u);

  ReadResult ok = exchange(port(), get_request("/fine"));
  ASSERT_TRUE(ok.ok()) << to_string(ok.status);
  EXPECT_EQ(ok.response.status, 200);
  EXPECT_EQ(backend_.request_count(), 1u);
}

// ABI 1.1 in the real proxy: a backend name resolved to an index at load
// routes requests, on_listening runs once per worker after listen(), and
// state made in on_upgrade lives on through the tunnel to the access log.
TEST_F(SdkModulesTest, Abi11HooksAndHostCallsWorkInTheRealProxy) {
  WsRawBackend ws;
  ASSERT_TRUE(ws.start());
  const std::string config = R"(workers = 2
modules_dir = "{{MODULES_DIR}}"
[[module]]
name = "abi11"
path = ")" + abi_fixture("abi11_module") + R"("
[module.config]
backend = "{{TARGET}}"

[[listener]]
name = "main"
bind = "127.0.0.1:{{PORT}}"

[[backend]]
name = "web"
servers = ["{{WEB}}"]

[[backend]]
name = "ws"
servers = ["{{WS}}"]
)";
  auto vars = [&](const std::string& target) {
    return std::map<std::string, std::string>{
        {"WEB", backend_.address()}, {"WS", ws.address()}, {"TARGET", target}};
  };

  // An unknown name fails the check at its line (backend is on line 7).
  std::string bad = write_config(config, vars("wss"));
  RunResult r = check_config(bad, tmp().path());
  EXPECT_TRUE(r.status.exited && r.status.code == 1) << r.status.str() << r.out << r.err;
  EXPECT_NE((r.out + r.err).find(":7:"), std::string::npos) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("no backend named \"wss\""), std::string::npos) << r.out << r.err;

  ASSERT_TRUE(start_gantry(write_config(config, vars("ws"))));
  EXPECT_TRUE(gantry().wait_for_output("abi11: worker 0 listening, SO_ACCEPTCONN=1"))
      << gantry().describe();
  EXPECT_TRUE(gantry().wait_for_output("abi11: worker 1 listening, SO_ACCEPTCONN=1"))
      << gantry().describe();

  // Routed by index to "ws" (the default route would be "web", which never
  // answers 101).
  WsClient client;
  ASSERT_TRUE(client.connect(port()));
  ASSERT_EQ(client.handshake().status, 101);
  ASSERT_TRUE(client.send_frame(1, "hello"));
  ASSERT_TRUE(ws.wait_received(11, std::chrono::milliseconds(10000)));
  client.close();
  ws.stop();  // both ends gone: the tunnel ends now, not at its fin timeout
  std::string line = gantry().access_line("/chat");
  EXPECT_NE(line.find("abi11_upgrade=websocket"), std::string::npos) << line;
  EXPECT_NE(line.find("abi11_bytes=11"), std::string::npos) << line;
  EXPECT_EQ(backend_.request_count(), 0u);
}

}  // namespace
}  // namespace gantry::itest
