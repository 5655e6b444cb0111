// RequestForwarder writing into a real connection to a loopback server: the
// head and any body that waited for the connection leave together, chunk
// framing, restart on a new connection, body_on_wire, and the back-pressure
// answers.
#include "exchange/request_forwarder.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "loop_fixture.h"

namespace gantry::exchange {
namespace {

using Progress = RequestForwarder::Progress;
using unit_test::LoopbackServer;
using unit_test::RecordingConn;

constexpr char kHead[] = "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";

class RequestForwarderTest : public ::testing::Test {
 protected:
  RequestForwarderTest() { fwd_.head_wire() = kHead; }
  void TearDown() override {
    for (auto& c : conns_) c->conn()->close();
    for (auto& s : servers_) s->close();
    EXPECT_EQ(loop_.close(), 0);
  }

  // A connection to a fresh server; `received(i)` is what its server got.
  net::Conn* connection(bool server_reads = true) {
    servers_.push_back(std::make_unique<LoopbackServer>(&loop_.worker(), server_reads));
    conns_.push_back(std::make_unique<RecordingConn>(&loop_.worker()));
    RecordingConn& c = *conns_.back();
    LoopbackServer& s = *servers_.back();
    EXPECT_EQ(c.connect_to(s.port()), 0);
    EXPECT_TRUE(loop_.run_until([&] { return !c.connected.empty() && s.accepted() == 1; }));
    return c.conn();
  }
  RecordingConn& server_side(size_t i) { return servers_.at(i)->peer(0); }
  std::string received(size_t i, size_t expect) {
    loop_.run_until([&] { return server_side(i).data.size() >= expect; });
    loop_.spin();
    return server_side(i).data;
  }

