// The SDK's mock host (gantry/mock_host.hpp): the checks gantry makes before
// a module sees a table, and the host behaviour module tests rely on.
#include <gantry/mock_host.hpp>
#include <gantry/module.hpp>
#include <gtest/gtest.h>

#include <string>

namespace {

using gantry::testing::MockCfg;
using gantry::testing::MockConn;
using gantry::testing::MockHost;
using gantry::testing::MockStream;
using gantry::testing::MockTls;

class Keys : public gantry::Module {
 public:
  static constexpr const char* kName = "keys";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr gantry_config_key_t kConfigKeys[] = {
      gantry::key("name", GANTRY_CFG_STRING, true, "required"),
      gantry::key("wait", GANTRY_CFG_DURATION, false, "a duration"),
      gantry::key("buf", GANTRY_CFG_SIZE, false, "a size"),
      gantry::key("ratio", GANTRY_CFG_FLOAT, false, "a number"),
      gantry::key("nodelay", GANTRY_CFG_BOOL, false, "listener only", GANTRY_SCOPE_LISTENER),
      gantry::keys_end()};
  Keys(gantry::Host host, gantry::Config config) : Module(host) {
    ++built;
    (void)config;
  }
  void* scope_new(uint32_t, gantry::Config) { return this; }
  static inline int built = 0;
};
using KeysGlue = gantry::detail::Glue<Keys>;

// instance_new with `config`; "" when accepted, else the first error's text.
std::string refusal(const MockCfg& config) {
  MockHost host;
  host.check_keys = true;
  void* inst = nullptr;
  if (host.instance_new(KeysGlue::desc, config, &inst) == GANTRY_OK) {
    KeysGlue::desc.hooks->instance_free(inst);
    return "";
  }
  return host.first_error();
}

MockCfg at_line(MockCfg c, uint32_t line) {
  c.at_position("g.toml", line, 5);
  return c;
}

TEST(MockHostKeys, RefusesWhatGantryRefuses) {
  MockCfg name = MockCfg::string("a");
  EXPECT_EQ(refusal(MockCfg::table({{"name", name}})), "");
  EXPECT_EQ(refusal(MockCfg::table({{"name", name},
                                    {"wait", MockCfg::string("250MS")},
                                    {"buf", MockCfg::integer(0)},
                                    {"ratio", MockCfg::integer(2)}})),
            "");
  int before = Keys::built;
  EXPECT_EQ(refusal(MockCfg::table({{"name", name}, {"nam", at_line(MockCfg::integer(1), 3)}})),
            "g.toml:3:5: unknown key 'nam' (module 'keys' accepts here: name, wait, buf, ratio)");
  EXPECT_EQ(Keys::built, before) << "the module never saw the table";
  EXPECT_EQ(refusal(MockCfg::table({{"name", at_line(MockCfg::integer(1), 2)}})),
            "g.toml:2:5: name: expected string, got integer (module 'keys')");
  EXPECT_EQ(refusal(MockCfg::table({{"name", name}, {"wait", at_line(MockCfg::string("30"), 4)}})),
            "g.toml:4:5: wait: expected a duration (\"250ms\", \"30s\", \"5m\", \"1h\" or integer "
            "ms), got \"30\" (module 'keys')");
  EXPECT_NE(refusal(MockCfg::table({{"name", name}, {"buf", MockCfg::integer(-1)}})), "");
  EXPECT_NE(refusal(MockCfg::table({{"name", name}, {"nodelay", MockCfg::boolean(true)}})).find(
                "unknown key 'nodelay'"),
            std::string::npos)
      << "a listener key is not a module key";
  MockCfg empty = MockCfg::table();
  empty.at_position("g.toml", 7, 1);
  EXPECT_EQ(refusal(empty), "g.toml:7:1: missing required key 'name' (module 'keys')");
}

TEST(MockHostKeys, ScopeTablesAndTheDefaultOff) {
  MockHost host;
  host.check_keys = true;
  void* inst = nullptr;
  ASSERT_EQ(host.instance_new(KeysGlue::desc, MockCfg::table({{"name", MockCfg::string("a")}}), &inst),
            GANTRY_OK);
  void* ctx = nullptr;
  MockCfg listener = MockCfg::table({{"nodelay", MockCfg::boolean(true)}});
  EXPECT_EQ(host.scope_new(KeysGlue::desc, inst, GANTRY_SCOPE_LISTENER, listener, &ctx), GANTRY_OK);
  EXPECT_EQ(ctx, inst);
  EXPECT_EQ(host.scope_new(KeysGlue::desc, inst, GANTRY_SCOPE_BACKEND, listener, &ctx),
            GANTRY_ERR_INVAL);
  EXPECT_EQ(ctx, nullptr);
  host.check_keys = false;  // the default: the module sees whatever it is given
  EXPECT_EQ(host.scope_new(KeysGlue::desc, inst, GANTRY_SCOPE_BACKEND, listener, &ctx), GANTRY_OK);
  KeysGlue::desc.hooks->instance_free(inst);
}

TEST(MockHostStreams, RespondOnceAndRefuseBadFields) {
  MockHost host;
  MockStream s;
  gantry::Request req(host.api(), s.raw());
  EXPECT_EQ(req.respond(200, {{"Bad Name", "x"}}), GANTRY_ERR_INVAL);
  EXPECT_EQ(req.respond(200, {{"X", "a\r\nb"}}), GANTRY_ERR_INVAL);
  EXPECT_EQ(req.respond(99), GANTRY_ERR_INVAL);
  EXPECT_EQ(req.respond(204), GANTRY_OK);
  EXPECT_EQ(req.respond(500), GANTRY_ERR_BUSY) << "one answer per stream";
  EXPECT_EQ(s.responded_status, 204);
  EXPECT_EQ(req.headers().set("X:Y", "1"), GANTRY_ERR_INVAL);
  EXPECT_EQ(req.headers().add("X", "1\n"), GANTRY_ERR_INVAL);
  EXPECT_EQ(req.response().set_header("", "1"), GANTRY_ERR_INVAL);
  EXPECT_EQ(req.set_target("no-slash"), GANTRY_ERR_INVAL);
  EXPECT_EQ(req.set_target("/a b"), GANTRY_ERR_INVAL);
  EXPECT_EQ(req.set_target("/ok?q=1"), GANTRY_OK);
  EXPECT_EQ(req.query(), "q=1");
}

TEST(MockHostStreams, BackendsNotesAndOwnConnection) {
  MockHost host;
  host.has_backend = [](std::string_view n) { return n == "web"; };
  MockStream s;
  gantry::Request req(host.api(), s.raw());
  EXPECT_EQ(req.route_to("api"), GANTRY_ERR_NOENT);
  EXPECT_EQ(req.route_to("web"), GANTRY_OK);
  EXPECT_EQ(s.backend, "web");
  req.log_note("k", "1");
  req.log_note("k", "2");
  EXPECT_EQ(s.note("k"), "2");
  EXPECT_EQ(s.note_count("k"), 2u);
  EXPECT_EQ(s.note("none"), "");
  // A stream always has a connection: its own unless one is given.
  EXPECT_EQ(req.connection().peer_ip(), "192.0.2.1");
  s.own_conn.set_peer("2001:db8::9", 1);
  EXPECT_EQ(req.connection().peer_ip(), "2001:db8::9");
  MockConn shared("198.51.100.4");
  s.conn = &shared;
  EXPECT_EQ(req.connection().peer_ip(), "198.51.100.4");
}

TEST(MockHostConnections, TlsFactsAndLocalAddress) {
  MockHost host;
  MockConn c;
  gantry::Connection conn(host.api(), c.raw());
  EXPECT_FALSE(conn.tls().has_value());
  sockaddr_storage sa;
  EXPECT_FALSE(conn.address(GANTRY_ADDR_LOCAL, &sa, nullptr)) << "not set";
  c.set_local("127.0.0.1", 8443);
  socklen_t len = 0;
  ASSERT_TRUE(conn.address(GANTRY_ADDR_LOCAL, &sa, &len));
  EXPECT_EQ(len, sizeof(sockaddr_in));
  EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in*>(&sa)->sin_port), 8443);
  c.tls = MockTls{};
  c.tls->sni = "example.com";
  auto info = conn.tls();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->handshake_done, 1u);
  EXPECT_EQ(gantry::to_sv(info->sni), "example.com");
  EXPECT_EQ(gantry::to_sv(info->alpn), "http/1.1");
}

