// The C++ layer (gantry/module.hpp): descriptor and hook table generation,
// the exception barrier of every trampoline, and the views, all driven
// directly through the C function pointers the host would call.
#include <gantry/mock_host.hpp>
#include <gantry/module.hpp>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace {

using gantry::testing::MockCfg;
using gantry::testing::MockConn;
using gantry::testing::MockHost;
using gantry::testing::MockStream;

// Throws whatever the request path asks for.
class Thrower : public gantry::Module {
 public:
  static constexpr const char* kName = "thrower";
  static constexpr const char* kVersion = "0.1.0";
  static constexpr gantry_config_key_t kConfigKeys[] = {
      gantry::key("mode", GANTRY_CFG_STRING, false, "what the constructor does"),
      gantry::keys_end()};

  Thrower(gantry::Host host, gantry::Config config) : Module(host) {
    std::string_view mode = config["mode"].string_or("ok");
    if (mode == "std") throw std::runtime_error("constructor failed");
    if (mode == "int") throw 7;
    if (mode == "config") config["mode"].fail("mode is not acceptable");
    if (mode == "bad_alloc") throw std::bad_alloc();
  }

  gantry_action_t on_request_headers(gantry::Request& req) {
    if (req.path() == "/std") throw std::runtime_error("boom");
    if (req.path() == "/int") throw 42;
    if (req.path() == "/config") gantry::Config().as_int();  // throws ConfigError
    return GANTRY_CONTINUE;
  }
  void on_log(gantry::Request&, const gantry_log_record_t&) { throw std::logic_error("log boom"); }
  void on_conn_close(gantry::Connection) { throw "a C string"; }
};

using ThrowerGlue = gantry::detail::Glue<Thrower>;
const gantry_module_desc_t& thrower_desc = ThrowerGlue::desc;

// Uses the long hook forms, per-worker state and a scope context.
class Counter : public gantry::Module {
 public:
  static constexpr const char* kName = "counter";
  static constexpr const char* kVersion = "2.0.0";
  static constexpr const char* kDescription = "counts requests per worker";
  static constexpr uint64_t kCapabilities = GANTRY_CAP_ROUTING | GANTRY_CAP_LOG;
  static constexpr uint32_t kMinHostMinor = 0;

  explicit Counter(gantry::Host host) : Module(host), counts_(host) {}

  gantry_action_t on_request_headers(gantry::Request&, void* conn_ctx, void** stream_ctx) {
    *stream_ctx = conn_ctx;
    ++counts_.local();
    return GANTRY_DECLINED;
  }
  void on_stream_end(gantry::Request&, void* stream_ctx) { last_stream_ctx = stream_ctx; }
  void* scope_new(uint32_t scope, gantry::Config table) {
    if (scope != GANTRY_SCOPE_LISTENER) throw std::invalid_argument("listener only");
    return reinterpret_cast<void*>(static_cast<uintptr_t>(table["n"].as_int()));
  }

  gantry::PerWorker<int> counts_;
  void* last_stream_ctx = nullptr;
};

using CounterGlue = gantry::detail::Glue<Counter>;

// A transport provider: the descriptor points at the module's table.
constexpr gantry_transport_t kPlainTransport = {sizeof(gantry_transport_t), "plain-test", nullptr,
                                                nullptr, nullptr, nullptr, nullptr, nullptr,
                                                nullptr, nullptr, nullptr, nullptr, nullptr,
                                                nullptr, nullptr};
class Provider : public gantry::Module {
 public:
  static constexpr const char* kName = "provider";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr uint64_t kCapabilities = GANTRY_CAP_TRANSPORT;
  static constexpr const gantry_transport_t* kTransport = &kPlainTransport;
  explicit Provider(gantry::Host host) : Module(host) {}
};

TEST(ModuleHppDescriptor, FillsSizesVersionsAndOptionalMembers) {
  EXPECT_EQ(thrower_desc.struct_size, sizeof(gantry_module_desc_t));
  EXPECT_EQ(thrower_desc.abi_major, static_cast<uint32_t>(GANTRY_ABI_MAJOR));
  EXPECT_EQ(thrower_desc.abi_minor, static_cast<uint32_t>(GANTRY_ABI_MINOR));
  EXPECT_EQ(thrower_desc.min_host_minor, static_cast<uint32_t>(GANTRY_ABI_MINOR));
  EXPECT_STREQ(thrower_desc.name, "thrower");
  EXPECT_STREQ(thrower_desc.version, "0.1.0");
  EXPECT_STREQ(thrower_desc.description, "");
  EXPECT_EQ(thrower_desc.capabilities, 0u);
  ASSERT_NE(thrower_desc.config_keys, nullptr);
  EXPECT_STREQ(thrower_desc.config_keys[0].name, "mode");
  EXPECT_EQ(thrower_desc.config_keys[0].struct_size, sizeof(gantry_config_key_t));
  EXPECT_EQ(thrower_desc.config_keys[1].name, nullptr);
  EXPECT_EQ(thrower_desc.transport, nullptr);

  const gantry_module_desc_t& c = CounterGlue::desc;
  EXPECT_STREQ(c.description, "counts requests per worker");
  EXPECT_EQ(c.capabilities, static_cast<uint64_t>(GANTRY_CAP_ROUTING | GANTRY_CAP_LOG));
  EXPECT_EQ(c.config_keys, nullptr);
  EXPECT_EQ(c.transport, nullptr);
  EXPECT_EQ(gantry::detail::Glue<Provider>::desc.transport, &kPlainTransport);
}

