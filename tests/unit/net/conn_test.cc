// net::Conn on a real libuv loop over loopback TCP: bytes both ways, writes
// the kernel cannot take at once (copied, then back-pressure and the drained
// signal), half-close, close reported once, errors reported from the loop
// rather than inside the caller's write, and the connection's one timer.
#include "net/conn.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "loop_fixture.h"

namespace gantry::net {
namespace {

using unit_test::LoopbackServer;
using unit_test::RecordingConn;
using unit_test::RefusingPort;
using unit_test::TestLoop;

char pattern(size_t i) { return static_cast<char>('a' + i % 23); }

class ConnTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (auto& c : clients_) c->conn()->close();
    for (auto& s : servers_) s->close();
    EXPECT_EQ(loop_.close(), 0);
  }

  LoopbackServer& server(bool read = true) {
    servers_.push_back(std::make_unique<LoopbackServer>(&loop_.worker(), read));
    EXPECT_TRUE(servers_.back()->ok());
    return *servers_.back();
  }
  RecordingConn& client() {
    clients_.push_back(std::make_unique<RecordingConn>(&loop_.worker()));
    return *clients_.back();
  }
  // A client connected to `s`; s.peer(s.accepted() - 1) is its other end.
  RecordingConn& connected_to(LoopbackServer& s) {
    RecordingConn& c = client();
    size_t before = s.accepted();
    EXPECT_EQ(c.connect_to(s.port()), 0);
    EXPECT_TRUE(loop_.run_until([&] { return !c.connected.empty() && s.accepted() > before; }));
    return c;
  }
  bool run_until(const std::function<bool()>& done) { return loop_.run_until(done); }

  // Writes patterned 1 MiB pieces until the connection is above its high
  // watermark (the peer is not reading), overwriting each piece after the
  // write as a caller reusing scratch would. Returns the bytes written.
  size_t fill_until_high(RecordingConn& c) {
    std::string piece(1 << 20, '\0');
    size_t sent = 0;
    while (!c.conn()->above_high_water() && sent < (512u << 20)) {
      for (size_t i = 0; i < piece.size(); ++i) piece[i] = pattern(sent + i);
      EXPECT_TRUE(c.conn()->write(piece.data(), piece.size()));
      std::fill(piece.begin(), piece.end(), 'X');
      sent += piece.size();
    }
    return sent;
  }
  static bool is_pattern(const std::string& s) {
    for (size_t i = 0; i < s.size(); ++i)
      if (s[i] != pattern(i)) return false;
    return true;
  }

  TestLoop loop_;
  std::vector<std::unique_ptr<LoopbackServer>> servers_;
  std::vector<std::unique_ptr<RecordingConn>> clients_;
};

TEST_F(ConnTest, ConnectsAndMovesBytesBothWays) {
  LoopbackServer& srv = server();
  RecordingConn& c = connected_to(srv);
  ASSERT_EQ(c.connected, std::vector<int>{0});
  RecordingConn& s = srv.peer(0);
  c.conn()->start_read();
  EXPECT_TRUE(c.conn()->reading());

  EXPECT_TRUE(c.conn()->write("hello", 5));
  ASSERT_TRUE(run_until([&] { return s.data == "hello"; }));
  EXPECT_TRUE(s.conn()->write("world!", 6));
  ASSERT_TRUE(run_until([&] { return c.data == "world!"; }));

  EXPECT_EQ(c.conn()->bytes_written(), 5u);
  EXPECT_EQ(c.conn()->bytes_read(), 6u);
  EXPECT_EQ(s.conn()->bytes_read(), 5u);
  EXPECT_EQ(s.conn()->bytes_written(), 6u);
  EXPECT_EQ(c.eofs + s.eofs, 0);
  EXPECT_TRUE(c.errors.empty() && s.errors.empty());
}