  unit_test::TestLoop loop_;
  std::vector<std::unique_ptr<LoopbackServer>> servers_;
  std::vector<std::unique_ptr<RecordingConn>> conns_;
  RequestForwarder fwd_;
  const std::string head_ = kHead;
};

TEST_F(RequestForwarderTest, StartSendsTheHead) {
  EXPECT_EQ(fwd_.progress(), Progress::kNone);
  EXPECT_EQ(fwd_.ready_bytes(), head_.size());
  net::Conn* c = connection();
  EXPECT_FALSE(fwd_.start(c));
  EXPECT_EQ(fwd_.progress(), Progress::kHead);
  EXPECT_FALSE(fwd_.body_on_wire());
  EXPECT_EQ(fwd_.ready_bytes(), 0u);
  EXPECT_EQ(received(0, head_.size()), head_);
}

TEST_F(RequestForwarderTest, BodyWithoutAConnectionWaitsAndLeavesWithTheHead) {
  EXPECT_FALSE(fwd_.body(nullptr, "abc", 3));
  EXPECT_FALSE(fwd_.body(nullptr, "de", 2));
  EXPECT_EQ(fwd_.progress(), Progress::kNone);
  EXPECT_FALSE(fwd_.body_on_wire());
  EXPECT_EQ(fwd_.ready_bytes(), head_.size() + 5);  // what connect hooks are told
  net::Conn* c = connection();
  EXPECT_FALSE(fwd_.start(c));
  EXPECT_TRUE(fwd_.body_on_wire());
  EXPECT_EQ(fwd_.ready_bytes(), 0u);
  EXPECT_EQ(received(0, head_.size() + 5), head_ + "abcde");
}

TEST_F(RequestForwarderTest, BodyOnAConnectionNotStartedYetWaits) {
  // A connection the forwarder was not started on (it may still be
  // connecting): no body byte may precede the head.
  net::Conn* c = connection();
  EXPECT_FALSE(fwd_.body(c, "early", 5));
  loop_.spin();
  EXPECT_EQ(server_side(0).data, "");
  fwd_.start(c);
  EXPECT_EQ(received(0, head_.size() + 5), head_ + "early");
}

TEST_F(RequestForwarderTest, BodyAfterTheHeadGoesStraightOut) {
  net::Conn* c = connection();
  fwd_.start(c);
  EXPECT_FALSE(fwd_.body_on_wire());
  EXPECT_FALSE(fwd_.body(c, "xyz", 3));
  EXPECT_EQ(fwd_.progress(), Progress::kBody);
  EXPECT_TRUE(fwd_.body_on_wire());
  EXPECT_FALSE(fwd_.end(c));  // not chunked: the end adds nothing
  EXPECT_EQ(received(0, head_.size() + 3), head_ + "xyz");
}

TEST_F(RequestForwarderTest, ChunkedBodyIsFramedAndEnded) {
  fwd_.set_chunked(true);
  net::Conn* c = connection();
  fwd_.start(c);
  fwd_.body(c, "hello", 5);
  std::string big(26, 'z');
  fwd_.body(c, big.data(), big.size());
  EXPECT_FALSE(fwd_.end(c));
  std::string want = head_ + "5\r\nhello\r\n" + "1a\r\n" + big + "\r\n" + "0\r\n\r\n";
  EXPECT_EQ(received(0, want.size()), want);
}

TEST_F(RequestForwarderTest, ChunkedBodyThatWaitedIsFramedToo) {
  fwd_.set_chunked(true);
  fwd_.body(nullptr, "ab", 2);
  fwd_.end(nullptr);
  EXPECT_EQ(fwd_.ready_bytes(), head_.size() + std::string("2\r\nab\r\n0\r\n\r\n").size());
  net::Conn* c = connection();
  fwd_.start(c);
  std::string want = head_ + "2\r\nab\r\n0\r\n\r\n";
  EXPECT_EQ(received(0, want.size()), want);
}

TEST_F(RequestForwarderTest, RestartSendsTheHeadAgainOnANewConnection) {
  net::Conn* first = connection();
  fwd_.start(first);
  EXPECT_EQ(received(0, head_.size()), head_);
  // The connection was lost before any response: a new one starts over.
  fwd_.restart();
  EXPECT_EQ(fwd_.progress(), Progress::kNone);
  EXPECT_EQ(fwd_.ready_bytes(), head_.size());
  net::Conn* second = connection();
  fwd_.body(second, "b", 1);  // waits for the head
  fwd_.start(second);
  EXPECT_EQ(received(1, head_.size() + 1), head_ + "b");
}

TEST_F(RequestForwarderTest, BodyOnTheWireIsNotReplayedAfterRestart) {
  net::Conn* first = connection();
  fwd_.start(first);
  fwd_.body(first, "once", 4);
  ASSERT_TRUE(fwd_.body_on_wire());
  fwd_.restart();
  EXPECT_FALSE(fwd_.body_on_wire());
  EXPECT_EQ(fwd_.ready_bytes(), head_.size());  // the body is gone: that is why it cannot retry
  net::Conn* second = connection();
  fwd_.start(second);
  EXPECT_EQ(received(1, head_.size()), head_);
}

TEST_F(RequestForwarderTest, BodyWithinTheReplayLimitIsSentAgainAfterRestart) {
  fwd_.set_replay_limit(1024);
  fwd_.set_chunked(true);
  net::Conn* first = connection();
  fwd_.start(first);
  fwd_.body(first, "once", 4);
  fwd_.end(first);
  ASSERT_TRUE(fwd_.body_on_wire());
  EXPECT_TRUE(fwd_.replayable());
  fwd_.restart();
  std::string body = "4\r\nonce\r\n0\r\n\r\n";
  EXPECT_EQ(fwd_.ready_bytes(), head_.size() + body.size());
  net::Conn* second = connection();
  fwd_.start(second);
  EXPECT_EQ(received(1, head_.size() + body.size()), head_ + body);
}

TEST_F(RequestForwarderTest, BodyOverTheReplayLimitIsNotReplayable) {
  fwd_.set_replay_limit(3);
  net::Conn* first = connection();
  fwd_.start(first);
  fwd_.body(first, "ab", 2);
  EXPECT_TRUE(fwd_.replayable());
  fwd_.body(first, "cd", 2);
  EXPECT_FALSE(fwd_.replayable());
  fwd_.restart();
  EXPECT_EQ(fwd_.ready_bytes(), head_.size());
}

TEST_F(RequestForwarderTest, WaitingBodyAboveHighWaterAsksToStopReading) {
  std::string piece(64 * 1024, 'w');
  bool stop = false;
  size_t n = 0;
  while (!stop && n < 2 * net::Conn::kHighWater) {
    stop = fwd_.body(nullptr, piece.data(), piece.size());
    n += piece.size();
  }
  EXPECT_TRUE(stop);
  EXPECT_GT(n, net::Conn::kHighWater);
  EXPECT_LE(n, net::Conn::kHighWater + piece.size());
  net::Conn* c = connection();
  fwd_.start(c);
  EXPECT_EQ(received(0, head_.size() + n).size(), head_.size() + n);
}

TEST_F(RequestForwarderTest, ConnectionAboveHighWaterAsksToStopReading) {
  net::Conn* c = connection(false);  // the server does not read
  fwd_.start(c);
  std::string piece(1 << 20, 'q');
  bool stop = false;
  size_t n = 0;
  while (!stop && n < (512u << 20)) {
    stop = fwd_.body(c, piece.data(), piece.size());
    n += piece.size();
  }
  EXPECT_TRUE(stop);
  EXPECT_TRUE(c->above_high_water());
  server_side(0).conn()->start_read();
  EXPECT_EQ(received(0, head_.size() + n).size(), head_.size() + n);
}

}  // namespace
}  // namespace gantry::exchange
