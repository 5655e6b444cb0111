// What the client gets when the backend cannot answer: 502 (refused or
// dropped), 503 (no server available), 504 (too slow).
#include <gtest/gtest.h>

#include <thread>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

using std::chrono::milliseconds;

class UpstreamErrorsTest : public IntegrationTest {};

TEST_F(UpstreamErrorsTest, BackendDownIs502) {
  // A port nothing listens on: connect is refused.
  ASSERT_TRUE(start_gantry(write_proxy_config({"127.0.0.1:" + std::to_string(free_port())})));
  auto r = exchange(port(), get_request("/"));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.status, 502);
}

TEST_F(UpstreamErrorsTest, BackendClosingWithoutAnswerIs502) {
  RecordingBackend backend;
  ScriptedResponse drop;
  drop.close_immediately = true;
  backend.set_response(drop);
  ASSERT_TRUE(backend.start());
  ASSERT_TRUE(start_gantry(write_proxy_config({backend.address()})));
  auto r = exchange(port(), get_request("/"));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.status, 502);
  EXPECT_GE(backend.request_count(), 1u);
}

TEST_F(UpstreamErrorsTest, AllServersUnhealthyIs503) {
  RecordingBackend backend;
  backend.set_handler([](const RecordedRequest& req) {
    ScriptedResponse r;
    if (req.target == "/health") r.status = 500;  // fails every check
    return r;
  });
  ASSERT_TRUE(backend.start());
  ASSERT_TRUE(start_gantry(write_proxy_config(
      {backend.address()},
      "\n[backend.health]\npath = \"/health\"\ninterval = \"100ms\"\ntimeout = \"1s\"\n"
      "rise = 1\nfall = 1\n")));
  // Health checks run on their own schedule: poll until the server is marked
  // down (bounded by a generous deadline, not asserted on).
  int last = 0;
  auto deadline = std::chrono::steady_clock::now() + milliseconds(30000);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = exchange(port(), get_request("/page"));
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    last = r.response.status;
    if (last == 503) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(last, 503);
  EXPECT_GE(backend.request_count(), 1u) << "no health check reached the backend";
  // Once down, requests no longer reach the server.
  size_t before = 0;
  for (const auto& q : backend.requests()) before += q.target == "/page";
  auto again = exchange(port(), get_request("/page"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.response.status, 503);
  size_t after = 0;
  for (const auto& q : backend.requests()) after += q.target == "/page";
  EXPECT_EQ(before, after);
}

TEST_F(UpstreamErrorsTest, SlowBackendIs504) {
  RecordingBackend backend;
  ScriptedResponse slow;
  slow.delay = milliseconds(4000);
  backend.set_response(slow);
  ASSERT_TRUE(backend.start());
  ASSERT_TRUE(start_gantry(write_config(
      "workers = 1\nmodules_dir = \"{{MODULES_DIR}}\"\n"
      "[timeouts]\nserver = \"1s\"\n"
      "[[listener]]\nbind = \"127.0.0.1:{{PORT}}\"\n"
      "[[backend]]\nname = \"slow\"\nservers = [\"{{BACKEND}}\"]\n",
      {{"BACKEND", backend.address()}})));
  auto r = exchange(port(), get_request("/slow"), milliseconds(30000));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.status, 504);
}

}  // namespace
}  // namespace gantry::itest