TEST_F(ConnTest, WritevSendsThePiecesInOrder) {
  LoopbackServer& srv = server();
  RecordingConn& c = connected_to(srv);
  char a[] = "GET / ", b[] = "", d[] = "HTTP/1.1\r\n", e[] = "\r\n";
  uv_buf_t bufs[] = {uv_buf_init(a, 6), uv_buf_init(b, 0), uv_buf_init(d, 10), uv_buf_init(e, 2)};
  EXPECT_TRUE(c.conn()->writev(bufs, 4));
  ASSERT_TRUE(run_until([&] { return srv.peer(0).data.size() >= 18; }));
  EXPECT_EQ(srv.peer(0).data, "GET / HTTP/1.1\r\n\r\n");
}

TEST_F(ConnTest, BytesWrittenWhileConnectingLeaveOnceConnected) {
  LoopbackServer& srv = server();
  RecordingConn& c = client();
  ASSERT_EQ(c.connect_to(srv.port()), 0);
  EXPECT_TRUE(c.conn()->write("early", 5));
  EXPECT_TRUE(c.connected.empty());
  ASSERT_TRUE(run_until([&] { return srv.accepted() == 1 && srv.peer(0).data == "early"; }));
  EXPECT_EQ(c.connected, std::vector<int>{0});
  EXPECT_EQ(c.conn()->bytes_written(), 5u);
}

TEST_F(ConnTest, ConnectionRefusedIsReportedAsConnected) {
  RefusingPort nobody;
  ASSERT_NE(nobody.port(), 0);
  RecordingConn& c = client();
  ASSERT_EQ(c.connect_to(nobody.port()), 0);
  ASSERT_TRUE(run_until([&] { return !c.connected.empty(); }));
  loop_.spin();
  EXPECT_EQ(c.connected, std::vector<int>{UV_ECONNREFUSED});
  EXPECT_TRUE(c.errors.empty());
  EXPECT_EQ(c.timeouts, 0);
}

TEST_F(ConnTest, AddressesAndDescriptor) {
  LoopbackServer& srv = server();
  RecordingConn& c = connected_to(srv);
  RecordingConn& s = srv.peer(0);
  EXPECT_GE(c.conn()->fd(), 0);
  EXPECT_NE(c.conn()->id(), s.conn()->id());
  sockaddr_storage peer{}, local{}, seen{};
  socklen_t len = 0;
  ASSERT_EQ(c.conn()->addr(GANTRY_ADDR_PEER, &peer, &len), 0);
  EXPECT_EQ(len, sizeof(sockaddr_in));
  EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in*>(&peer)->sin_port), srv.port());
  ASSERT_EQ(c.conn()->addr(GANTRY_ADDR_LOCAL, &local, &len), 0);
  ASSERT_EQ(s.conn()->addr(GANTRY_ADDR_PEER, &seen, &len), 0);
  EXPECT_EQ(reinterpret_cast<sockaddr_in*>(&local)->sin_port,
            reinterpret_cast<sockaddr_in*>(&seen)->sin_port);
}

TEST_F(ConnTest, StoppedReadsHoldBytesUntilStartedAgain) {
  LoopbackServer& srv = server();
  RecordingConn& c = connected_to(srv);
  RecordingConn& s = srv.peer(0);
  s.conn()->stop_read();
  EXPECT_FALSE(s.conn()->reading());
  c.conn()->write("held", 4);
  loop_.run_for(30);
  EXPECT_EQ(s.data, "");
  s.conn()->start_read();
  ASSERT_TRUE(run_until([&] { return s.data == "held"; }));
}

TEST_F(ConnTest, LargeWritesAreCopiedAndArriveIntact) {
  LoopbackServer& quiet = server(false);
  RecordingConn& c = connected_to(quiet);
  RecordingConn& s = quiet.peer(0);
  size_t sent = fill_until_high(c);
  ASSERT_TRUE(c.conn()->above_high_water());
  EXPECT_GT(c.conn()->queued(), Conn::kHighWater);
  s.conn()->start_read();
  ASSERT_TRUE(run_until([&] { return s.data.size() == sent; }));
  EXPECT_TRUE(is_pattern(s.data));
}

