// DnsResolver against a real dnsmasq on 127.0.0.1: A and AAAA records become
// addresses, a rewritten record is seen on the next lookup, and a dead name
// server gives a failure (not a hang, not an empty success).
#include "discovery/dns_resolver.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "requirements.h"
#include "temp_dir.h"

namespace gantry::discovery {
namespace {

std::string dnsmasq_path() {
  if (test::tool_in_path("dnsmasq")) return "dnsmasq";
  if (::access("/usr/sbin/dnsmasq", X_OK) == 0) return "/usr/sbin/dnsmasq";
  return "";
}

// A UDP port nobody holds right now on 127.0.0.1.
uint16_t free_udp_port() {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  socklen_t len = sizeof sin;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
  ::close(fd);
  return ntohs(sin.sin_port);
}

class DnsResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = dnsmasq_path();
    GANTRY_REQUIRE(!bin_.empty(), "`dnsmasq` (Debian package dnsmasq-base)");
    uv_loop_init(&loop_);
    loop_ready_ = true;
    port_ = free_udp_port();
    hosts_ = dir_.write("hosts", "127.0.0.1 svc.test\n127.0.0.2 svc.test\n::1 svc.test\n");
  }
  void TearDown() override {
    stop_dnsmasq();
    if (!loop_ready_) return;  // skipped before the loop was made
    if (resolver_) {
      resolver_->stop();
      resolver_.reset();
      uv_run(&loop_, UV_RUN_DEFAULT);
    } else {
      uv_run(&loop_, UV_RUN_NOWAIT);  // a test's own resolver closed its handles
    }
    // Also for tests whose resolver never started: the loop's own memory.
    uv_loop_close(&loop_);
  }

  void start_dnsmasq() {
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string port = "--port=" + std::to_string(port_);
      std::string addn = "--addn-hosts=" + hosts_;
      ::execlp(bin_.c_str(), bin_.c_str(), "--keep-in-foreground", "--no-resolv", "--no-hosts",
               "--listen-address=127.0.0.1", "--bind-interfaces", "--user=root", port.c_str(),
               addn.c_str(), "--log-facility=-", static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  void stop_dnsmasq() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  ResolveResult lookup(const std::string& host) {
    ResolveResult out;
    bool done = false;
    resolver_->resolve(host, 8080, [&](ResolveResult r) {
      out = std::move(r);
      done = true;
    });
    while (!done) uv_run(&loop_, UV_RUN_ONCE);
    return out;
  }

  // dnsmasq answers once it has bound its port: ask until it does.
  ResolveResult lookup_when_up(const std::string& host) {
    ResolveResult r;
    for (int i = 0; i < 50; ++i) {
      r = lookup(host);
      if (r.status == ResolveStatus::kOk) break;
      ::usleep(100 * 1000);
    }
    return r;
  }

  void start_resolver(uint64_t timeout_ms = 500, uint32_t attempts = 2) {
    ResolverOptions o;
    o.nameservers = {"127.0.0.1:" + std::to_string(port_)};
    o.timeout_ms = timeout_ms;
    o.attempts = attempts;
    resolver_ = std::make_unique<DnsResolver>(&loop_);
    std::string why;
    ASSERT_TRUE(resolver_->start(o, &why)) << why;
  }

  static std::vector<std::string> texts(const ResolveResult& r) {
    std::vector<std::string> v;
    for (const auto& a : r.addresses) v.push_back(a.text);
    return v;
  }

  std::string bin_;
  test::TempDir dir_{"gantry-dns"};
  std::string hosts_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  uv_loop_t loop_{};
  bool loop_ready_ = false;
  std::unique_ptr<DnsResolver> resolver_;
};

TEST_F(DnsResolverTest, AAndAaaaRecordsBecomeAddresses) {
  start_dnsmasq();
  start_resolver();
  ResolveResult r = lookup_when_up("svc.test");
  ASSERT_EQ(r.status, ResolveStatus::kOk) << r.why;
  EXPECT_EQ(texts(r), (std::vector<std::string>{"127.0.0.1:8080", "127.0.0.2:8080", "[::1]:8080"}));
}

TEST_F(DnsResolverTest, RewrittenRecordIsSeenOnTheNextLookup) {
  start_dnsmasq();
  start_resolver();
  ASSERT_EQ(lookup_when_up("svc.test").status, ResolveStatus::kOk);
  dir_.write("hosts", "127.0.0.3 svc.test\n");
  ::kill(pid_, SIGHUP);  // dnsmasq rereads --addn-hosts files and clears its cache
  std::vector<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    ResolveResult r = lookup("svc.test");
    seen = texts(r);
    if (r.status == ResolveStatus::kOk && seen == std::vector<std::string>{"127.0.0.3:8080"}) break;
    ::usleep(100 * 1000);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"127.0.0.3:8080"}));
}

TEST_F(DnsResolverTest, UnknownNameHasNoRecords) {
  start_dnsmasq();
  start_resolver();
  ASSERT_EQ(lookup_when_up("svc.test").status, ResolveStatus::kOk);
  ResolveResult r = lookup("nothere.test");
  EXPECT_NE(r.status, ResolveStatus::kOk);
  EXPECT_TRUE(r.addresses.empty());
  EXPECT_NE(r.why.find("nothere.test"), std::string::npos) << r.why;
}

TEST_F(DnsResolverTest, DeadNameServerFailsInsteadOfHanging) {
  start_dnsmasq();
  start_resolver(200, 1);
  ASSERT_EQ(lookup_when_up("svc.test").status, ResolveStatus::kOk);
  stop_dnsmasq();
  ResolveResult r = lookup("svc.test");
  EXPECT_EQ(r.status, ResolveStatus::kFailed) << r.why;
  EXPECT_TRUE(r.addresses.empty());
  EXPECT_FALSE(r.why.empty());
}

TEST_F(DnsResolverTest, BadNameServerIsRefusedAtStart) {
  ResolverOptions o;
  o.nameservers = {"not an address"};
  DnsResolver res(&loop_);
  std::string why;
  EXPECT_FALSE(res.start(o, &why));
  EXPECT_NE(why.find("nameservers"), std::string::npos) << why;
}

}  // namespace
}  // namespace gantry::discovery
