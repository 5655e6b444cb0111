// The typed transport of the C++ layer (gantry/cpp/transport.hpp): a toy
// provider whose "ciphertext" is the plaintext with every byte inverted,
// driven through the C table the layer builds, as the host drives TLS.
#include <gantry/mock_host.hpp>
#include <gantry/module.hpp>
#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>

namespace {

using gantry::testing::MockCfg;
using gantry::testing::MockHost;

int g_contexts = 0;

struct InvertSession {
  std::string in, out, name;
  bool server = false;
  bool started = false;

  gantry_io_t handshake() {
    started = true;
    return GANTRY_IO_OK;
  }
  gantry_io_t feed_cipher(const uint8_t* p, size_t n, size_t* used) {
    if (n > 0 && p[0] == 0xff) throw std::runtime_error("poison");  // "\0" in plaintext
    in.append(reinterpret_cast<const char*>(p), n);
    *used = n;
    return GANTRY_IO_OK;
  }
  gantry_io_t read_plain(uint8_t* buf, size_t cap, size_t* got) {
    size_t n = std::min(cap, in.size());
    for (size_t i = 0; i < n; ++i) buf[i] = static_cast<uint8_t>(~static_cast<uint8_t>(in[i]));
    in.erase(0, n);
    *got = n;
    return n > 0 ? GANTRY_IO_OK : GANTRY_IO_WANT_READ;
  }
  gantry_io_t write_plain(const uint8_t* p, size_t n, size_t* used) {
    for (size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(~p[i]));
    *used = n;
    return GANTRY_IO_OK;
  }
  size_t peek_cipher(const uint8_t** p) {
    *p = reinterpret_cast<const uint8_t*>(out.data());
    return out.size();
  }
  void consume_cipher(size_t n) { out.erase(0, n); }
  bool handshake_done() const {
    if (name == "broken") throw std::logic_error("broken");
    return started || server;
  }
  gantry_io_t shutdown() { return GANTRY_IO_CLOSED; }
  gantry_status_t info(gantry_tls_info_t& facts) {
    facts.handshake_done = 1;
    facts.sni = gantry::to_str(name);
    facts.library = gantry::to_str("invert 1.0");
    return GANTRY_OK;
  }
};

struct InvertContext {
  explicit InvertContext(bool s) : server(s) { ++g_contexts; }
  ~InvertContext() { --g_contexts; }
  std::unique_ptr<InvertSession> new_session(const gantry_sess_params_t& p) {
    std::string name(p.server_name.ptr != nullptr ? p.server_name.ptr : "", p.server_name.len);
    if (name == "nomem") throw std::bad_alloc();
    if (name == "refuse") return nullptr;
    auto s = std::make_unique<InvertSession>();
    s->server = server;
    s->name = name;
    return s;
  }
  bool server;
};

class Invert : public gantry::Module {
 public:
  static constexpr const char* kName = "invert";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kTransportName = "invert";
  static constexpr gantry_config_key_t kConfigKeys[] = {
      gantry::key("level", GANTRY_CFG_INT, false, "how inverted", GANTRY_SCOPE_TRANSPORT),
      gantry::keys_end()};
  using TransportContext = InvertContext;