TEST_F(ConnTest, DrainedOnceAfterTheQueueFallsBelowTheLowWatermark) {
  LoopbackServer& quiet = server(false);
  RecordingConn& c = connected_to(quiet);
  RecordingConn& s = quiet.peer(0);
  size_t sent = fill_until_high(c);
  loop_.spin();
  EXPECT_EQ(c.drained, 0);  // the peer reads nothing yet
  s.conn()->start_read();
  ASSERT_TRUE(run_until([&] { return c.drained > 0 && s.data.size() == sent; }));
  loop_.spin();
  EXPECT_EQ(c.drained, 1);
  EXPECT_LT(c.conn()->queued(), Conn::kLowWater);
  EXPECT_FALSE(c.conn()->above_high_water());
  EXPECT_EQ(c.conn()->bytes_written(), sent);
}

TEST_F(ConnTest, NoDrainedSignalWithoutHavingBeenAboveHighWater) {
  LoopbackServer& srv = server();
  RecordingConn& c = connected_to(srv);
  std::string piece(32 * 1024, 'p');
  for (int i = 0; i < 4; ++i) c.conn()->write(piece.data(), piece.size());
  ASSERT_TRUE(run_until([&] { return srv.peer(0).data.size() == 4 * piece.size(); }));
  loop_.spin();
  EXPECT_EQ(c.drained, 0);
}

TEST_F(ConnTest, ShutdownWriteSendsEofAfterEverythingQueuedAndKeepsReading) {
  LoopbackServer& quiet = server(false);
  RecordingConn& c = connected_to(quiet);
  RecordingConn& s = quiet.peer(0);
  c.conn()->start_read();
  size_t sent = fill_until_high(c);
  c.conn()->shutdown_write();
  c.conn()->shutdown_write();  // a second call changes nothing
  s.conn()->start_read();
  ASSERT_TRUE(run_until([&] { return s.eofs == 1; }));
  EXPECT_EQ(s.data.size(), sent);
  EXPECT_TRUE(is_pattern(s.data));
  // Half-closed: the other way still carries bytes.
  s.conn()->write("bye", 3);
  ASSERT_TRUE(run_until([&] { return c.data == "bye"; }));
  EXPECT_EQ(c.eofs, 0);
  EXPECT_TRUE(c.errors.empty());
}

TEST_F(ConnTest, PeerCloseIsOneEof) {
  LoopbackServer& srv = server();
  RecordingConn& c = connected_to(srv);
  c.conn()->start_read();
  srv.peer(0).conn()->close();
  ASSERT_TRUE(run_until([&] { return c.eofs == 1; }));
  loop_.spin();
  EXPECT_EQ(c.eofs, 1);
  EXPECT_FALSE(c.conn()->reading());
  EXPECT_TRUE(c.errors.empty());
  EXPECT_TRUE(srv.peer(0).closed());
}

TEST_F(ConnTest, CloseIsIdempotentAndReportedOnce) {
  LoopbackServer& srv = server();
  RecordingConn& c = connected_to(srv);
  c.conn()->start_read();
  c.conn()->set_timer(1);  // a second handle to close
  c.conn()->close();
  c.conn()->close();
  EXPECT_TRUE(c.conn()->closing());
  EXPECT_FALSE(c.conn()->write("x", 1));
  EXPECT_EQ(c.closed_count, 0);  // from the loop, not from inside close()
  ASSERT_TRUE(run_until([&] { return c.closed(); }));
  ASSERT_TRUE(run_until([&] { return srv.peer(0).eofs == 1; }));
  loop_.spin();
  EXPECT_EQ(c.closed_count, 1);
  EXPECT_EQ(c.timeouts, 0);
  EXPECT_EQ(srv.peer(0).data, "");
}

TEST_F(ConnTest, CloseFromInsideTheDataCallback) {
  LoopbackServer& srv = server();
  RecordingConn& c = connected_to(srv);
  RecordingConn& s = srv.peer(0);
  s.on_data = [](RecordingConn* self) { self->conn()->close(); };
  c.conn()->write("one", 3);
  ASSERT_TRUE(run_until([&] { return s.closed(); }));
  c.conn()->write("two", 3);
  loop_.spin();
  EXPECT_EQ(s.data, "one");
  EXPECT_EQ(s.closed_count, 1);
}

