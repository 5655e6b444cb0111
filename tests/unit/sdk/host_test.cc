// Host calls of the C++ layer (gantry/cpp/host.hpp, config.hpp,
// request.hpp): a host table shorter than the SDK's degrades instead of
// being read past its end, and the helpers added for the first-party modules.
#include <gantry/mock_host.hpp>
#include <gantry/module.hpp>
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace {

using gantry::testing::MockCfg;
using gantry::testing::MockHost;
using gantry::testing::MockStream;

TEST(HostCalls, MembersBeyondTheHostsTableAreNotCalled) {
  MockHost mock;
  gantry_host_api_t api = *mock.api();
  // A host whose table ends before `respond`: as if built for an older minor.
  api.struct_size = static_cast<uint32_t>(offsetof(gantry_host_api_t, respond));
  MockStream s("GET", "/x");
  gantry::Request req(&api, s.raw());
  EXPECT_EQ(req.path(), "/x");  // within the table
  EXPECT_EQ(req.respond(403), GANTRY_ERR_NOTSUP);
  EXPECT_EQ(s.responded_status, 0);
  EXPECT_EQ(gantry::detail::host_fn(&api, &gantry_host_api_t::resp_status), nullptr);
  EXPECT_NE(gantry::detail::host_fn(&api, &gantry_host_api_t::route_backend), nullptr);
  EXPECT_EQ(gantry::detail::host_fn(static_cast<const gantry_host_api_t*>(nullptr),
                                    &gantry_host_api_t::log),
            nullptr);
}

TEST(HostCalls, PostConfigDirAndPaths) {
  MockHost mock;
  mock.config_dir = "/etc/gantry";
  gantry::Host host(mock.api(), mock.self());
  int ran = 0;
  EXPECT_EQ(host.post(-1, [](void* arg) { ++*static_cast<int*>(arg); }, &ran), GANTRY_OK);
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(host.config_dir(), "/etc/gantry");
  EXPECT_EQ(host.resolve_path("certs/a.pem"), "/etc/gantry/certs/a.pem");
  EXPECT_EQ(host.resolve_path("/abs/a.pem"), "/abs/a.pem");
  EXPECT_EQ(host.resolve_path(""), "");
  mock.config_dir = "/";
  EXPECT_EQ(host.resolve_path("a"), "/a");

  gantry_host_api_t none{};
  none.struct_size = sizeof none;
  gantry::Host bare(&none, nullptr);
  EXPECT_EQ(bare.post(0, [](void*) {}, nullptr), GANTRY_ERR_NOTSUP);
  EXPECT_EQ(bare.config_dir(), "");
  EXPECT_EQ(bare.resolve_path("a"), "a");
}

TEST(HostCalls, ConfigPositionsAndQuietReads) {
  MockHost mock;
  MockCfg n = MockCfg::integer(7);
  n.at_position("/etc/gantry/gantry.toml", 12, 9);
  MockCfg root = MockCfg::table({{"n", n}, {"s", MockCfg::string("x")}});
  gantry::Config c(mock.api(), root.raw());
  EXPECT_EQ(c["n"].where(), "/etc/gantry/gantry.toml:12:9");
  EXPECT_EQ(c["n"].where(false), "/etc/gantry/gantry.toml:12");
  EXPECT_EQ(c["n"].line(), 12u);
  EXPECT_EQ(c["absent"].line(), 0u);
  EXPECT_EQ(c["absent"].where(), "");
  EXPECT_TRUE(c["n"].is(GANTRY_CFG_INT));
  EXPECT_FALSE(c["absent"].is(GANTRY_CFG_ANY));

  int64_t i = 0;
  EXPECT_TRUE(c["n"].read(&gantry::Config::as_int, &i));
  EXPECT_EQ(i, 7);
  bool b = true;
  EXPECT_FALSE(c["s"].read(&gantry::Config::as_bool, &b)) << "wrong type: no exception, false";
  EXPECT_TRUE(b) << "left untouched";
  std::string_view sv;
  EXPECT_FALSE(c["absent"].read(&gantry::Config::as_string, &sv));
  EXPECT_TRUE(c["s"].read(&gantry::Config::as_string, &sv));
  EXPECT_EQ(sv, "x");
}

TEST(HostCalls, RespondWithAnyRangeOfPairs) {
  MockHost mock;
  MockStream s;
  gantry::Request req(mock.api(), s.raw());
  std::vector<std::pair<std::string, std::string>> headers = {{"Location", "/x"}, {"X-A", "1"}};
  EXPECT_EQ(req.respond_with(302, headers, "moved\n"), GANTRY_OK);
  EXPECT_EQ(s.responded_status, 302);
  ASSERT_NE(s.responded_header("location"), nullptr);
  EXPECT_EQ(*s.responded_header("location"), "/x");
  EXPECT_EQ(s.responded_body, "moved\n");

  MockStream t;
  gantry::Request many(mock.api(), t.raw());
  std::vector<std::pair<std::string, std::string>> too_many(gantry::Request::kMaxRespondHeaders + 1,
                                                            {"X", "1"});
  EXPECT_EQ(many.respond_with(200, too_many), GANTRY_ERR_RANGE);
  EXPECT_EQ(t.responded_status, 0);
}

TEST(HostCalls, PerWorkerLocalOrNull) {
  MockHost mock;
  mock.workers = 2;
  gantry::Host host(mock.api(), mock.self());
  gantry::PerWorker<int> counts(host, 5);
  mock.worker = 1;
  ASSERT_NE(counts.local_or_null(), nullptr);
  *counts.local_or_null() += 1;
  EXPECT_EQ(counts.at(1), 6);
  EXPECT_EQ(counts.at(0), 5);
  mock.worker = -1;
  EXPECT_EQ(counts.local_or_null(), nullptr);
  mock.worker = 2;  // beyond worker_count()
  EXPECT_EQ(counts.local_or_null(), nullptr);
  EXPECT_THROW(counts.local(), std::logic_error);
}

// ABI 1.2: a gauge set outright (a fact) adds to what was counted; a
// counter cannot be set; on a 1.1 host (its table ends before metric_set)
// the call does nothing.
TEST(HostCalls, MetricSetGivesAGaugeItsValue) {
  MockHost mock;
  gantry::Host host(mock.api(), mock.self());
  int32_t g = host.metric_gauge("cert_expiry_seconds", "when", "cert=\"a.pem\"");
  int32_t c = host.metric_counter("hits_total", "hits");
  ASSERT_GE(g, 0);
  host.metric_set(g, 1000);
  host.metric_set(g, 2000);  // replaces, does not add
  host.metric_add(g, 5);
  EXPECT_EQ(mock.metric("cert_expiry_seconds", "cert=\"a.pem\""), 2005);
  EXPECT_EQ(mock.api()->metric_set(c, 7), GANTRY_ERR_INVAL);
  EXPECT_EQ(mock.metric("hits_total"), 0);

  gantry_host_api_t old = *mock.api();
  old.struct_size = static_cast<uint32_t>(offsetof(gantry_host_api_t, metric_set));
  gantry::Host older(&old, mock.self());
  older.metric_set(g, 1);
  EXPECT_EQ(mock.metric("cert_expiry_seconds", "cert=\"a.pem\""), 2005);
}

}  // namespace
