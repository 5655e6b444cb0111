// Typed contexts of the C++ layer (gantry/cpp/state.hpp, glue.hpp): a class
// that declares ScopeContext, ConnContext or StreamContext gets typed
// pointers and gantry::Slot<T> in its hooks, and the layer frees the state
// at scope_free / on_conn_close / on_stream_end.
#include <gantry/mock_host.hpp>
#include <gantry/module.hpp>
#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace {

using gantry::testing::MockCfg;
using gantry::testing::MockConn;
using gantry::testing::MockHost;
using gantry::testing::MockStream;

int g_alive = 0;  // Tracked objects not yet destroyed

struct Tracked {
  explicit Tracked(int v = 0) : value(v) { ++g_alive; }
  ~Tracked() { --g_alive; }
  int value;
};
struct ScopeState : Tracked {
  using Tracked::Tracked;
};
struct ConnState : Tracked {
  using Tracked::Tracked;
};
struct StreamState : Tracked {
  using Tracked::Tracked;
  size_t tunnelled = 0;
};

// Every context typed, every hook in its typed form; no hook that frees.
class Typed : public gantry::Module {
 public:
  static constexpr const char* kName = "typed";
  static constexpr const char* kVersion = "1.0.0";
  using ScopeContext = ScopeState;
  using ConnContext = ConnState;
  using StreamContext = StreamState;

  explicit Typed(gantry::Host host) : Module(host) {}

  std::unique_ptr<ScopeState> scope_new(uint32_t, gantry::Config table) {
    if (!table["n"]) return nullptr;
    return std::make_unique<ScopeState>(static_cast<int>(table["n"].as_int()));
  }
  gantry_action_t on_listen(ScopeState* s, gantry_listener_t*, int32_t) {
    seen = s != nullptr ? s->value : -1;
    return GANTRY_CONTINUE;
  }
  gantry_action_t on_accept(ScopeState* s, gantry::Connection, int32_t fd,
                            gantry::Slot<ConnState> conn) {
    conn.emplace(fd + (s != nullptr ? s->value : 0));
    return GANTRY_CONTINUE;
  }
  gantry_action_t on_handshake(gantry::Connection, ConnState* c) {
    seen = c->value;
    return GANTRY_CONTINUE;
  }
  gantry_action_t on_request_headers(gantry::Request&, ConnState* c, gantry::Slot<StreamState> st) {
    if (!st) st.emplace(c != nullptr ? c->value : -1);
    return GANTRY_CONTINUE;
  }
  gantry_action_t on_upgrade(gantry::Request&, StreamState* st, std::string_view protocol) {
    seen = st->value + static_cast<int>(protocol.size());
    return GANTRY_CONTINUE;
  }
  gantry_action_t on_connect_upstream(ScopeState* s, gantry::Request&, int32_t, size_t pending) {
    seen = s->value + static_cast<int>(pending);
    return GANTRY_CONTINUE;
  }
  gantry_action_t on_response_headers(gantry::Request&, StreamState* st) {
    seen = st->value;
    return GANTRY_CONTINUE;
  }
  gantry_action_t on_tunnel_data(gantry::Request&, StreamState* st, uint32_t, const uint8_t*,
                                 size_t n) {
    st->tunnelled += n;
    return GANTRY_CONTINUE;
  }
  void on_log(gantry::Request&, StreamState* st, const gantry_log_record_t&) {
    seen = static_cast<int>(st->tunnelled);
  }

  int seen = 0;
};
using TypedGlue = gantry::detail::Glue<Typed>;

// A StreamContext with its own on_stream_end, and the (Request&, Slot) form.
class Ender : public gantry::Module {
 public:
  static constexpr const char* kName = "ender";
  static constexpr const char* kVersion = "1.0.0";
  using StreamContext = StreamState;
  explicit Ender(gantry::Host host) : Module(host) {}
  gantry_action_t on_request_headers(gantry::Request& req, gantry::Slot<StreamState> st) {
    st.emplace(static_cast<int>(req.path().size()));
    return GANTRY_CONTINUE;
  }
  void on_stream_end(gantry::Request&, StreamState* st) { last = st != nullptr ? st->value : -1; }
  int last = 0;
};
using EnderGlue = gantry::detail::Glue<Ender>;

TEST(TypedContexts, TheLayerInstallsTheHooksThatFree) {
  const gantry_hooks_t& h = *TypedGlue::desc.hooks;
  EXPECT_NE(h.scope_new, nullptr);
  EXPECT_NE(h.scope_free, nullptr);
  EXPECT_NE(h.on_stream_end, nullptr);
  EXPECT_NE(h.on_conn_close, nullptr);
  const gantry_hooks_t& e = *EnderGlue::desc.hooks;
  EXPECT_EQ(e.scope_free, nullptr);
  EXPECT_EQ(e.on_conn_close, nullptr);
  EXPECT_NE(e.on_stream_end, nullptr);
}

