// Binary upgrade (SIGUSR2): gantry runs from a copy of the binary in the
// test's folder, so the test can put another file at that path. wrk keeps
// loading it through the switch (no failed request, no refused
// connection), a WebSocket tunnel opened on the old process lives until
// hard_stop_after, and a new binary that fails leaves the old one serving.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include "harness/harness.h"
#include "harness/nginx_backend.h"
#include "harness/websocket_peers.h"

namespace gantry::itest {
namespace {

using namespace std::chrono_literals;

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

class UpgradeTest : public IntegrationTest {
 protected:
  void TearDown() override {
    // The new process is not our child: it is stopped by pid.
    if (new_pid_ > 0 && alive(new_pid_)) {
      ::kill(new_pid_, SIGTERM);
      for (int i = 0; i < 100 && alive(new_pid_); ++i) std::this_thread::sleep_for(50ms);
      if (alive(new_pid_)) ::kill(new_pid_, SIGKILL);
    }
  }

  // gantry copied to <tmp>/bin/gantry, started from there.
  void start(const std::string& config_text) {
    bin_ = tmp().file("bin");
    ASSERT_TRUE(make_dirs(bin_));
    std::filesystem::copy_file(gantry_binary(), bin_ + "/gantry");
    ::chmod((bin_ + "/gantry").c_str(), 0755);
    cfg_ = write_config(config_text);
    log_ = tmp().file("old.log");
    ASSERT_TRUE(old_.start({bin_ + "/gantry", "-c", cfg_}, log_, log_, tmp().path()));
    ASSERT_TRUE(wait_for_log("started:", 20s)) << read_file(log_);
  }

