// Core routing rules: [route.respond] answers without a backend; path_prefix
// and host pick backends; first match wins.
#include <gtest/gtest.h>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

class RouteTest : public IntegrationTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(web_.start());
    ASSERT_TRUE(api_.start());
    ASSERT_TRUE(start_gantry(write_config(R"(workers = 1
modules_dir = "{{MODULES_DIR}}"

[[listener]]
name = "main"
bind = "127.0.0.1:{{PORT}}"

[[backend]]
name = "web"
servers = ["{{WEB}}"]

[[backend]]
name = "api"
servers = ["{{API}}"]

[[route]]
path_prefix = "/health"
[route.respond]
status = 200
headers = { "Content-Type" = "text/plain", "X-Answered-By" = "route" }
body = "alive"

[[route]]
path_prefix = "/gone/"
[route.respond]
status = 410

[[route]]
host = "api.example"
backend = "api"

[[route]]
path_prefix = "/api/"
backend = "api"

[[route]]
backend = "web"
)",
                                          {{"WEB", web_.address()}, {"API", api_.address()}})));
  }
  RecordingBackend web_{"web"};
  RecordingBackend api_{"api"};
};

TEST_F(RouteTest, RespondRuleAnswersWithoutBackend) {
  auto r = exchange(port(), get_request("/health"));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.body, "alive");
  EXPECT_EQ(r.response.header("X-Answered-By"), "route");
  EXPECT_EQ(r.response.header("Content-Type"), "text/plain");
  EXPECT_EQ(r.response.header("Content-Length"), "5");

  auto gone = exchange(port(), get_request("/gone/page"));
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone.response.status, 410);
  EXPECT_EQ(web_.request_count() + api_.request_count(), 0u);
}

TEST_F(RouteTest, RespondRuleKeepsConnectionAlive) {
  RawClient c;
  ASSERT_TRUE(c.connect(port()));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send(get_request("/health")));
    auto r = c.read_response();
    ASSERT_TRUE(r.ok()) << i;
    EXPECT_EQ(r.response.body, "alive");
  }
  // A proxied request on the same connection after local answers.
  ASSERT_TRUE(c.send(get_request("/page")));
  auto r = c.read_response();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.response.body, "web");
}

TEST_F(RouteTest, RoutesByPathPrefixAndHost) {
  EXPECT_EQ(exchange(port(), get_request("/api/v1")).response.body, "api");
  EXPECT_EQ(exchange(port(), get_request("/apix")).response.body, "web");
  EXPECT_EQ(exchange(port(), get_request("/", "api.example")).response.body, "api");
  EXPECT_EQ(exchange(port(), get_request("/", "API.Example:8080")).response.body, "api")
      << "host matching ignores case and port";
  EXPECT_EQ(exchange(port(), get_request("/", "other.example")).response.body, "web");
  EXPECT_EQ(api_.request_count(), 3u);
  EXPECT_EQ(web_.request_count(), 2u);
}

}  // namespace
}  // namespace gantry::itest
