// The per-worker Pool with real connections to a loopback server: reuse per
// key (newest first), the cap per key, the idle timeout, drop(key), drain()
// and its on_empty, and idle connections the server speaks on or closes.
#include "upstream/pool.h"

#include <gtest/gtest.h>

#include <deque>
#include <vector>

#include "upstream_loop_fixture.h"

namespace gantry::upstream {
namespace {

class PoolTest : public UpstreamLoopTest {
 protected:
  // `n` connections under `t`, each connected, then released to the pool.
  std::vector<UpstreamConn*> pooled(const ConnectTarget& t, int n) {
    std::vector<UpstreamConn*> v;
    for (int i = 0; i < n; ++i) {
      users_.emplace_back();
      UpstreamConn* u = connected(t, &users_.back());
      if (u == nullptr) break;
      v.push_back(u);
    }
    for (UpstreamConn* u : v) u->release(true);
    return v;
  }
  std::deque<RecordingUser> users_;
};

TEST_F(PoolTest, ReleasedConnectionServesTheNextRequestForItsKey) {
  ConnectTarget t = target("A");
  RecordingUser first, second;
  UpstreamConn* u = connected(t, &first);
  ASSERT_NE(u, nullptr);
  u->release(true);
  EXPECT_EQ(pool_.idle("A"), 1u);
  EXPECT_EQ(u->phase(), UpstreamConn::Phase::kIdle);
  EXPECT_EQ(pool_.open(), 1u);

  Acquired a = acquire(t, &second);
  ASSERT_EQ(a.how, Acquired::How::kPooled);
  EXPECT_EQ(a.conn, u);
  EXPECT_EQ(u->phase(), UpstreamConn::Phase::kActive);
  EXPECT_TRUE(u->reused());
  EXPECT_EQ(pool_.idle("A"), 0u);

  // The same server connection carries the second request.
  u->conn()->write("second", 6);
  ASSERT_TRUE(run_until([&] { return server_side(0).data == "second"; }));
  EXPECT_EQ(server_.accepted(), 1u);
  u->release(false);
}

TEST_F(PoolTest, NewestIdleConnectionIsTakenFirst) {
  ConnectTarget t = target("A");
  std::vector<UpstreamConn*> v = pooled(t, 3);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(pool_.idle("A"), 3u);
  RecordingUser user;
  for (int i = 2; i >= 0; --i) {
    Acquired a = acquire(t, &user);
    ASSERT_EQ(a.how, Acquired::How::kPooled);
    EXPECT_EQ(a.conn, v[i]);
  }
  EXPECT_EQ(pool_.idle("A"), 0u);
  for (UpstreamConn* u : v) u->release(false);
}

TEST_F(PoolTest, CapPerKeyClosesTheOldest) {
  ConnectTarget t = target("A", 2);
  std::vector<UpstreamConn*> v = pooled(t, 3);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(pool_.idle("A"), 2u);
  ASSERT_TRUE(run_until([&] { return pool_.open() == 2; }));
  // The first one pooled is the one the server sees closed.
  ASSERT_TRUE(run_until([&] { return server_side(0).eofs == 1; }));
  EXPECT_EQ(server_side(1).eofs + server_side(2).eofs, 0);
  RecordingUser user;
  EXPECT_EQ(acquire(t, &user).conn, v[2]);
  EXPECT_EQ(acquire(t, &user).conn, v[1]);
  v[2]->release(false);
  v[1]->release(false);
}

TEST_F(PoolTest, CapZeroKeepsNothing) {
  ConnectTarget t = target("A", 0);
  std::vector<UpstreamConn*> v = pooled(t, 1);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(pool_.idle("A"), 0u);
  ASSERT_TRUE(run_until([&] { return pool_.open() == 0; }));
}

TEST_F(PoolTest, KeysAreSeparate) {
  ConnectTarget a = target("A");
  ConnectTarget b = target("B");  // the same server under another transport context
  ASSERT_EQ(pooled(a, 1).size(), 1u);
  RecordingUser user;
  Acquired got = acquire(b, &user);
  EXPECT_EQ(got.how, Acquired::How::kConnecting);
  EXPECT_EQ(pool_.idle("A"), 1u);
  ASSERT_TRUE(run_until([&] { return user.ready == 1 && server_.accepted() == 2; }));
  got.conn->release(true);
  EXPECT_EQ(pool_.idle("A"), 1u);
  EXPECT_EQ(pool_.idle("B"), 1u);
}

TEST_F(PoolTest, NotReusableIsClosedNotPooled) {
  RecordingUser user;
  UpstreamConn* u = connected(target("A"), &user);
  ASSERT_NE(u, nullptr);
  u->release(false);
  EXPECT_EQ(pool_.idle("A"), 0u);
  ASSERT_TRUE(run_until([&] { return pool_.open() == 0 && server_side(0).eofs == 1; }));
}

TEST_F(PoolTest, IdleTimeoutClosesAPooledConnection) {
  ConnectTarget t = target("A", 8, 20);
  ASSERT_EQ(pooled(t, 1).size(), 1u);
  EXPECT_EQ(pool_.idle("A"), 1u);
  ASSERT_TRUE(run_until([&] { return pool_.open() == 0; }));
  EXPECT_EQ(pool_.idle("A"), 0u);
  ASSERT_TRUE(run_until([&] { return server_side(0).eofs == 1; }));
}

TEST_F(PoolTest, IdleTimerStopsWhenTheConnectionIsTaken) {
  ConnectTarget t = target("A", 8, 20);
  std::vector<UpstreamConn*> v = pooled(t, 1);
  ASSERT_EQ(v.size(), 1u);
  RecordingUser user;
  ASSERT_EQ(acquire(t, &user).conn, v[0]);
  loop_.run_for(100);
  EXPECT_EQ(pool_.open(), 1u);
  EXPECT_EQ(user.timeouts, 0);
  EXPECT_EQ(v[0]->phase(), UpstreamConn::Phase::kActive);
  v[0]->release(false);
}

TEST_F(PoolTest, DropClosesEveryIdleConnectionOfOneKey) {
  ConnectTarget a = target("A");
  ConnectTarget b = target("B");
  ASSERT_EQ(pooled(a, 2).size(), 2u);
  ASSERT_EQ(pooled(b, 1).size(), 1u);
  pool_.drop("A");
  pool_.drop("nothing-here");
  EXPECT_EQ(pool_.idle("A"), 0u);
  EXPECT_EQ(pool_.idle("B"), 1u);
  ASSERT_TRUE(run_until([&] { return pool_.open() == 1; }));
  ASSERT_TRUE(run_until([&] { return server_side(0).eofs == 1 && server_side(1).eofs == 1; }));
  EXPECT_EQ(server_side(2).eofs, 0);
}

TEST_F(PoolTest, DrainCallsOnEmptyOnceTheLastConnectionCloses) {
  ConnectTarget t = target("A");
  RecordingUser user;
  UpstreamConn* busy = connected(t, &user);  // in use when the drain starts
  ASSERT_NE(busy, nullptr);
  ASSERT_EQ(pooled(t, 1).size(), 1u);  // and one idle
  ASSERT_EQ(pool_.idle("A"), 1u);
  ASSERT_EQ(pool_.open(), 2u);

  int empty_calls = 0;
  pool_.drain([&] { ++empty_calls; });
  EXPECT_EQ(pool_.idle("A"), 0u);
  ASSERT_TRUE(run_until([&] { return pool_.open() == 1; }));
  loop_.spin();
  EXPECT_EQ(empty_calls, 0);  // one connection is still in use

  // A draining pool keeps nothing: the last release closes it.
  busy->release(true);
  EXPECT_EQ(pool_.idle("A"), 0u);
  ASSERT_TRUE(run_until([&] { return empty_calls > 0; }));
  loop_.spin();
  EXPECT_EQ(empty_calls, 1);
  EXPECT_EQ(pool_.open(), 0u);
}

TEST_F(PoolTest, DrainWithNothingOpenCallsOnEmptyAtOnce) {
  int empty_calls = 0;
  pool_.drain([&] { ++empty_calls; });
  EXPECT_EQ(empty_calls, 1);
  loop_.spin();
  EXPECT_EQ(empty_calls, 1);
}

TEST_F(PoolTest, IdleConnectionClosesWhenTheServerSendsBytes) {
  ConnectTarget t = target("A");
  RecordingUser user;
  UpstreamConn* u = connected(t, &user);
  ASSERT_NE(u, nullptr);
  u->release(true);
  int before = user.events();
  // An idle HTTP/1.1 connection stays silent; anything else ends it.
  server_side(0).conn()->write("HTTP/1.1 408 Request Timeout\r\n\r\n", 33);
  ASSERT_TRUE(run_until([&] { return pool_.open() == 0; }));
  EXPECT_EQ(pool_.idle("A"), 0u);
  EXPECT_EQ(user.events(), before);  // released users hear nothing
  // The next request gets a new connection, not the one that went.
  RecordingUser next;
  Acquired fresh = acquire(t, &next);
  ASSERT_EQ(fresh.how, Acquired::How::kConnecting);
  ASSERT_TRUE(run_until([&] { return next.ready == 1 && server_.accepted() == 2; }));
  fresh.conn->release(false);
}

TEST_F(PoolTest, IdleConnectionClosesWhenTheServerCloses) {
  ConnectTarget t = target("A");
  ASSERT_EQ(pooled(t, 2).size(), 2u);
  server_side(1).conn()->close();
  ASSERT_TRUE(run_until([&] { return pool_.open() == 1; }));
  EXPECT_EQ(pool_.idle("A"), 1u);
}

}  // namespace
}  // namespace gantry::upstream