TEST(ModuleHppDescriptor, SetsOnlyTheHooksTheClassDefines) {
  const gantry_hooks_t& h = *thrower_desc.hooks;
  EXPECT_EQ(h.struct_size, sizeof(gantry_hooks_t));
  EXPECT_NE(h.instance_new, nullptr);
  EXPECT_NE(h.instance_free, nullptr);
  EXPECT_NE(h.on_request_headers, nullptr);
  EXPECT_NE(h.on_log, nullptr);
  EXPECT_NE(h.on_conn_close, nullptr);
  EXPECT_EQ(h.scope_new, nullptr);
  EXPECT_EQ(h.on_accept, nullptr);
  EXPECT_EQ(h.on_response_headers, nullptr);
  EXPECT_EQ(h.on_upgrade, nullptr);
  EXPECT_EQ(h.on_stream_end, nullptr);
  const gantry_hooks_t& c = *CounterGlue::desc.hooks;
  EXPECT_NE(c.scope_new, nullptr);
  EXPECT_EQ(c.scope_free, nullptr);
  EXPECT_NE(c.on_stream_end, nullptr);
}

// Builds a Thrower instance and frees it at the end.
struct ThrowerFixture : ::testing::Test {
  MockHost host;
  void* inst = nullptr;
  void SetUp() override { ASSERT_EQ(host.instance_new(thrower_desc, MockCfg::table(), &inst), GANTRY_OK); }
  void TearDown() override {
    if (inst != nullptr) thrower_desc.hooks->instance_free(inst);
  }
  gantry_action_t request(const std::string& path) {
    MockStream s("GET", path);
    void* ctx = nullptr;
    return thrower_desc.hooks->on_request_headers(inst, s.raw(), nullptr, &ctx);
  }
};

TEST_F(ThrowerFixture, StdExceptionInHookIsLoggedAndClosesTheConnection) {
  EXPECT_EQ(request("/std"), GANTRY_CLOSE);
  EXPECT_TRUE(host.logged(GANTRY_LOG_ERROR, "on_request_headers threw: boom"));
}

TEST_F(ThrowerFixture, NonStdExceptionInHookIsLoggedAndClosesTheConnection) {
  EXPECT_EQ(request("/int"), GANTRY_CLOSE);
  EXPECT_TRUE(host.logged(GANTRY_LOG_ERROR, "on_request_headers threw: unknown exception"));
}

TEST_F(ThrowerFixture, ConfigErrorOnTheDataPathClosesToo) {
  EXPECT_EQ(request("/config"), GANTRY_CLOSE);
  EXPECT_TRUE(host.logged(GANTRY_LOG_ERROR, "missing value"));
}

TEST_F(ThrowerFixture, HooksKeepWorkingAfterAnException) {
  EXPECT_EQ(request("/std"), GANTRY_CLOSE);
  EXPECT_EQ(request("/fine"), GANTRY_CONTINUE);
}

TEST_F(ThrowerFixture, VoidHooksSwallowAndLogExceptions) {
  MockStream s;
  gantry_log_record_t rec{};
  rec.struct_size = sizeof rec;
  thrower_desc.hooks->on_log(inst, s.raw(), nullptr, &rec);
  EXPECT_TRUE(host.logged(GANTRY_LOG_ERROR, "on_log threw: log boom"));
  MockConn c;
  thrower_desc.hooks->on_conn_close(inst, c.raw(), nullptr);
  EXPECT_TRUE(host.logged(GANTRY_LOG_ERROR, "on_conn_close threw: unknown exception"));
}

struct CtorCase {
  const char* mode;
  gantry_status_t status;
  const char* message;
  uint32_t line;
};

class ThrowingConstructor : public ::testing::TestWithParam<CtorCase> {};

