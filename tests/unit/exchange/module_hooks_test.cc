// ModuleHooks over a small table of scripted module instances, no loop: how
// each action maps to a verdict, where a paused chain resumes, the upgrade
// vote, which stream context each hook is given, and that stream_end frees
// every context once.
#include "exchange/module_hooks.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "module_loader/handles.h"

namespace gantry::exchange {
namespace {

// One module instance whose hooks answer as scripted and write what they
// were called with into a journal shared by the table.
struct ScriptedModule {
  std::string name;
  std::vector<std::string>* journal = nullptr;
  gantry_action_t request = GANTRY_CONTINUE;
  gantry_action_t upgrade = GANTRY_DECLINED;
  gantry_action_t response = GANTRY_CONTINUE;
  gantry_action_t tunnel = GANTRY_CONTINUE;
  bool makes_ctx = false;  // on_request_headers sets a stream context
  void* conn_ctx_seen = nullptr;
  void* ctx_seen = nullptr;  // the stream context the last hook was given
  std::string protocol_seen;
  std::string tunnel_seen;
  int contexts_freed = 0;

  void note(const char* hook) { journal->push_back(name + "." + hook); }
};

ScriptedModule* self(void* inst) { return static_cast<ScriptedModule*>(inst); }

gantry_action_t on_request_headers(void* inst, gantry_stream_t*, void* conn_ctx, void** ctx) {
  ScriptedModule* m = self(inst);
  m->note("request");
  m->conn_ctx_seen = conn_ctx;
  if (m->makes_ctx && *ctx == nullptr) *ctx = new std::string(m->name);
  m->ctx_seen = *ctx;
  return m->request;
}

gantry_action_t on_upgrade(void* inst, gantry_stream_t*, void* ctx, gantry_str_t protocol) {
  ScriptedModule* m = self(inst);
  m->note("upgrade");
  m->ctx_seen = ctx;
  m->protocol_seen.assign(protocol.ptr, protocol.len);
  return m->upgrade;
}

gantry_action_t on_response_headers(void* inst, gantry_stream_t*, void* ctx) {
  ScriptedModule* m = self(inst);
  m->note("response");
  m->ctx_seen = ctx;
  return m->response;
}

gantry_action_t on_tunnel_data(void* inst, gantry_stream_t*, void* ctx, uint32_t dir,
                               const uint8_t* p, size_t n) {
  ScriptedModule* m = self(inst);
  m->note(dir == GANTRY_DIR_CLIENT_TO_SERVER ? "tunnel>" : "tunnel<");
  m->ctx_seen = ctx;
  m->tunnel_seen.assign(reinterpret_cast<const char*>(p), n);
  return m->tunnel;
}

void on_log(void* inst, gantry_stream_t*, void* ctx, const gantry_log_record_t* r) {
  ScriptedModule* m = self(inst);
  m->note("log");
  m->ctx_seen = ctx;
  EXPECT_EQ(r->status, 204);
}

void on_stream_end(void* inst, gantry_stream_t*, void* ctx) {
  ScriptedModule* m = self(inst);
  m->note("end");
  m->ctx_seen = ctx;
  if (ctx != nullptr) {
    delete static_cast<std::string*>(ctx);
    ++m->contexts_freed;
  }
}

// Which hooks an instance implements.
enum Hook : unsigned {
  kRequest = 1,
  kUpgrade = 2,
  kResponse = 4,
  kTunnel = 8,
  kLog = 16,
  kEnd = 32,
  kAll = 63,
};

class ModuleHooksTest : public ::testing::Test {
 protected:
  // Appends an instance to the generation, in config order, and to the
  // dispatch list of every hook it implements.
  ScriptedModule& add(const std::string& name, unsigned hooks = kAll) {
    auto m = std::make_unique<ScriptedModule>();
    m->name = name;
    m->journal = &journal_;
    modules::Instance in;
    in.name = name;
    in.inst = m.get();
    size_t i = gen_.instances.size();
    auto wire = [&](Hook h, auto fn, auto& member, std::vector<size_t>& list) {
      if ((hooks & h) == 0) return;
      member = fn;
      list.push_back(i);
    };
    wire(kRequest, &on_request_headers, in.hooks.on_request_headers, gen_.with_request_headers);
    wire(kUpgrade, &on_upgrade, in.hooks.on_upgrade, gen_.with_upgrade);
    wire(kResponse, &on_response_headers, in.hooks.on_response_headers, gen_.with_response_headers);
    wire(kTunnel, &on_tunnel_data, in.hooks.on_tunnel_data, gen_.with_tunnel_data);
    wire(kLog, &on_log, in.hooks.on_log, gen_.with_log);
    wire(kEnd, &on_stream_end, in.hooks.on_stream_end, gen_.with_stream_end);
    gen_.instances.push_back(std::move(in));
    modules_.push_back(std::move(m));
    return *modules_.back();
  }
  using Journal = std::vector<std::string>;