TEST_F(ConnTest, WriteErrorIsReportedFromTheLoopNotFromWrite) {
  LoopbackServer& srv = server();
  RecordingConn& c = connected_to(srv);  // not reading: only the write can fail
  RecordingConn& s = srv.peer(0);
  // The server resets the connection.
  linger hard{1, 0};
  ASSERT_EQ(setsockopt(s.conn()->fd(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard), 0);
  s.conn()->close();
  ASSERT_TRUE(run_until([&] { return s.closed(); }));

  bool ok = true;
  for (int i = 0; i < 50 && ok; ++i) {
    c.in_caller = true;
    ok = c.conn()->write("x", 1);
    c.in_caller = false;
    if (ok) loop_.run_for(10);
  }
  ASSERT_FALSE(ok);
  EXPECT_TRUE(c.errors.empty());
  EXPECT_EQ(c.callbacks_in_caller, 0);
  // Timer calls in between do not swallow the pending report.
  c.conn()->set_timer(600000);
  c.conn()->stop_timer();
  ASSERT_TRUE(run_until([&] { return !c.errors.empty(); }));
  loop_.spin();
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_TRUE(c.errors[0] == UV_EPIPE || c.errors[0] == UV_ECONNRESET) << uv_err_name(c.errors[0]);
  EXPECT_EQ(c.timeouts, 0);
  EXPECT_FALSE(c.closed());  // the owner decides to close
}

// --- the timer --------------------------------------------------------------

TEST_F(ConnTest, TimerFiresOnce) {
  LoopbackServer& srv = server();
  RecordingConn& c = connected_to(srv);
  c.conn()->set_timer(5);
  ASSERT_TRUE(run_until([&] { return c.timeouts > 0; }));
  loop_.run_for(30);
  EXPECT_EQ(c.timeouts, 1);
}

TEST_F(ConnTest, SetTimerZeroStopsIt) {
  LoopbackServer& srv = server();
  RecordingConn& c = connected_to(srv);
  c.conn()->set_timer(5);
  c.conn()->set_timer(0);
  loop_.run_for(60);
  EXPECT_EQ(c.timeouts, 0);
}

TEST_F(ConnTest, StopTimerStopsIt) {
  LoopbackServer& srv = server();
  RecordingConn& c = connected_to(srv);
  c.conn()->set_timer(5);
  c.conn()->stop_timer();
  loop_.run_for(60);
  EXPECT_EQ(c.timeouts, 0);
}

TEST_F(ConnTest, SetTimerAgainReplacesTheDeadline) {
  LoopbackServer& srv = server();
  RecordingConn& c = connected_to(srv);
  c.conn()->set_timer(5);
  c.conn()->set_timer(600000);
  loop_.run_for(60);
  EXPECT_EQ(c.timeouts, 0);
}

TEST_F(ConnTest, ReleasedTimerIsMadeAgainOnNextUse) {
  LoopbackServer& srv = server();
  RecordingConn& c = connected_to(srv);
  c.conn()->set_timer(5);
  c.conn()->release_timer();
  loop_.run_for(60);
  EXPECT_EQ(c.timeouts, 0);
  c.conn()->set_timer(5);
  ASSERT_TRUE(run_until([&] { return c.timeouts == 1; }));
  // Both handles close and the close is still reported once.
  c.conn()->close();
  ASSERT_TRUE(run_until([&] { return c.closed(); }));
  loop_.spin();
  EXPECT_EQ(c.closed_count, 1);
}

TEST_F(ConnTest, ConnectionWithoutTimerClosesToo) {
  LoopbackServer& srv = server();
  RecordingConn& c = connected_to(srv);
  c.conn()->release_timer();  // nothing to release
  c.conn()->close();
  ASSERT_TRUE(run_until([&] { return c.closed(); }));
  EXPECT_EQ(c.closed_count, 1);
}

}  // namespace
}  // namespace gantry::net