TEST(MockHostInstances, SeveralHostsAndTheCurrentOne) {
  MockHost a;
  a.workers = 2;
  a.worker = 1;
  {
    MockHost b;
    b.worker = 0;
    EXPECT_EQ(b.api()->worker_index(), 0) << "the newest host is current";
    a.make_current();
    EXPECT_EQ(b.api()->worker_index(), 1);
    EXPECT_EQ(b.api()->worker_count(), 2u);
    b.make_current();
  }
  EXPECT_EQ(a.api()->worker_index(), 1) << "back to the one left";
}

TEST(MockHostUnits, AsGantryReadsThem) {
  MockHost host;
  auto dur = [&](const std::string& text) {
    int64_t v = -1;
    return host.api()->cfg_duration_ms(MockCfg::string(text).raw(), &v) == GANTRY_OK ? v : -1;
  };
  auto size = [&](const std::string& text) {
    int64_t v = -1;
    return host.api()->cfg_size_bytes(MockCfg::string(text).raw(), &v) == GANTRY_OK ? v : -1;
  };
  EXPECT_EQ(dur("250ms"), 250);
  EXPECT_EQ(dur("2S"), 2000);
  EXPECT_EQ(dur("5m"), 300000);
  EXPECT_EQ(dur("1h"), 3600000);
  EXPECT_EQ(dur("30"), -1) << "a duration needs a unit";
  EXPECT_EQ(dur("99999999999999999999s"), -1);
  EXPECT_EQ(size("100"), 100);
  EXPECT_EQ(size("16k"), 16384);
  EXPECT_EQ(size("1MB"), 1048576);
  EXPECT_EQ(size("2g"), int64_t{2} << 30);
  EXPECT_EQ(size("5x"), -1);
  int64_t v = 0;
  EXPECT_EQ(host.api()->cfg_size_bytes(MockCfg::integer(-1).raw(), &v), GANTRY_ERR_INVAL);
}

}  // namespace