TEST_P(ThrowingConstructor, BecomesAnErrorStatusWithMessage) {
  const CtorCase& c = GetParam();
  MockHost host;
  void* inst = reinterpret_cast<void*>(0x1);
  MockCfg mode = MockCfg::string(c.mode);
  mode.at_line(12);
  gantry_status_t st = host.instance_new(thrower_desc, MockCfg::table({{"mode", mode}}), &inst);
  EXPECT_EQ(st, c.status);
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].code, c.status);
  EXPECT_EQ(host.errors[0].msg, c.message);
  EXPECT_EQ(host.errors[0].line, c.line);  // error_at with the node: 12; error_set: 0
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ThrowingConstructor,
    ::testing::Values(CtorCase{"std", GANTRY_ERR_GENERIC, "constructor failed", 0},
                      CtorCase{"int", GANTRY_ERR_GENERIC, "unknown exception", 0},
                      CtorCase{"config", GANTRY_ERR_INVAL, "mode is not acceptable", 12},
                      CtorCase{"bad_alloc", GANTRY_ERR_NOMEM, "out of memory", 0}),
    [](const ::testing::TestParamInfo<CtorCase>& info) { return std::string(info.param.mode); });

TEST(ModuleHppHooks, LongFormsReceiveContextsAndPerWorkerStateIsSeparate) {
  MockHost host;
  host.workers = 3;
  void* inst = nullptr;
  ASSERT_EQ(host.instance_new(CounterGlue::desc, MockCfg::table(), &inst), GANTRY_OK);
  Counter& counter = *static_cast<Counter*>(inst);
  ASSERT_EQ(counter.counts_.size(), 3u);
  int conn_ctx = 0;
  for (int32_t worker : {0, 2, 2}) {
    host.worker = worker;
    MockStream s;
    void* stream_ctx = nullptr;
    EXPECT_EQ(CounterGlue::desc.hooks->on_request_headers(inst, s.raw(), &conn_ctx, &stream_ctx),
              GANTRY_DECLINED);
    EXPECT_EQ(stream_ctx, &conn_ctx);
    CounterGlue::desc.hooks->on_stream_end(inst, s.raw(), stream_ctx);
    EXPECT_EQ(counter.last_stream_ctx, &conn_ctx);
  }
  EXPECT_EQ(counter.counts_.at(0), 1);
  EXPECT_EQ(counter.counts_.at(1), 0);
  EXPECT_EQ(counter.counts_.at(2), 2);
  // Off a worker loop local() throws, and the barrier turns that into CLOSE.
  host.worker = -1;
  MockStream s;
  void* stream_ctx = nullptr;
  EXPECT_EQ(CounterGlue::desc.hooks->on_request_headers(inst, s.raw(), nullptr, &stream_ctx),
            GANTRY_CLOSE);
  EXPECT_TRUE(host.logged(GANTRY_LOG_ERROR, "off a worker loop"));
  CounterGlue::desc.hooks->instance_free(inst);
}

TEST(ModuleHppHooks, ScopeNewReturnsContextOrError) {
  MockHost host;
  void* inst = nullptr;
  ASSERT_EQ(host.instance_new(CounterGlue::desc, MockCfg::table(), &inst), GANTRY_OK);
  void* ctx = nullptr;
  MockCfg table = MockCfg::table({{"n", MockCfg::integer(5)}});
  EXPECT_EQ(CounterGlue::desc.hooks->scope_new(inst, GANTRY_SCOPE_LISTENER, table.raw(), &ctx,
                                               host.error_sink()),
            GANTRY_OK);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(ctx), 5u);
  EXPECT_NE(CounterGlue::desc.hooks->scope_new(inst, GANTRY_SCOPE_BACKEND, table.raw(), &ctx,
                                               host.error_sink()),
            GANTRY_OK);
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].msg, "listener only");
  CounterGlue::desc.hooks->instance_free(inst);
}

TEST(ModuleHppConfig, TypedAccessorsDefaultsAndErrors) {
  MockHost host;
  MockCfg root = MockCfg::table({{"name", MockCfg::string("web")},
                                 {"n", MockCfg::integer(3)},
                                 {"ratio", MockCfg::number(0.5)},
                                 {"on", MockCfg::boolean(true)},
                                 {"wait", MockCfg::string("250ms")},
                                 {"buf", MockCfg::string("16k")},
                                 {"list", MockCfg::array({MockCfg::string("a"), MockCfg::string("b")})}});
  gantry::Config c(host.api(), root.raw());
  EXPECT_TRUE(c.is_table());
  EXPECT_EQ(c["name"].as_string(), "web");
  EXPECT_EQ(c["n"].as_int(), 3);
  EXPECT_DOUBLE_EQ(c["ratio"].as_float(), 0.5);
  EXPECT_DOUBLE_EQ(c["n"].as_float(), 3.0);  // an integer is a number too
  EXPECT_TRUE(c["on"].as_bool());
  EXPECT_EQ(c["wait"].as_duration_ms(), 250);
  EXPECT_EQ(c["buf"].as_size_bytes(), 16384);
  EXPECT_FALSE(c["absent"]);
  EXPECT_EQ(c["absent"].int_or(9), 9);
  EXPECT_EQ(c["absent"].string_or("d"), "d");
  EXPECT_EQ(c["n"].int_or(9), 3);
  EXPECT_EQ(c["n"].as_int_in(1, 3), 3);
  EXPECT_THROW(c["n"].as_int_in(4, 10), gantry::ConfigError);
  EXPECT_THROW(c["name"].as_int(), gantry::ConfigError);
  EXPECT_THROW(c["absent"].as_string(), gantry::ConfigError);
  EXPECT_EQ(c["name"].where(), "mock.toml:1:1");

  std::string joined;
  for (auto [key, value] : c["list"]) joined += std::string(key) + std::string(value.as_string());
  EXPECT_EQ(joined, "ab");
  size_t keys = 0;
  for (auto [key, value] : c) keys += !key.empty() && value ? 1 : 0;
  EXPECT_EQ(keys, 7u);
}

