// UpstreamConn on a real loop: while active it reports the server's bytes,
// close, errors, its timer and the drained signal to its user; hand_over
// moves those reports; release while connecting and close end it for good.
#include "upstream/upstream_conn.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string>

#include "upstream_loop_fixture.h"

namespace gantry::upstream {
namespace {

using UpstreamConnTest = UpstreamLoopTest;

TEST_F(UpstreamConnTest, ActiveConnectionReportsBytesThenEof) {
  RecordingUser user;
  UpstreamConn* u = connected(target("A"), &user);
  ASSERT_NE(u, nullptr);
  server_side(0).conn()->write("HTTP/1.1 200 OK\r\n", 17);
  ASSERT_TRUE(run_until([&] { return user.data == "HTTP/1.1 200 OK\r\n"; }));
  server_side(0).conn()->close();
  ASSERT_TRUE(run_until([&] { return user.eofs == 1; }));
  EXPECT_TRUE(user.errors.empty());
  // The user decides; the connection stays until then.
  EXPECT_EQ(pool_.open(), 1u);
  u->release(false);
  ASSERT_TRUE(run_until([&] { return pool_.open() == 0; }));
}

TEST_F(UpstreamConnTest, ResetReachesTheUserAsAnError) {
  RecordingUser user;
  UpstreamConn* u = connected(target("A"), &user);
  ASSERT_NE(u, nullptr);
  linger hard{1, 0};
  ASSERT_EQ(setsockopt(server_side(0).conn()->fd(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard), 0);
  server_side(0).conn()->close();
  ASSERT_TRUE(run_until([&] { return !user.errors.empty(); }));
  EXPECT_EQ(user.errors[0], UV_ECONNRESET);
  EXPECT_EQ(user.eofs, 0);
  u->close();
}

TEST_F(UpstreamConnTest, TimerReachesTheUser) {
  RecordingUser user;
  UpstreamConn* u = connected(target("A"), &user);
  ASSERT_NE(u, nullptr);
  u->conn()->set_timer(5);
  ASSERT_TRUE(run_until([&] { return user.timeouts == 1; }));
  u->release(false);
}

TEST_F(UpstreamConnTest, DrainedReachesTheUser) {
  RecordingUser user;
  UpstreamConn* u = connected(target("A"), &user);
  ASSERT_NE(u, nullptr);
  net::Conn* c = u->conn();
  server_side(0).conn()->stop_read();
  std::string piece(1 << 20, 'b');
  size_t sent = 0;
  while (!c->above_high_water() && sent < (512u << 20)) {
    c->write(piece.data(), piece.size());
    sent += piece.size();
  }
  ASSERT_TRUE(c->above_high_water());
  server_side(0).conn()->start_read();
  ASSERT_TRUE(run_until([&] { return user.drained == 1 && server_side(0).data.size() == sent; }));
  u->release(false);
}

TEST_F(UpstreamConnTest, HandOverMovesTheReportsWithoutANewUse) {
  RecordingUser exchange, tunnel;
  UpstreamConn* u = connected(target("A"), &exchange);
  ASSERT_NE(u, nullptr);
  u->hand_over(&tunnel);
  EXPECT_FALSE(u->reused());  // still the first use
  server_side(0).conn()->write("frame", 5);
  ASSERT_TRUE(run_until([&] { return tunnel.data == "frame"; }));
  EXPECT_EQ(exchange.data, "");
  u->close();
}

TEST_F(UpstreamConnTest, EachAttachIsOneUse) {
  RecordingUser a, b;
  ConnectTarget t = target("A");
  UpstreamConn* u = connected(t, &a);
  ASSERT_NE(u, nullptr);
  EXPECT_FALSE(u->reused());
  u->release(true);
  ASSERT_EQ(acquire(t, &b).conn, u);
  EXPECT_TRUE(u->reused());
  u->release(false);
}

TEST_F(UpstreamConnTest, ReleaseWhileConnectingClosesAndReportsNothing) {
  RecordingUser user;
  Acquired a = acquire(target("A"), &user);
  ASSERT_EQ(a.how, Acquired::How::kConnecting);
  a.conn->release(true);
  EXPECT_EQ(a.conn->phase(), UpstreamConn::Phase::kClosed);
  EXPECT_EQ(pool_.idle("A"), 0u);
  ASSERT_TRUE(run_until([&] { return pool_.open() == 0; }));
  loop_.spin();
  EXPECT_EQ(user.events(), 0);
}

TEST_F(UpstreamConnTest, CloseIsIdempotentAndSilent) {
  RecordingUser user;
  UpstreamConn* u = connected(target("A"), &user);
  ASSERT_NE(u, nullptr);
  int before = user.events();
  u->close();
  u->close();
  EXPECT_EQ(u->phase(), UpstreamConn::Phase::kClosed);
  ASSERT_TRUE(run_until([&] { return pool_.open() == 0; }));
  ASSERT_TRUE(run_until([&] { return server_side(0).eofs == 1; }));
  EXPECT_EQ(user.events(), before);
}

TEST_F(UpstreamConnTest, ClosingAnIdleConnectionTakesItOutOfThePool) {
  RecordingUser user;
  ConnectTarget t = target("A");
  UpstreamConn* u = connected(t, &user);
  ASSERT_NE(u, nullptr);
  u->release(true);
  ASSERT_EQ(pool_.idle("A"), 1u);
  u->close();
  EXPECT_EQ(pool_.idle("A"), 0u);
  RecordingUser next;
  Acquired fresh = acquire(t, &next);
  EXPECT_EQ(fresh.how, Acquired::How::kConnecting);
  ASSERT_TRUE(run_until([&] { return next.ready == 1; }));
  fresh.conn->release(false);
}

}  // namespace
}  // namespace gantry::upstream
