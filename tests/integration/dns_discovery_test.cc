// DNS service discovery end to end: a real dnsmasq on loopback serves
// svc.test, two HTTP servers listen on 127.0.0.1 and 127.0.0.2 on the same
// port, and gantry's backend is "svc.test:PORT". Under a request loop the
// test moves the A record from one address to the other: traffic follows
// with no failed request. Then it kills dnsmasq: the last good set stays.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "dnsmasq.h"
#include "harness/harness.h"

namespace gantry::itest {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// GET /who through gantry with Connection: close: the body ("a" or "b",
// which server answered) or "" when the request failed.
std::string who(uint16_t port) {
  RawClient c;
  if (!c.connect(port) ||
      !c.send("GET /who HTTP/1.1\r\nHost: svc\r\nConnection: close\r\n\r\n"))
    return "";
  ReadResult r = c.read_response();
  return r.ok() && r.response.status == 200 ? r.response.body : "";
}

class DnsDiscoveryTest : public IntegrationTest {
 protected:
  void SetUp() override {
    GANTRY_REQUIRE(!test::Dnsmasq::binary().empty(), "/usr/sbin/dnsmasq (Debian package dnsmasq-base)");
    GANTRY_REQUIRE_TOOL("python3", "python3");
    web_port_ = free_port();
    release_port(web_port_);
    for (int i = 0; i < 2; ++i) {
      std::string dir = tmp().file(std::string("web-") + "ab"[i]);
      ASSERT_TRUE(make_dirs(dir));
      std::ofstream(dir + "/who") << "ab"[i];
      std::string ip = i == 0 ? "127.0.0.1" : "127.0.0.2";
      ASSERT_TRUE(web_[i].start({"python3", "-m", "http.server", "--bind", ip,
                                 std::to_string(web_port_)},
                                "", tmp().file(std::string("web-") + "ab"[i] + ".err"), dir));
    }
    auto deadline = Clock::now() + milliseconds(10000);
    while (Clock::now() < deadline && !(process_listens_on(web_[0].pid(), web_port_) &&
                                        process_listens_on(web_[1].pid(), web_port_)))
      std::this_thread::sleep_for(milliseconds(20));
    ASSERT_TRUE(process_listens_on(web_[0].pid(), web_port_));
    ASSERT_TRUE(process_listens_on(web_[1].pid(), web_port_));

    hosts_ = tmp().file("hosts");
    std::ofstream(hosts_) << "127.0.0.1 svc.test\n";
    ASSERT_TRUE(dns_.start(hosts_, tmp().file("dnsmasq.err"))) << dns_.log();
  }

  // gantry with `workers`, resolving through dnsmasq (300 ms per try, plus
  // `resolver_extra` keys) one backend whose server is svc.test:<web port>.
  std::string config(int workers, const std::string& resolver_extra,
                     const std::string& resolve_interval) const {
    return "workers = " + std::to_string(workers) + "\n[log]\naccess = \"off\"\n"
           "[resolver]\nnameservers = [\"" + dns_.address() + "\"]\ntimeout = \"300ms\"\n" +
           resolver_extra +
           "[[listener]]\nbind = \"127.0.0.1:{{PORT}}\"\n"
           "[[backend]]\nname = \"web\"\nresolve_interval = \"" + resolve_interval + "\"\n"
           "servers = [\"svc.test:" + std::to_string(web_port_) + "\"]\n";
  }

  void point_to(const std::string& ip) {
    std::ofstream(hosts_, std::ios::trunc) << ip << " svc.test\n";
    ASSERT_TRUE(dns_.reload());
  }

  // Requests until `want` answers, up to `wait`.
  bool wait_for(const std::string& want, milliseconds wait) {
    auto deadline = Clock::now() + wait;
    while (Clock::now() < deadline) {
      if (who(port()) == want) return true;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  }

  uint16_t web_port_ = 0;
  std::string hosts_;
  Subprocess web_[2];
  test::Dnsmasq dns_;
};

TEST_F(DnsDiscoveryTest, TrafficFollowsARewrittenRecordAndSurvivesADeadServer) {
  ASSERT_TRUE(start_gantry(write_config(config(2, "attempts = 1\n", "1s"))));
  ASSERT_TRUE(wait_for("a", milliseconds(10000))) << gantry().output();

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<std::string, int> answers;  // body -> count; "" = failed
  std::atomic<int> failed{0};
  std::atomic<int> b_since_mark{0};
  std::atomic<bool> mark{false};
  std::thread loop([&] {
    while (!stop) {
      std::string w = who(port());
      if (w.empty()) ++failed;
      if (mark && w == "b") ++b_since_mark;
      std::lock_guard<std::mutex> l(mu);
      ++answers[w];
    }
  });

  std::this_thread::sleep_for(milliseconds(300));
  point_to("127.0.0.2");
  // Within a resolve_interval (plus the lookup), every answer comes from b.
  bool moved = false;
  auto deadline = Clock::now() + milliseconds(10000);
  while (Clock::now() < deadline && !moved) {
    std::this_thread::sleep_for(milliseconds(100));
    moved = who(port()) == "b" && who(port()) == "b" && who(port()) == "b";
  }
  EXPECT_TRUE(moved) << gantry().output();
  EXPECT_TRUE(gantry().wait_for_output("127.0.0.2:" + std::to_string(web_port_) + " (1 added, 1 removed)",
                                       milliseconds(1000)))
      << gantry().output();

  // The name server dies: lookups fail, the servers stay.
  dns_.stop();
  EXPECT_TRUE(gantry().wait_for_output("lookup failed", milliseconds(10000))) << gantry().output();
  mark = true;
  std::this_thread::sleep_for(milliseconds(2500));  // two more failed re-resolutions
  stop = true;
  loop.join();
  std::cout << "dns: answers a=" << answers["a"] << " b=" << answers["b"] << " failed=" << failed
            << "\n";
  EXPECT_EQ(failed, 0);
  EXPECT_GT(b_since_mark, 0);
  EXPECT_EQ(who(port()), "b");
}

// A name that does not resolve at start: gantry starts, the backend has no
// server (503) and says why; once the record appears, traffic flows.
TEST_F(DnsDiscoveryTest, NameMissingAtStartJoinsWhenItResolves) {
  std::ofstream(hosts_, std::ios::trunc) << "127.0.0.9 other.test\n";
  ASSERT_TRUE(dns_.reload());
  ASSERT_TRUE(start_gantry(write_config(config(1, "", "500ms"))));
  EXPECT_TRUE(gantry().wait_for_output("lookup failed", milliseconds(10000))) << gantry().output();
  EXPECT_EQ(who(port()), "");
  point_to("127.0.0.2");
  EXPECT_TRUE(wait_for("b", milliseconds(10000))) << gantry().output();
  EXPECT_TRUE(gantry().wait_for_output("resolves again", milliseconds(2000))) << gantry().output();
}

}  // namespace
}  // namespace gantry::itest