TEST(ModuleHppRequest, ViewsAndMutators) {
  MockHost host;
  MockConn conn("2001:db8::5", 5555);
  MockStream s("POST", "/a/b?x=1", {{"Host", "example.com"}, {"X-One", "1"}, {"x-one", "2"}}, &conn);
  s.resp_status = 201;
  s.resp_headers = {{"Server", "up"}};
  gantry::Request req(host.api(), s.raw());
  EXPECT_EQ(req.method(), "POST");
  EXPECT_EQ(req.target(), "/a/b?x=1");
  EXPECT_EQ(req.path(), "/a/b");
  EXPECT_EQ(req.query(), "x=1");
  EXPECT_EQ(req.version(), 11u);
  EXPECT_EQ(req.header("X-ONE").value_or(""), "1");
  EXPECT_EQ(req.header("x-one", 1).value_or(""), "2");
  EXPECT_FALSE(req.header("x-none"));
  size_t n = 0;
  for (auto [name, value] : req.headers()) n += !name.empty() && !value.empty() ? 1 : 0;
  EXPECT_EQ(n, 3u);

  EXPECT_EQ(req.headers().set("x-one", "3"), GANTRY_OK);
  EXPECT_EQ(s.header_count("x-one"), 1u);
  EXPECT_EQ(req.headers().remove("host"), GANTRY_OK);
  EXPECT_EQ(req.headers().remove("host"), GANTRY_ERR_NOENT);
  EXPECT_EQ(req.set_target("/new"), GANTRY_OK);
  EXPECT_EQ(req.path(), "/new");
  EXPECT_EQ(req.route_to("api"), GANTRY_OK);
  EXPECT_EQ(req.backend(), "api");
  EXPECT_EQ(req.respond(403, {{"content-type", "text/plain"}}, "no\n"), GANTRY_OK);
  EXPECT_EQ(s.responded_status, 403);
  EXPECT_EQ(s.responded_body, "no\n");
  ASSERT_NE(s.responded_header("Content-Type"), nullptr);

  EXPECT_EQ(req.response().status(), 201);
  EXPECT_EQ(req.response().header("server").value_or(""), "up");
  EXPECT_EQ(req.response().set_header("x-r", "1"), GANTRY_OK);
  EXPECT_EQ(req.response().header("X-R").value_or(""), "1");

  gantry::Connection c = req.connection();
  EXPECT_EQ(c.peer_ip(), "2001:db8::5");
  EXPECT_EQ(c.listener(), "test");
  EXPECT_FALSE(c.tls().has_value());
  conn.set_peer("192.0.2.8", 1);
  EXPECT_EQ(c.peer_ip(), "192.0.2.8");
}

TEST(ModuleHppHost, MissingServicesDegradeInsteadOfCrashing) {
  gantry_host_api_t empty{};
  empty.struct_size = sizeof empty;
  gantry::Host host(&empty, nullptr);
  host.error("nobody listens");  // log is NULL: dropped, no crash
  EXPECT_EQ(host.worker_count(), 1u);
  EXPECT_EQ(host.worker_index(), -1);
  MockStream s;
  gantry::Request req(&empty, s.raw());
  EXPECT_EQ(req.method(), "");
  EXPECT_EQ(req.respond(500), GANTRY_ERR_NOTSUP);
  EXPECT_FALSE(req.header("host"));
  EXPECT_EQ(req.connection().peer_ip(), "");
}

TEST(ModuleHppHost, LongLogLinesArriveWhole) {
  MockHost host;
  gantry::Host h(host.api(), host.self());
  std::string big(5000, 'x');
  h.warn(big);
  ASSERT_EQ(host.logs.size(), 1u);
  EXPECT_EQ(host.logs[0].msg.size(), 5000u);
  EXPECT_EQ(host.logs[0].level, GANTRY_LOG_WARN);
}

}  // namespace