TEST(TypedContexts, StateFlowsThroughTheHooksAndIsFreed) {
  MockHost host;
  void* inst = nullptr;
  ASSERT_EQ(host.instance_new(TypedGlue::desc, MockCfg::table(), &inst), GANTRY_OK);
  Typed& m = *static_cast<Typed*>(inst);
  const gantry_hooks_t& h = *TypedGlue::desc.hooks;

  void* scope = nullptr;
  ASSERT_EQ(host.scope_new(TypedGlue::desc, inst, GANTRY_SCOPE_LISTENER,
                           MockCfg::table({{"n", MockCfg::integer(100)}}), &scope),
            GANTRY_OK);
  ASSERT_NE(scope, nullptr);
  EXPECT_EQ(g_alive, 1);
  void* none = reinterpret_cast<void*>(0x1);
  ASSERT_EQ(host.scope_new(TypedGlue::desc, inst, GANTRY_SCOPE_BACKEND, MockCfg::table(), &none),
            GANTRY_OK);
  EXPECT_EQ(none, nullptr) << "a null unique_ptr is no context";

  EXPECT_EQ(h.on_listen(inst, scope, nullptr, 3), GANTRY_CONTINUE);
  EXPECT_EQ(m.seen, 100);

  MockConn conn;
  void* conn_ctx = nullptr;
  EXPECT_EQ(h.on_accept(inst, scope, conn.raw(), 7, &conn_ctx), GANTRY_CONTINUE);
  ASSERT_NE(conn_ctx, nullptr);
  EXPECT_EQ(static_cast<ConnState*>(conn_ctx)->value, 107);
  EXPECT_EQ(h.on_handshake(inst, conn.raw(), conn_ctx), GANTRY_CONTINUE);
  EXPECT_EQ(m.seen, 107);

  MockStream s("GET", "/", {}, &conn);
  void* stream_ctx = nullptr;
  EXPECT_EQ(h.on_request_headers(inst, s.raw(), conn_ctx, &stream_ctx), GANTRY_CONTINUE);
  ASSERT_NE(stream_ctx, nullptr);
  EXPECT_EQ(g_alive, 3);
  void* kept = stream_ctx;
  EXPECT_EQ(h.on_request_headers(inst, s.raw(), conn_ctx, &stream_ctx), GANTRY_CONTINUE);
  EXPECT_EQ(stream_ctx, kept) << "state that exists is kept";
  EXPECT_EQ(h.on_upgrade(inst, s.raw(), stream_ctx, gantry_str_t{"websocket", 9}), GANTRY_CONTINUE);
  EXPECT_EQ(m.seen, 116);
  EXPECT_EQ(h.on_connect_upstream(inst, scope, s.raw(), 9, 5), GANTRY_CONTINUE);
  EXPECT_EQ(m.seen, 105);
  EXPECT_EQ(h.on_response_headers(inst, s.raw(), stream_ctx), GANTRY_CONTINUE);
  EXPECT_EQ(m.seen, 107);
  const uint8_t bytes[4] = {1, 2, 3, 4};
  EXPECT_EQ(h.on_tunnel_data(inst, s.raw(), stream_ctx, GANTRY_DIR_CLIENT_TO_SERVER, bytes, 4),
            GANTRY_CONTINUE);
  gantry_log_record_t rec{};
  rec.struct_size = sizeof rec;
  h.on_log(inst, s.raw(), stream_ctx, &rec);
  EXPECT_EQ(m.seen, 4);

  h.on_stream_end(inst, s.raw(), stream_ctx);
  EXPECT_EQ(g_alive, 2);
  h.on_conn_close(inst, conn.raw(), conn_ctx);
  EXPECT_EQ(g_alive, 1);
  h.scope_free(inst, GANTRY_SCOPE_LISTENER, scope);
  EXPECT_EQ(g_alive, 0);
  // A stream no hook gave state to ends without any.
  h.on_stream_end(inst, s.raw(), nullptr);
  h.instance_free(inst);
  EXPECT_TRUE(host.logs.empty());
}

TEST(TypedContexts, OwnStreamEndSeesTheStateBeforeItIsFreed) {
  MockHost host;
  void* inst = nullptr;
  ASSERT_EQ(host.instance_new(EnderGlue::desc, MockCfg::table(), &inst), GANTRY_OK);
  const gantry_hooks_t& h = *EnderGlue::desc.hooks;
  MockStream s("GET", "/abc");
  void* ctx = nullptr;
  EXPECT_EQ(h.on_request_headers(inst, s.raw(), nullptr, &ctx), GANTRY_CONTINUE);
  EXPECT_EQ(g_alive, 1);
  h.on_stream_end(inst, s.raw(), ctx);
  EXPECT_EQ(static_cast<Ender*>(inst)->last, 4);
  EXPECT_EQ(g_alive, 0);
  h.instance_free(inst);
}

TEST(TypedContexts, SlotEmplaceReplacesAndResetFrees) {
  void* raw = nullptr;
  gantry::Slot<Tracked> slot(&raw);
  EXPECT_FALSE(slot);
  slot.emplace(1);
  EXPECT_TRUE(slot);
  EXPECT_EQ(slot->value, 1);
  slot.emplace(2);
  EXPECT_EQ((*slot).value, 2);
  EXPECT_EQ(g_alive, 1);
  slot.reset();
  EXPECT_EQ(raw, nullptr);
  EXPECT_EQ(g_alive, 0);
}

}  // namespace