  explicit Invert(gantry::Host host) : Module(host) {}
  std::unique_ptr<InvertContext> transport_new(gantry::Config table, bool is_server) {
    if (gantry::Config level = table["level"]) level.as_int_in(1, 3);
    return std::make_unique<InvertContext>(is_server);
  }
};
using InvertGlue = gantry::detail::Glue<Invert>;

struct InvertFixture : ::testing::Test {
  MockHost host;
  void* inst = nullptr;
  const gantry_transport_t& t = *InvertGlue::desc.transport;
  void SetUp() override {
    host.check_keys = true;
    ASSERT_EQ(host.instance_new(InvertGlue::desc, MockCfg::table(), &inst), GANTRY_OK);
  }
  void TearDown() override { InvertGlue::desc.hooks->instance_free(inst); }
  void* context(bool is_server, const MockCfg& table) {
    void* ctx = nullptr;
    EXPECT_EQ(host.transport_new(InvertGlue::desc, inst, table, is_server, &ctx), GANTRY_OK)
        << host.first_error();
    return ctx;
  }
  void* session(void* ctx, const std::string& name, uint32_t struct_size = sizeof(gantry_sess_params_t)) {
    gantry_sess_params_t p{};
    p.struct_size = struct_size;
    p.server_name = gantry::to_str(name);
    void* s = nullptr;
    EXPECT_EQ(t.sess_new(ctx, &p, &s), GANTRY_OK);
    return s;
  }
};

TEST_F(InvertFixture, DescriptorCarriesTheTable) {
  const gantry_module_desc_t& d = InvertGlue::desc;
  EXPECT_NE(d.capabilities & GANTRY_CAP_TRANSPORT, 0u) << "added for a typed transport";
  EXPECT_EQ(t.struct_size, sizeof(gantry_transport_t));
  EXPECT_STREQ(t.name, "invert");
  for (auto fn : {reinterpret_cast<const void*>(t.ctx_new), reinterpret_cast<const void*>(t.sess_new),
                  reinterpret_cast<const void*>(t.read_plain), reinterpret_cast<const void*>(t.info)})
    EXPECT_NE(fn, nullptr);
}

TEST_F(InvertFixture, ContextsFromTablesWithKeyChecksAndErrors) {
  void* ctx = context(true, MockCfg::table({{"provider", MockCfg::string("invert")}}));
  EXPECT_EQ(g_contexts, 1);
  t.ctx_free(inst, ctx);
  EXPECT_EQ(g_contexts, 0);

  void* none = nullptr;
  MockCfg server_name = MockCfg::table({{"server_name", MockCfg::string("a")}});
  EXPECT_EQ(host.transport_new(InvertGlue::desc, inst, server_name, true, &none), GANTRY_ERR_INVAL);
  EXPECT_NE(host.first_error().find("unknown key 'server_name'"), std::string::npos)
      << "server_name is the host's on a backend only";
  ctx = context(false, server_name);
  t.ctx_free(inst, ctx);

  host.errors.clear();
  MockCfg level = MockCfg::integer(9);
  level.at_line(4);
  EXPECT_EQ(host.transport_new(InvertGlue::desc, inst, MockCfg::table({{"level", level}}), true, &none),
            GANTRY_ERR_INVAL);
  ASSERT_EQ(host.errors.size(), 1u);
  EXPECT_EQ(host.errors[0].line, 4u);
  EXPECT_NE(host.errors[0].msg.find("between 1 and 3"), std::string::npos);
  EXPECT_EQ(g_contexts, 0);
}

TEST_F(InvertFixture, SessionsCarryBytesBothWays) {
  void* sctx = context(true, MockCfg::table());
  void* cctx = context(false, MockCfg::table());
  void* server = session(sctx, "");
  void* client = session(cctx, "example.com");
  EXPECT_EQ(t.handshake_done(client), 0u);
  EXPECT_EQ(t.handshake(client), GANTRY_IO_OK);
  EXPECT_EQ(t.handshake_done(client), 1u);

  const std::string hello = "hello";
  size_t used = 0;
  EXPECT_EQ(t.write_plain(client, reinterpret_cast<const uint8_t*>(hello.data()), hello.size(), &used),
            GANTRY_IO_OK);
  EXPECT_EQ(used, hello.size());
  const uint8_t* cipher = nullptr;
  size_t n = t.peek_cipher(client, &cipher);
  ASSERT_EQ(n, hello.size());
  EXPECT_NE(std::string(reinterpret_cast<const char*>(cipher), n), hello);
  EXPECT_EQ(t.feed_cipher(server, cipher, n, &used), GANTRY_IO_OK);
  t.consume_cipher(client, used);
  EXPECT_EQ(t.peek_cipher(client, &cipher), 0u);
  uint8_t buf[16];
  size_t got = 0;
  EXPECT_EQ(t.read_plain(server, buf, sizeof buf, &got), GANTRY_IO_OK);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), got), hello);
  EXPECT_EQ(t.read_plain(server, buf, sizeof buf, &got), GANTRY_IO_WANT_READ);
  EXPECT_EQ(t.shutdown(server), GANTRY_IO_CLOSED);

  t.sess_free(server);
  t.sess_free(client);
  t.ctx_free(inst, sctx);
  t.ctx_free(inst, cctx);
}

TEST_F(InvertFixture, ParamsAndInfoFollowEachSidesSize) {
  void* ctx = context(false, MockCfg::table());
  // An older host's params end before server_name: the session sees it empty.
  void* old = session(ctx, "example.com", offsetof(gantry_sess_params_t, server_name));
  gantry_tls_info_t full{};
  full.struct_size = sizeof full;
  ASSERT_EQ(t.info(old, &full), GANTRY_OK);
  EXPECT_EQ(full.sni.len, 0u);
  EXPECT_EQ(std::string(full.library.ptr, full.library.len), "invert 1.0");

  void* s = session(ctx, "example.com");
  // An older host's info ends before `library`: that member is left alone.
  gantry_tls_info_t short_info{};
  short_info.struct_size = static_cast<uint32_t>(offsetof(gantry_tls_info_t, library));
  ASSERT_EQ(t.info(s, &short_info), GANTRY_OK);
  EXPECT_EQ(short_info.struct_size, offsetof(gantry_tls_info_t, library));
  EXPECT_EQ(std::string(short_info.sni.ptr, short_info.sni.len), "example.com");
  EXPECT_EQ(short_info.library.ptr, nullptr);
  EXPECT_EQ(t.info(s, nullptr), GANTRY_ERR_INVAL);
  t.sess_free(old);
  t.sess_free(s);
  t.ctx_free(inst, ctx);
}

TEST_F(InvertFixture, ExceptionsEndTheSessionNotTheProcess) {
  void* ctx = context(false, MockCfg::table());
  gantry_sess_params_t p{};
  p.struct_size = sizeof p;
  void* s = nullptr;
  p.server_name = gantry::to_str("nomem");
  EXPECT_EQ(t.sess_new(ctx, &p, &s), GANTRY_ERR_NOMEM);
  p.server_name = gantry::to_str("refuse");
  EXPECT_EQ(t.sess_new(ctx, &p, &s), GANTRY_ERR_NOMEM);
  EXPECT_EQ(s, nullptr);

  void* broken = session(ctx, "broken");
  EXPECT_EQ(t.handshake_done(broken), 0u);
  const uint8_t poison[1] = {0xff};
  size_t used = 0;
  EXPECT_EQ(t.feed_cipher(broken, poison, 1, &used), GANTRY_IO_ERROR);
  t.sess_free(broken);
  t.ctx_free(inst, ctx);
}

}  // namespace
