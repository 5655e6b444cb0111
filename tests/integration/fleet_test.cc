// The fleet recipe of docs/fleet.md: HAProxy in TCP mode with send-proxy-v2
// and health checks fronts two gantry instances. The client connects from
// 127.0.0.5, HAProxy from 127.0.0.1: both instances must log 127.0.0.5 and
// send it in X-Forwarded-For. Then one instance is stopped gracefully
// (SIGTERM) under a request loop: no request may fail once HAProxy marked
// it down; how many failed before that is printed, not asserted.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

const char* kClient = "127.0.0.5";

// One request from kClient to 127.0.0.1:port with Connection: close;
// true on a complete 200 answer.
bool get_ok(uint16_t port, const std::string& target) {
  RawClient c;
  if (!c.connect_from(kClient, port) ||
      !c.send("GET " + target + " HTTP/1.1\r\nHost: fleet\r\nConnection: close\r\n\r\n"))
    return false;
  ReadResult r = c.read_response();
  // The recording backend answers "ok" (its label) as the whole body.
  return r.ok() && r.response.status == 200 && r.response.body == "ok";
}

class FleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GANTRY_REQUIRE(::access("/usr/sbin/haproxy", X_OK) == 0,
                   "/usr/sbin/haproxy (Debian package haproxy)");
    ASSERT_TRUE(backend_.start());
    for (int i = 0; i < 2; ++i) {
      ports_[i] = free_port();
      release_port(ports_[i]);
      std::string cfg = tmp_.file("gantry" + std::to_string(i + 1) + ".toml");
      std::ofstream(cfg) << "workers = 1\nshutdown_timeout = \"10s\"\n"
                            "[log]\naccess = \"stdout\"\n"
                            "[[listener]]\nbind = \"127.0.0.1:"
                         << ports_[i]
                         << "\"\nproxy_protocol = true\nproxy_protocol_from = [\"127.0.0.1\"]\n"
                            "[[backend]]\nname = \"app\"\nservers = [\""
                         << backend_.address()
                         << "\"]\n[[route]]\npath_prefix = \"/healthz\"\n"
                            "respond = { status = 200, body = \"ok\\n\" }\n"
                            "[[route]]\nbackend = \"app\"\n";
      g_[i] = std::make_unique<GantryProcess>(cfg, tmp_.path());
      ASSERT_TRUE(g_[i]->start_and_wait(ports_[i])) << g_[i]->describe();
    }
    front_ = free_port();
    release_port(front_);
    std::string hcfg = tmp_.file("haproxy.cfg");
    std::ofstream(hcfg) << "global\n  maxconn 200\n"
                           "defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 30s\n"
                           "  timeout server 30s\n  retries 3\n  option redispatch 1\n"
                           "frontend fe\n  bind 127.0.0.1:"
                        << front_
                        << "\n  default_backend gantry\n"
                           "backend gantry\n  balance roundrobin\n"
                           "  option httpchk GET /healthz\n  http-check expect status 200\n"
                           "  default-server send-proxy-v2 check-send-proxy check inter 200ms "
                           "fall 2 rise 1\n"
                           "  server g1 127.0.0.1:"
                        << ports_[0] << "\n  server g2 127.0.0.1:" << ports_[1] << "\n";
    herr_ = tmp_.file("haproxy.err");
    ASSERT_TRUE(haproxy_.start({"/usr/sbin/haproxy", "-db", "-f", hcfg}, tmp_.file("haproxy.out"),
                               herr_));
    auto deadline = Clock::now() + milliseconds(10000);
    while (Clock::now() < deadline && !process_listens_on(haproxy_.pid(), front_))
      std::this_thread::sleep_for(milliseconds(20));
    ASSERT_TRUE(process_listens_on(haproxy_.pid(), front_));
  }
  void TearDown() override {
    haproxy_.kill_and_wait();
    for (auto& g : g_)
      if (g) {
        if (HasFailure()) std::cerr << g->describe() << "\n";
        g->kill();
      }
  }

  std::string haproxy_log() const {
    std::ifstream in(herr_);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::string xff_of(const std::string& target) {
    for (const auto& r : backend_.requests())
      if (r.target == target) return r.header("X-Forwarded-For");
    return "<no request>";
  }

  TempDir tmp_;
  RecordingBackend backend_;
  uint16_t ports_[2] = {0, 0};
  std::unique_ptr<GantryProcess> g_[2];
  uint16_t front_ = 0;
  Subprocess haproxy_;
  std::string herr_;
};

TEST_F(FleetTest, ClientAddressReachesBothInstancesAndDrainLosesNothingOnceDown) {
  // Round robin: consecutive requests go to both instances.
  std::vector<std::string> targets;
  for (int i = 0; i < 8; ++i) {
    targets.push_back("/fleet-" + std::to_string(i));
    ASSERT_TRUE(get_ok(front_, targets.back())) << targets.back();
  }
  int seen[2] = {0, 0};
  for (const std::string& t : targets) {
    EXPECT_EQ(xff_of(t), kClient) << t;
    for (int i = 0; i < 2; ++i) {
      std::string line = g_[i]->access_line(t, milliseconds(200));
      if (line.empty()) continue;
      ++seen[i];
      EXPECT_NE(line.find(std::string(" ") + kClient + " \"GET " + t), std::string::npos)
          << "gantry" << i + 1 << ": " << line;
    }
  }
  EXPECT_GT(seen[0], 0) << "no request reached gantry1";
  EXPECT_GT(seen[1], 0) << "no request reached gantry2";

  // A request loop through HAProxy while gantry2 drains and exits.
  std::atomic<bool> down{false};
  std::atomic<bool> stop{false};
  std::atomic<int> lost_before{0}, lost_after{0}, sent_after{0}, sent{0};
  std::thread loop([&] {
    for (int n = 0; !stop; ++n) {
      bool after = down.load();
      bool ok = get_ok(front_, "/loop-" + std::to_string(n));
      ++sent;
      if (after) ++sent_after;
      if (!ok) ++(after ? lost_after : lost_before);
    }
  });
  std::this_thread::sleep_for(milliseconds(300));
  ASSERT_TRUE(g_[1]->signal(SIGTERM));
  auto deadline = Clock::now() + milliseconds(15000);
  while (Clock::now() < deadline && haproxy_log().find("g2 is DOWN") == std::string::npos)
    std::this_thread::sleep_for(milliseconds(20));
  bool marked = haproxy_log().find("g2 is DOWN") != std::string::npos;
  down = true;
  while (marked && sent_after < 100 && Clock::now() < deadline + milliseconds(15000))
    std::this_thread::sleep_for(milliseconds(20));
  stop = true;
  loop.join();
  ASSERT_TRUE(marked) << "HAProxy never marked g2 down:\n" << haproxy_log();
  std::cout << "fleet: " << sent << " requests; lost before HAProxy marked g2 down: "
            << lost_before << "; after: " << lost_after << " of " << sent_after << "\n";
  EXPECT_EQ(lost_after, 0);
  EXPECT_GE(sent_after, 100);
  auto st = g_[1]->wait_exit(milliseconds(20000));
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->ok()) << st->str();
}

}  // namespace
}  // namespace gantry::itest
