// SIGHUP applies a new config only when every part of it could be built.
// Each stage that can fail after the file parsed is failed on its own here:
// module instances (build_generation), the snapshot with its access log
// (make_snapshot), and a new listening socket (bind). The new config always
// routes to ANOTHER backend, so a client can tell "kept the old config" from
// "applied the new one". After each failure the same config with only the
// fault removed must apply, which shows that the fault, and nothing else,
// kept the old one.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

using std::chrono::milliseconds;

constexpr char kConfig[] = R"(workers = 1
modules_dir = "{{MODULES_DIR}}"
[log]
access = "{{ACCESS}}"
level = "info"
[[listener]]
name = "main"
bind = "127.0.0.1:{{PORT}}"
{{LISTENERS}}
[[backend]]
name = "web"
servers = ["{{SERVER}}"]
{{MODULES}}
)";

// The parts of kConfig a test changes.
struct Parts {
  std::string access = "stdout";
  std::string listeners;
  std::string modules;
};

class ReloadFailureTest : public IntegrationTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(a_.start());
    ASSERT_TRUE(b_.start());
    ASSERT_TRUE(start_gantry(write(a_.address())));
    ASSERT_NO_FATAL_FAILURE(expect_served_by("A"));
  }

  std::string write(const std::string& server, const Parts& p = Parts()) {
    return write_config(kConfig, {{"SERVER", server},
                                  {"ACCESS", p.access},
                                  {"LISTENERS", p.listeners},
                                  {"MODULES", p.modules}});
  }

  enum class Verdict { kComplete, kFailed, kNone };

  // Rewrites the config to route to B (plus `p`), sends SIGHUP and waits for
  // gantry's verdict ("reload complete" or "reload failed" in its log).
  Verdict reload_to_b(const Parts& p) {
    write(b_.address(), p);
    size_t before = outcomes();
    if (!gantry().reload()) return Verdict::kNone;
    for (int i = 0; i < 1500 && outcomes() == before; ++i)
      std::this_thread::sleep_for(milliseconds(20));
    if (outcomes() == before) return Verdict::kNone;
    std::string out = gantry().output();
    size_t done = out.rfind("reload complete");
    size_t failed = out.rfind("reload failed");
    if (failed == std::string::npos) return Verdict::kComplete;
    return done != std::string::npos && done > failed ? Verdict::kComplete : Verdict::kFailed;
  }

  size_t outcomes() {
    std::string out = gantry().output();
    size_t n = 0;
    for (const char* needle : {"reload complete", "reload failed"})
      for (size_t at = out.find(needle); at != std::string::npos; at = out.find(needle, at + 1))
        ++n;
    return n;
  }

  // New connections, each with a request: all answered by `label`.
  void expect_served_by(const std::string& label, uint16_t port = 0) {
    for (int i = 0; i < 4; ++i) {
      ReadResult r = itest::exchange(port != 0 ? port : this->port(), get_request("/which"));
      ASSERT_TRUE(r.ok()) << to_string(r.status) << " " << r.error;
      EXPECT_EQ(r.response.status, 200);
      EXPECT_EQ(r.response.body, label) << "request " << i;
    }
  }

  RecordingBackend a_{"A"}, b_{"B"};
};

TEST_F(ReloadFailureTest, GoodConfigRoutesToTheNewBackend) {
  ASSERT_EQ(Verdict::kComplete, reload_to_b(Parts())) << gantry().describe();
  expect_served_by("B");
}

TEST_F(ReloadFailureTest, ModuleInstanceFailureKeepsTheOldRouting) {
  // Valid TOML with keys the module declares; the module itself refuses the
  // value when its instance is built.
  Parts bad;
  bad.modules = "[[module]]\nname = \"websocket\"\npath = \"websocket\"\n"
                "[module.config]\nallowed_origins = [\"not an origin\"]\n";
  ASSERT_EQ(Verdict::kFailed, reload_to_b(bad)) << gantry().describe();
  EXPECT_TRUE(gantry().wait_for_output("instance_new")) << gantry().describe();
  expect_served_by("A");

  Parts fixed = bad;
  fixed.modules = "[[module]]\nname = \"websocket\"\npath = \"websocket\"\n"
                  "[module.config]\nallowed_origins = [\"https://app.example.com\"]\n";
  ASSERT_EQ(Verdict::kComplete, reload_to_b(fixed)) << gantry().describe();
  expect_served_by("B");
}

TEST_F(ReloadFailureTest, AccessLogThatCannotBeOpenedKeepsTheOldRouting) {
  Parts bad;
  bad.access = tmp().file("logs/access.log");  // the folder does not exist yet
  ASSERT_EQ(Verdict::kFailed, reload_to_b(bad)) << gantry().describe();
  EXPECT_TRUE(gantry().wait_for_output("cannot open access log")) << gantry().describe();
  expect_served_by("A");

  ASSERT_TRUE(make_dirs(tmp().file("logs")));
  ASSERT_EQ(Verdict::kComplete, reload_to_b(bad)) << gantry().describe();
  expect_served_by("B");
  EXPECT_NE(read_file(tmp().file("logs/access.log")).find("\"GET /which\" 200"), std::string::npos);
}

TEST_F(ReloadFailureTest, ListenerThatCannotBindKeepsTheOldRouting) {
  uint16_t second = free_port();
  release_port(second);  // its reservation would let gantry bind next to the blocker
  PortBlocker blocker(second);
  ASSERT_TRUE(blocker.ok()) << "cannot hold 127.0.0.1:" << second;
  Parts bad;
  bad.listeners =
      "[[listener]]\nname = \"second\"\nbind = \"127.0.0.1:" + std::to_string(second) + "\"\n";
  ASSERT_EQ(Verdict::kFailed, reload_to_b(bad)) << gantry().describe();
  EXPECT_TRUE(gantry().wait_for_output("cannot bind 127.0.0.1:" + std::to_string(second)))
      << gantry().describe();
  expect_served_by("A");

  blocker.release();
  ASSERT_EQ(Verdict::kComplete, reload_to_b(bad)) << gantry().describe();
  expect_served_by("B");
  expect_served_by("B", second);
}

}  // namespace
}  // namespace gantry::itest