  gantry_log_record_t record() const {
    gantry_log_record_t r{};
    r.struct_size = sizeof r;
    r.status = 204;
    return r;
  }

  std::vector<std::string> journal_;
  std::vector<std::unique_ptr<ScriptedModule>> modules_;
  modules::Generation gen_;
  gantry_stream stream_;
};

TEST_F(ModuleHooksTest, NoModulesContinue) {
  ModuleHooks h(gen_);
  EXPECT_EQ(h.request_headers(&stream_, nullptr), HookVerdict::kContinue);
  bool allowed = true;
  EXPECT_EQ(h.upgrade(&stream_, "websocket", &allowed), HookVerdict::kContinue);
  EXPECT_FALSE(allowed);
  EXPECT_TRUE(h.response_headers(&stream_));
  EXPECT_TRUE(h.tunnel_data(&stream_, GANTRY_DIR_CLIENT_TO_SERVER, "x", 1));
  EXPECT_FALSE(h.any_log());
  h.stream_end(&stream_);
}

TEST_F(ModuleHooksTest, ActionsMapToVerdicts) {
  struct Row {
    int action;
    HookVerdict verdict;
  } rows[] = {
      {GANTRY_CONTINUE, HookVerdict::kContinue},
      {GANTRY_DECLINED, HookVerdict::kContinue},
      {GANTRY_DONE, HookVerdict::kDone},
      {GANTRY_PAUSE, HookVerdict::kPause},
      {GANTRY_CLOSE, HookVerdict::kClose},
      {77, HookVerdict::kClose},  // an action this host does not know closes
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.action);
    gen_.instances.clear();
    gen_.with_request_headers.clear();
    add("m", kRequest).request = static_cast<gantry_action_t>(row.action);
    ModuleHooks h(gen_);
    EXPECT_EQ(h.request_headers(&stream_, nullptr), row.verdict);
  }
}

TEST_F(ModuleHooksTest, ChainRunsInConfigOrderAndStopsAtTheFirstAnswer) {
  add("a");
  add("b").request = GANTRY_DONE;
  add("c");
  ModuleHooks h(gen_);
  EXPECT_EQ(h.request_headers(&stream_, nullptr), HookVerdict::kDone);
  EXPECT_EQ(journal_, (Journal{"a.request", "b.request"}));
}

TEST_F(ModuleHooksTest, ModulesWithoutTheHookAreSkipped) {
  add("a", kLog);
  add("b", kRequest);
  add("c", kResponse);
  ModuleHooks h(gen_);
  EXPECT_EQ(h.request_headers(&stream_, nullptr), HookVerdict::kContinue);
  EXPECT_TRUE(h.response_headers(&stream_));
  EXPECT_EQ(journal_, (Journal{"b.request", "c.response"}));
}

TEST_F(ModuleHooksTest, PausedChainResumesWithTheNextModule) {
  add("a");
  ScriptedModule& b = add("b");
  b.request = GANTRY_PAUSE;
  add("c").request = GANTRY_PAUSE;
  add("d");
  ModuleHooks h(gen_);
  EXPECT_EQ(h.request_headers(&stream_, nullptr), HookVerdict::kPause);
  EXPECT_EQ(journal_, (Journal{"a.request", "b.request"}));
  // resume(CONTINUE): the modules after the one that paused get their turn.
  journal_.clear();
  EXPECT_EQ(h.request_headers(&stream_, nullptr), HookVerdict::kPause);
  EXPECT_EQ(journal_, (Journal{"c.request"}));
  journal_.clear();
  EXPECT_EQ(h.request_headers(&stream_, nullptr), HookVerdict::kContinue);
  EXPECT_EQ(journal_, (Journal{"d.request"}));
  // The chain has run out: nobody is asked twice.
  journal_.clear();
  EXPECT_EQ(h.request_headers(&stream_, nullptr), HookVerdict::kContinue);
  EXPECT_EQ(journal_, Journal{});
}

TEST_F(ModuleHooksTest, ConnectionContextsAreHandedToTheirOwnModule) {
  add("a");
  add("b", kLog);  // no request hook, but a slot in the table
  ScriptedModule& c = add("c");
  int ctx_a = 0, ctx_b = 0, ctx_c = 0;
  std::vector<void*> conn_ctx{&ctx_a, &ctx_b, &ctx_c};
  ModuleHooks h(gen_);
  h.request_headers(&stream_, &conn_ctx);
  EXPECT_EQ(modules_[0]->conn_ctx_seen, &ctx_a);
  EXPECT_EQ(c.conn_ctx_seen, &ctx_c);
}

TEST_F(ModuleHooksTest, NoConnectionContextsMeansNull) {
  ScriptedModule& a = add("a");
  std::vector<void*> none;
  ModuleHooks h(gen_);
  a.conn_ctx_seen = &a;
  h.request_headers(&stream_, &none);
  EXPECT_EQ(a.conn_ctx_seen, nullptr);
}

TEST_F(ModuleHooksTest, StreamContextFollowsTheRequestAndIsFreedAtStreamEnd) {
  ScriptedModule& a = add("a");
  a.makes_ctx = true;
  ScriptedModule& b = add("b");  // keeps none
  ModuleHooks h(gen_);
  ASSERT_EQ(h.request_headers(&stream_, nullptr), HookVerdict::kContinue);
  void* ctx = a.ctx_seen;
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(*static_cast<std::string*>(ctx), "a");

  EXPECT_TRUE(h.response_headers(&stream_));
  EXPECT_EQ(a.ctx_seen, ctx);
  EXPECT_EQ(b.ctx_seen, nullptr);
  EXPECT_TRUE(h.tunnel_data(&stream_, GANTRY_DIR_SERVER_TO_CLIENT, "abc", 3));
  EXPECT_EQ(a.ctx_seen, ctx);
  EXPECT_EQ(a.tunnel_seen, "abc");
  EXPECT_TRUE(h.any_log());
  h.log(&stream_, record());
  EXPECT_EQ(a.ctx_seen, ctx);

  journal_.clear();
  h.stream_end(&stream_);
  EXPECT_EQ(journal_, (Journal{"a.end", "b.end"}));
  EXPECT_EQ(a.contexts_freed, 1);
  // Once only: the contexts are gone.
  journal_.clear();
  h.stream_end(&stream_);
  EXPECT_EQ(journal_, Journal{});
  EXPECT_EQ(a.contexts_freed, 1);
}

TEST_F(ModuleHooksTest, StreamEndWithoutAnyStreamHookCallsNobody) {
  // No stream hook ran, so no module can hold a context to free.
  add("a", kEnd | kLog);
  ModuleHooks h(gen_);
  h.log(&stream_, record());
  journal_.clear();
  h.stream_end(&stream_);
  EXPECT_EQ(journal_, Journal{});
}

TEST_F(ModuleHooksTest, LogWithoutContextsGivesNull) {
  ScriptedModule& a = add("a", kLog);
  a.ctx_seen = &a;
  ModuleHooks h(gen_);
  h.log(&stream_, record());
  EXPECT_EQ(a.ctx_seen, nullptr);
  EXPECT_EQ(journal_, Journal{"a.log"});
}

TEST_F(ModuleHooksTest, UpgradeVotes) {
  ScriptedModule& a = add("a", kUpgrade);
  ScriptedModule& b = add("b", kUpgrade);
  ModuleHooks h(gen_);
  bool allowed = true;
  // Nobody's protocol: not allowed, and the request goes on without it.
  EXPECT_EQ(h.upgrade(&stream_, "h2c", &allowed), HookVerdict::kContinue);
  EXPECT_FALSE(allowed);
  EXPECT_EQ(a.protocol_seen, "h2c");
  EXPECT_EQ(b.protocol_seen, "h2c");

  b.upgrade = GANTRY_CONTINUE;
  EXPECT_EQ(h.upgrade(&stream_, "websocket", &allowed), HookVerdict::kContinue);
  EXPECT_TRUE(allowed);

  // One module allows, a later one refuses: refused.
  a.upgrade = GANTRY_CONTINUE;
  b.upgrade = GANTRY_DONE;
  EXPECT_EQ(h.upgrade(&stream_, "websocket", &allowed), HookVerdict::kDone);
  journal_.clear();
  a.upgrade = GANTRY_CLOSE;
  EXPECT_EQ(h.upgrade(&stream_, "websocket", &allowed), HookVerdict::kDone);
  EXPECT_EQ(journal_, Journal{"a.upgrade"});  // the chain stopped there
}

TEST_F(ModuleHooksTest, UpgradeHookSeesTheRequestsContext) {
  ScriptedModule& a = add("a", kRequest | kUpgrade | kEnd);
  a.makes_ctx = true;
  ModuleHooks h(gen_);
  h.request_headers(&stream_, nullptr);
  void* ctx = a.ctx_seen;
  bool allowed = false;
  h.upgrade(&stream_, "websocket", &allowed);
  EXPECT_EQ(a.ctx_seen, ctx);
  h.stream_end(&stream_);
  EXPECT_EQ(a.contexts_freed, 1);
}

TEST_F(ModuleHooksTest, ResponseHeadersRefusedByAnyModule) {
  add("a");
  ScriptedModule& b = add("b");
  for (gantry_action_t refusal : {GANTRY_DONE, GANTRY_CLOSE, GANTRY_PAUSE}) {
    b.response = refusal;
    ModuleHooks h(gen_);
    EXPECT_FALSE(h.response_headers(&stream_));
  }
  b.response = GANTRY_DECLINED;
  ModuleHooks h(gen_);
  EXPECT_TRUE(h.response_headers(&stream_));
}

TEST_F(ModuleHooksTest, TunnelDataSeenInPlaceAndRefusable) {
  ScriptedModule& a = add("a", kTunnel);
  ScriptedModule& b = add("b", kTunnel);
  ModuleHooks h(gen_);
  EXPECT_TRUE(h.tunnel_data(&stream_, GANTRY_DIR_CLIENT_TO_SERVER, "ping", 4));
  EXPECT_EQ(journal_, (Journal{"a.tunnel>", "b.tunnel>"}));
  EXPECT_EQ(b.tunnel_seen, "ping");
  a.tunnel = GANTRY_CLOSE;
  journal_.clear();
  EXPECT_FALSE(h.tunnel_data(&stream_, GANTRY_DIR_SERVER_TO_CLIENT, "pong", 4));
  EXPECT_EQ(journal_, Journal{"a.tunnel<"});
}

}  // namespace
}  // namespace gantry::exchange
