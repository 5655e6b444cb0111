// upstream::acquire on a real loop against a loopback server: a fresh
// connection and its phases, a refused one, the modules' connect hooks (they
// see the socket before connect() and can refuse it), a pooled connection
// that skips them, and the connect timer.
#include "upstream/connector.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "upstream_loop_fixture.h"

namespace gantry::upstream {
namespace {

// A module's on_connect_upstream, as recorded by the instance it belongs to.
struct ConnectHookModule {
  gantry_action_t answer = GANTRY_CONTINUE;
  int calls = 0;
  void* scope_ctx = nullptr;
  gantry_stream_t* stream = nullptr;
  size_t pending = 0;
  bool socket_unconnected = false;  // getpeername() said ENOTCONN
  bool socket_is_stream = false;

  static gantry_action_t hook(void* inst, void* sctx, gantry_stream_t* s, int32_t fd,
                              size_t pending) {
    auto* m = static_cast<ConnectHookModule*>(inst);
    ++m->calls;
    m->scope_ctx = sctx;
    m->stream = s;
    m->pending = pending;
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    m->socket_unconnected =
        getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0 && errno == ENOTCONN;
    int type = 0;
    socklen_t tlen = sizeof type;
    m->socket_is_stream =
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 && type == SOCK_STREAM;
    return m->answer;
  }
};

class ConnectorTest : public UpstreamLoopTest {
 protected:
  // Adds an instance with a connect hook to the generation, with `sctx` as
  // its scope context for the backend.
  void add_hook_module(ConnectHookModule* m, void* sctx) {
    modules::Instance in;
    in.name = "hook" + std::to_string(gen_.instances.size());
    in.inst = m;
    in.hooks.on_connect_upstream = &ConnectHookModule::hook;
    gen_.with_connect_upstream.push_back(gen_.instances.size());
    gen_.instances.push_back(std::move(in));
    scope_.scope_ctx.push_back(sctx);
  }
};

TEST_F(ConnectorTest, FreshConnectionGoesThroughItsPhases) {
  RecordingUser user;
  ConnectTarget t = target("srv");
  Acquired a = acquire(t, &user);
  ASSERT_EQ(a.how, Acquired::How::kConnecting);
  ASSERT_NE(a.conn, nullptr);
  UpstreamConn* u = a.conn;
  EXPECT_EQ(u->phase(), UpstreamConn::Phase::kConnecting);
  EXPECT_FALSE(u->connected());
  EXPECT_EQ(u->key(), "srv");
  EXPECT_EQ(u->server_name(), server_addr_.address.text);
  EXPECT_EQ(pool_.open(), 1u);
  EXPECT_EQ(user.ready, 0);  // never from inside acquire()

  ASSERT_TRUE(run_until([&] { return user.ready == 1 && server_.accepted() == 1; }));
  EXPECT_EQ(u->phase(), UpstreamConn::Phase::kActive);
  EXPECT_TRUE(u->connected());
  EXPECT_FALSE(u->reused());
  EXPECT_TRUE(user.connect_failed.empty());

  u->conn()->write("ping", 4);
  ASSERT_TRUE(run_until([&] { return server_side(0).data == "ping"; }));
  u->release(false);
  ASSERT_TRUE(run_until([&] { return pool_.open() == 0; }));
  ASSERT_TRUE(run_until([&] { return server_side(0).eofs == 1; }));
}

TEST_F(ConnectorTest, RefusedConnectIsReportedAndTheUserCloses) {
  unit_test::RefusingPort nobody;
  config::Server gone = server_addr_;
  sockaddr_in sa{};
  uv_ip4_addr("127.0.0.1", nobody.port(), &sa);
  std::memcpy(&gone.address.sa, &sa, sizeof sa);
  RecordingUser user;
  ConnectTarget t = target("gone", 8, 60000, &gone);
  Acquired a = acquire(t, &user);
  ASSERT_EQ(a.how, Acquired::How::kConnecting);
  ASSERT_TRUE(run_until([&] { return !user.connect_failed.empty(); }));
  EXPECT_EQ(user.connect_failed, std::vector<int>{UV_ECONNREFUSED});
  EXPECT_EQ(user.ready, 0);
  EXPECT_FALSE(a.conn->connected());
  // A connection that never came up is not pooled, whatever the user says.
  a.conn->release(true);
  EXPECT_EQ(pool_.idle("gone"), 0u);
  ASSERT_TRUE(run_until([&] { return pool_.open() == 0; }));
}

TEST_F(ConnectorTest, ConnectHooksSeeTheSocketBeforeConnect) {
  ConnectHookModule first, second;
  int scope_a = 0, scope_b = 0;
  add_hook_module(&first, &scope_a);
  add_hook_module(&second, &scope_b);
  RecordingUser user;
  Acquired a = upstream::acquire(pool_, target("srv"), &user, &stream_, 123);
  ASSERT_EQ(a.how, Acquired::How::kConnecting);
  for (ConnectHookModule* m : {&first, &second}) {
    EXPECT_EQ(m->calls, 1);
    EXPECT_EQ(m->stream, &stream_);
    EXPECT_EQ(m->pending, 123u);
    EXPECT_TRUE(m->socket_unconnected);
    EXPECT_TRUE(m->socket_is_stream);
  }
  EXPECT_EQ(first.scope_ctx, &scope_a);
  EXPECT_EQ(second.scope_ctx, &scope_b);
  ASSERT_TRUE(run_until([&] { return user.ready == 1; }));
  a.conn->release(false);
}

TEST_F(ConnectorTest, DeclinedHookLetsTheConnectionGoOn) {
  ConnectHookModule m;
  m.answer = GANTRY_DECLINED;
  add_hook_module(&m, nullptr);
  RecordingUser user;
  Acquired a = acquire(target("srv"), &user);
  ASSERT_EQ(a.how, Acquired::How::kConnecting);
  ASSERT_TRUE(run_until([&] { return user.ready == 1; }));
  a.conn->release(false);
}

TEST_F(ConnectorTest, RefusingHookFailsAtOnceAndStopsTheChain) {
  for (gantry_action_t answer : {GANTRY_CLOSE, GANTRY_DONE, GANTRY_PAUSE}) {
    SCOPED_TRACE(answer);
    ConnectHookModule refuses, after;
    refuses.answer = answer;
    gen_.instances.clear();
    gen_.with_connect_upstream.clear();
    scope_.scope_ctx.clear();
    add_hook_module(&refuses, nullptr);
    add_hook_module(&after, nullptr);
    RecordingUser user;
    Acquired a = acquire(target("srv"), &user);
    EXPECT_EQ(a.how, Acquired::How::kFailed);
    EXPECT_EQ(a.conn, nullptr);
    EXPECT_EQ(refuses.calls, 1);
    EXPECT_EQ(after.calls, 0);
    // Its connection closes by itself; nothing reaches the user or the server.
    ASSERT_TRUE(run_until([&] { return pool_.open() == 0; }));
    EXPECT_EQ(user.events(), 0);
  }
  loop_.spin();
  EXPECT_EQ(server_.accepted(), 0u);
  gen_.instances.clear();  // the instances point at this test's locals
}

TEST_F(ConnectorTest, PooledConnectionSkipsTheHooksAndIsReadyAtOnce) {
  ConnectHookModule m;
  add_hook_module(&m, nullptr);
  RecordingUser first, second;
  ConnectTarget t = target("srv");
  UpstreamConn* u = connected(t, &first);
  ASSERT_NE(u, nullptr);
  u->release(true);
  Acquired again = acquire(t, &second);
  EXPECT_EQ(again.how, Acquired::How::kPooled);
  EXPECT_EQ(again.conn, u);
  EXPECT_EQ(m.calls, 1);
  EXPECT_TRUE(u->reused());
  loop_.spin();
  EXPECT_EQ(second.ready, 0);  // no on_upstream_ready for a pooled connection
  EXPECT_EQ(server_.accepted(), 1u);
  u->release(false);
}

// A listener whose accept queue is full (backlog 0, one connection waiting,
// never accepted): the kernel drops further SYNs, so a connect to it stays
// in progress until the connect timer ends it.
class FullListener {
 public:
  FullListener() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    uv_ip4_addr("127.0.0.1", 0, &sa);
    socklen_t len = sizeof sa;
    ok_ = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), len) == 0 &&
          ::listen(listen_fd_, 0) == 0 &&
          ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len) == 0;
    addr_ = sa;
    filler_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ok_ = ok_ && ::connect(filler_fd_, reinterpret_cast<sockaddr*>(&sa), len) == 0;
  }
  ~FullListener() {
    ::close(filler_fd_);
    ::close(listen_fd_);
  }
  bool ok() const { return ok_; }
  const sockaddr_in& address() const { return addr_; }

 private:
  int listen_fd_ = -1;
  int filler_fd_ = -1;
  sockaddr_in addr_{};
  bool ok_ = false;
};

TEST_F(ConnectorTest, ConnectTimerEndsAConnectThatHangs) {
  FullListener full;
  ASSERT_TRUE(full.ok());
  config::Server silent = server_addr_;
  std::memcpy(&silent.address.sa, &full.address(), sizeof(sockaddr_in));
  RecordingUser user;
  ConnectTarget t = target("silent", 8, 60000, &silent);
  t.connect_timeout_ms = 30;
  Acquired a = acquire(t, &user);
  ASSERT_EQ(a.how, Acquired::How::kConnecting);
  ASSERT_TRUE(run_until([&] { return user.timeouts > 0; }));
  EXPECT_EQ(user.timeouts, 1);
  EXPECT_EQ(user.ready, 0);
  EXPECT_TRUE(user.connect_failed.empty());
  a.conn->close();
  ASSERT_TRUE(run_until([&] { return pool_.open() == 0; }));
}

}  // namespace
}  // namespace gantry::upstream
