// DnsResolver against a real dnsmasq on 127.0.0.1 (tests/common/dnsmasq.h): A and AAAA records become
// addresses, a rewritten record is seen on the next lookup, and a dead name
// server gives a failure (not a hang, not an empty success).
#include "discovery/dns_resolver.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "dnsmasq.h"
#include "requirements.h"
#include "temp_dir.h"

namespace gantry::discovery {
namespace {

class DnsResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GANTRY_REQUIRE(!test::Dnsmasq::binary().empty(), "/usr/sbin/dnsmasq (Debian package dnsmasq-base)");
    uv_loop_init(&loop_);
    loop_ready_ = true;
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

  void start_dnsmasq() { ASSERT_TRUE(dns_.start(hosts_, dir_.path() + "/dnsmasq.log")) << dns_.log(); }
  void stop_dnsmasq() { dns_.stop(); }

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
    o.nameservers = {dns_.address()};
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

  test::TempDir dir_{"gantry-dns"};
  std::string hosts_;
  test::Dnsmasq dns_;
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
  ASSERT_TRUE(dns_.reload());
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
