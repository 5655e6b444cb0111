// The acl_hyperscan module in the real proxy: the seed rule set (HAProxy's
// `path_reg ^/socket.io/.*$` split) routes to two recording backends; deny,
// rewrite and header actions reach the wire; an unsupported regex fails
// `gantry -t` with its line; a reload swaps the ACL set.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

const char* kSeedConfig = R"(workers = 1
modules_dir = "{{MODULES_DIR}}"

[[listener]]
name = "main"
bind = "127.0.0.1:{{PORT}}"

[[backend]]
name = "socket_io"
servers = ["{{A}}"]

[[backend]]
name = "nginx"
servers = ["{{B}}"]

[[module]]
name = "acl"
path = "acl_hyperscan"

[module.config]
cache_dir = "{{DIR}}/acl-cache"

[[module.config.acl]]
name = "is_websocket"
path_reg = "^/socket.io/.*$"

[[module.config.acl]]
name = "admin"
path_beg = "/admin"

[[module.config.acl]]
name = "api"
path_beg = "/api/"

[[module.config.rule]]
deny = 403
if = "admin"

[[module.config.rule]]
if = "api"
strip_prefix = "/api"
set_header = { X-Routed-By = "acl" }
use_backend = "nginx"

[[module.config.rule]]
use_backend = "{{WS_BACKEND}}"
if = "is_websocket"

[[module.config.rule]]
use_backend = "nginx"
if = "!is_websocket"
)";

class AclTest : public IntegrationTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(a_.start());
    ASSERT_TRUE(b_.start());
  }
  std::string config(const std::string& ws_backend) {
    return write_config(kSeedConfig,
                        {{"A", a_.address()}, {"B", b_.address()}, {"WS_BACKEND", ws_backend}});
  }
  // Body of the answer to GET `path`: the label of the backend that served it.
  std::string served_by(const std::string& path) {
    auto r = itest::exchange(port(), get_request(path));
    if (!r.ok()) return std::string("no response: ") + to_string(r.status);
    if (r.response.status != 200) return "status " + std::to_string(r.response.status);
    return r.response.body;
  }
  RecordingBackend a_{"A"};
  RecordingBackend b_{"B"};
};

TEST_F(AclTest, SeedRuleSetSplitsSocketIoFromTheRest) {
  ASSERT_TRUE(start_gantry(config("socket_io")));
  EXPECT_EQ(served_by("/socket.io/?EIO=4&transport=polling"), "A");
  EXPECT_EQ(served_by("/socket.io/socket.io.js"), "A");
  EXPECT_EQ(served_by("/"), "B");
  EXPECT_EQ(served_by("/index.html"), "B");
  EXPECT_EQ(served_by("/socket.io"), "B");
  EXPECT_EQ(served_by("/static/socket.io/x"), "B");
  ASSERT_EQ(a_.request_count(), 2u);
  EXPECT_EQ(a_.requests()[0].target, "/socket.io/?EIO=4&transport=polling");
  EXPECT_EQ(b_.request_count(), 4u);
}

TEST_F(AclTest, DenyAndRewriteReachTheWire) {
  ASSERT_TRUE(start_gantry(config("socket_io")));
  auto denied = itest::exchange(port(), get_request("/admin/users"));
  ASSERT_TRUE(denied.ok()) << to_string(denied.status);
  EXPECT_EQ(denied.response.status, 403);
  EXPECT_EQ(a_.request_count() + b_.request_count(), 0u);

  EXPECT_EQ(served_by("/api/users?id=7"), "B");
  ASSERT_EQ(b_.request_count(), 1u);
  RecordedRequest seen = b_.requests()[0];
  EXPECT_EQ(seen.target, "/users?id=7");
  EXPECT_EQ(seen.header("X-Routed-By"), "acl");
}

TEST_F(AclTest, UnsupportedRegexFailsConfigCheckWithItsLine) {
  std::string path = write_config(R"(workers = 1
modules_dir = "{{MODULES_DIR}}"
[[listener]]
bind = "127.0.0.1:1"
[[backend]]
name = "web"
servers = ["127.0.0.1:2"]
[[module]]
name = "acl"
path = "acl_hyperscan"
[module.config]
cache_dir = "off"
[[module.config.acl]]
name = "backref"
path_reg = "^/(a+)\\1$"
)",
                                  {}, "bad.toml");
  RunResult r = check_config(path, tmp().path());
  std::string all = r.out + r.err;
  EXPECT_TRUE(r.status.exited && r.status.code == 1) << r.status.str() << "\n" << all;
  EXPECT_NE(all.find("bad.toml:15"), std::string::npos) << all;
  EXPECT_NE(all.find("backref"), std::string::npos) << all;
  EXPECT_NE(all.find("^/(a+)\\1$"), std::string::npos) << all;
}

TEST_F(AclTest, ReloadSwapsTheAclSet) {
  std::string path = config("socket_io");
  ASSERT_TRUE(start_gantry(path));
  EXPECT_EQ(served_by("/socket.io/x"), "A");
  // Same file, new rules: socket.io traffic now goes to the nginx backend.
  ASSERT_EQ(config("nginx"), path);
  ASSERT_TRUE(gantry().reload());
  // The reload completes asynchronously; poll until the new generation
  // answers (a wait with a deadline, not a timing assertion).
  std::string got;
  for (int i = 0; i < 200; ++i) {
    got = served_by("/socket.io/x");
    if (got == "B") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(got, "B") << gantry().describe();
  EXPECT_EQ(served_by("/"), "B");
}

}  // namespace
}  // namespace gantry::itest