  bool wait_for_log(const std::string& needle, std::chrono::milliseconds t) {
    auto end = std::chrono::steady_clock::now() + t;
    while (std::chrono::steady_clock::now() < end) {
      if (read_file(log_).find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // One worker, no access log, one backend server; `top`: more top-level keys.
  static std::string one_worker(const std::string& server, const std::string& top = "") {
    return "workers = 1\n" + top + "[log]\naccess = \"off\"\n"
           "[[listener]]\nbind = \"127.0.0.1:{{PORT}}\"\n"
           "[[backend]]\nname = \"web\"\nservers = [\"" + server + "\"]\n";
  }

  // The pid the old process named as its successor.
  pid_t successor() {
    std::smatch m;
    std::string text = read_file(log_);
    if (!std::regex_search(text, m, std::regex("upgrade: new process (\\d+) serves"))) return -1;
    return static_cast<pid_t>(std::stol(m[1]));
  }

  std::string bin_, cfg_, log_;
  Subprocess old_;
  pid_t new_pid_ = -1;
};

TEST_F(UpgradeTest, WrkThroughTheUpgradeSeesNoFailureAndNoRefusal) {
  GANTRY_REQUIRE_TOOL("wrk", "wrk");
  GANTRY_REQUIRE_TOOL("nginx", "nginx-light");
  NginxBackend backend(tmp().file("nginx"));
  backend.add_return("/", 200, "hello");
  ASSERT_TRUE(backend.start());
  ASSERT_NO_FATAL_FAILURE(start("workers = 2\nhard_stop_after = \"5s\"\n[log]\naccess = \"off\"\n"
                                "[[listener]]\nbind = \"127.0.0.1:{{PORT}}\"\n"
                                "[[backend]]\nname = \"web\"\nservers = [\"" +
                                backend.address() + "\"]\n"));
  std::string wrk_out = tmp().file("wrk.out");
  Subprocess wrk;
  ASSERT_TRUE(wrk.start({"wrk", "-t1", "-c20", "-d5s", "http://127.0.0.1:" + std::to_string(port()) + "/"},
                        wrk_out, wrk_out, tmp().path()));
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(old_.signal(SIGUSR2));
  ASSERT_TRUE(wait_for_log("serves; this process stops accepting", 20s)) << read_file(log_);
  new_pid_ = successor();
  ASSERT_GT(new_pid_, 0) << read_file(log_);
  EXPECT_NE(new_pid_, old_.pid());
  std::optional<ExitStatus> old_exit = old_.wait_exit(15000ms);
  ASSERT_TRUE(old_exit.has_value()) << read_file(log_);
  EXPECT_TRUE(old_exit->ok()) << old_exit->str();
  ASSERT_TRUE(wrk.wait_exit(20000ms).has_value());
  std::string w = read_file(wrk_out);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(w, m, std::regex("(\\d+) requests in"))) << w;
  EXPECT_GT(std::stol(m[1]), 100) << w;
  EXPECT_EQ(w.find("Socket errors"), std::string::npos) << w;  // connect, read, write, timeout
  EXPECT_EQ(w.find("Non-2xx"), std::string::npos) << w;
  // The new process serves on the same address, on its own.
  EXPECT_TRUE(alive(new_pid_));
  ReadResult r = exchange(port(), get_request("/"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.response.status, 200);
}

TEST_F(UpgradeTest, TunnelOnTheOldProcessLivesUntilHardStopAfter) {
  WsEchoServer echo;
  ASSERT_TRUE(echo.start());
  std::string cfg = websocket_proxy_config(echo.address(), "", "");
  cfg = "hard_stop_after = \"2s\"\n" + cfg;
  ASSERT_NO_FATAL_FAILURE(start(cfg));
  WsClient ws;
  ASSERT_TRUE(ws.connect(port()));
  HttpMessage h = ws.handshake();
  ASSERT_EQ(h.status, 101);
  ASSERT_TRUE(ws.send_frame(0x1, "before"));
  EXPECT_EQ(ws.next().payload, "before");
  ASSERT_TRUE(old_.signal(SIGUSR2));
  ASSERT_TRUE(wait_for_log("serves; this process stops accepting", 20s)) << read_file(log_);
  new_pid_ = successor();
  auto switched = std::chrono::steady_clock::now();
  // The old process still carries the tunnel...
  ASSERT_TRUE(ws.send_frame(0x1, "during"));
  EXPECT_EQ(ws.next().payload, "during");
  // ...until hard_stop_after, when it exits and the tunnel with it.
  EXPECT_TRUE(ws.wait_eof(10000ms));
  auto lived = std::chrono::steady_clock::now() - switched;
  EXPECT_GE(lived, 1500ms);  // not cut at the switch, but at the deadline
  std::optional<ExitStatus> old_exit = old_.wait_exit(10000ms);
  ASSERT_TRUE(old_exit.has_value());
  // New connections go to the new process.
  WsClient again;
  ASSERT_TRUE(again.connect(port()));
  EXPECT_EQ(again.handshake().status, 101);
}

TEST_F(UpgradeTest, ANewBinaryThatFailsLeavesTheOldOneServing) {
  RecordingBackend backend;
  ASSERT_TRUE(backend.start());
  ASSERT_NO_FATAL_FAILURE(start(one_worker(backend.address())));
  // A broken build at the binary's path.
  std::filesystem::remove(bin_ + "/gantry");
  std::ofstream(bin_ + "/gantry") << "#!/bin/sh\necho 'not a gantry' >&2\nexit 3\n";
  ::chmod((bin_ + "/gantry").c_str(), 0755);
  ASSERT_TRUE(old_.signal(SIGUSR2));
  ASSERT_TRUE(wait_for_log("upgrade failed:", 20s)) << read_file(log_);
  std::string text = read_file(log_);
  EXPECT_NE(text.find("exited with status 3 before it served"), std::string::npos) << text;
  EXPECT_NE(text.find("this process keeps serving"), std::string::npos) << text;
  EXPECT_TRUE(old_.running());
  ReadResult r = exchange(port(), get_request("/still"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.response.status, 200);
  // A config the new binary refuses is the same failure.
  std::filesystem::remove(bin_ + "/gantry");
  std::filesystem::copy_file(gantry_binary(), bin_ + "/gantry");
  ::chmod((bin_ + "/gantry").c_str(), 0755);
  std::ofstream(cfg_, std::ios::app) << "bogus_key = 1\n";
  ASSERT_TRUE(old_.signal(SIGUSR2));
  ASSERT_TRUE(wait_for_log("exited with status 1 before it served", 20s)) << read_file(log_);
  EXPECT_TRUE(old_.running());
  ASSERT_TRUE(exchange(port(), get_request("/still-2")).ok());
  old_.signal(SIGTERM);
  old_.wait_exit(10000ms);
}

// pid_file names the serving process: the first at start, the new one once
// an upgrade took over (the old one leaves it alone at exit), nobody after
// the last one stops.
TEST_F(UpgradeTest, PidFileFollowsTheServingProcess) {
  RecordingBackend backend;
  ASSERT_TRUE(backend.start());
  ASSERT_NO_FATAL_FAILURE(start(one_worker(backend.address(), "pid_file = \"run.pid\"\n")));
  std::string pid_file = std::filesystem::path(cfg_).parent_path().string() + "/run.pid";
  EXPECT_EQ(read_file(pid_file), std::to_string(old_.pid()) + "\n");
  ASSERT_TRUE(old_.signal(SIGUSR2));
  ASSERT_TRUE(wait_for_log("serves; this process stops accepting", 20s)) << read_file(log_);
  new_pid_ = successor();
  ASSERT_GT(new_pid_, 0) << read_file(log_);
  EXPECT_EQ(read_file(pid_file), std::to_string(new_pid_) + "\n");
  ASSERT_TRUE(old_.wait_exit(15000ms).has_value()) << read_file(log_);
  EXPECT_EQ(read_file(pid_file), std::to_string(new_pid_) + "\n");  // not the old one's to remove
  ::kill(new_pid_, SIGTERM);
  for (int i = 0; i < 200 && alive(new_pid_); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(alive(new_pid_));
  EXPECT_FALSE(file_exists(pid_file));
}

}  // namespace
}  // namespace gantry::itest
