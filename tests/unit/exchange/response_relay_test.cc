// ResponseRelay between server bytes and a recording Downstream: interim
// heads, a 101 refused unless an upgrade was allowed, HEAD, bodies framed by
// length, chunks or the close of the connection, bytes after a complete
// response, and the server's reads paused while the client is congested.
#include "exchange/response_relay.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "loop_fixture.h"

namespace gantry::exchange {
namespace {

using Fed = ResponseRelay::Fed;
using Stage = ResponseRelay::Stage;

const char* body_name(BodySize b) {
  switch (b) {
    case BodySize::kNone:
      return "none";
    case BodySize::kKnown:
      return "known";
    case BodySize::kUnknown:
      return "unknown";
  }
  return "?";
}

// A client side that writes down what the exchange asks of it, in order.
class RecordingDownstream final : public Downstream {
 public:
  std::vector<std::string> calls;
  std::string body;
  std::vector<std::string> final_fields;  // "name: value" of the last final head
  bool congested_now = false;

  const ClientFacts& client() const override { return facts_; }
  uint64_t bytes_sent() const override { return 0; }
  gantry_status_t tls_info(gantry_tls_info_t*) const override { return GANTRY_ERR_NOENT; }
  void send_interim(const http::Head& h) override {
    calls.push_back("interim " + std::to_string(h.status));
  }
  void send_head(const OutgoingResponse& r) override {
    std::string c = "head " + std::to_string(r.head->status) + " " + body_name(r.body);
    if (r.body == BodySize::kKnown) c += " " + std::to_string(r.length);
    calls.push_back(c);
    final_fields.clear();
    for (const http::HeaderField& f : r.head->headers)
      if (!f.name.empty())
        final_fields.push_back(std::string(f.name) + ": " + std::string(f.value));
  }
  void send_body(const char* p, size_t n) override { body.append(p, n); }
  void end_body() override { calls.push_back("end"); }
  void flush() override { calls.push_back("flush"); }
  bool unsend_head() override {
    calls.push_back("unsend_head");
    return false;
  }
  bool congested() const override { return congested_now; }
  void pause_request() override { calls.push_back("pause"); }
  void resume_request() override { calls.push_back("resume"); }
  void send_switching(const http::Head& h) override {
    calls.push_back("switching " + std::to_string(h.status));
  }
  std::string begin_tunnel() override { return {}; }
  void tunnel_send(const char*, size_t) override { calls.push_back("tunnel_send"); }
  void tunnel_shutdown() override { calls.push_back("tunnel_shutdown"); }
  void exchange_done(bool) override { calls.push_back("done"); }
  void abort() override { calls.push_back("abort"); }

 private:
  ClientFacts facts_;
};

class CountingEvents final : public RelayEvents {
 public:
  bool accept = true;
  int heads = 0;
  bool on_response_head() override {
    ++heads;
    return accept;
  }
};

using Calls = std::vector<std::string>;

class ResponseRelayTest : public ::testing::Test {
 protected:
  Fed feed(const std::string& bytes, size_t* used = nullptr) {
    size_t u = 0;
    Fed f = relay_.feed(bytes.data(), bytes.size(), &u);
    if (used != nullptr) *used = u;
    return f;
  }
  // Feeds one byte at a time, as reads that small would; returns the last
  // answer and checks every earlier one was kMore with its byte used.
  Fed feed_bytewise(const std::string& bytes) {
    Fed f = Fed::kMore;
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (i > 0) {
        EXPECT_EQ(f, Fed::kMore) << "at byte " << i;
      }
      size_t used = 0;
      f = relay_.feed(&bytes[i], 1, &used);
      EXPECT_EQ(used, 1u) << "at byte " << i;
    }
    return f;
  }
  void request(bool head_method, bool upgrade_allowed = false, bool http10 = false) {
    ResponseRelay::Request r;
    r.head_method = head_method;
    r.upgrade_allowed = upgrade_allowed;
    r.client_http10 = http10;
    relay_.set_request(r);
  }

  RecordingDownstream down_;
  CountingEvents events_;
  Arena arena_;
  http::Head head_;
  ResponseRelay relay_{&down_, &events_, &head_, &arena_};
};

TEST_F(ResponseRelayTest, KnownLengthResponse) {
  std::string r = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello";
  size_t used = 0;
  EXPECT_EQ(feed(r, &used), Fed::kDone);
  EXPECT_EQ(used, r.size());
  EXPECT_EQ(down_.calls, (Calls{"head 200 known 5", "end"}));
  EXPECT_EQ(down_.body, "hello");
  EXPECT_EQ(down_.final_fields, (Calls{"Content-Length: 5", "X-A: 1"}));
  EXPECT_EQ(events_.heads, 1);
  EXPECT_EQ(relay_.stage(), Stage::kComplete);
  EXPECT_TRUE(relay_.reusable());
}

TEST_F(ResponseRelayTest, ByteAtATime) {
  EXPECT_EQ(relay_.stage(), Stage::kHead);
  EXPECT_EQ(feed_bytewise("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), Fed::kDone);
  EXPECT_EQ(down_.calls, (Calls{"head 200 known 5", "end"}));
  EXPECT_EQ(down_.body, "hello");
  EXPECT_TRUE(relay_.reusable());
}

TEST_F(ResponseRelayTest, HeadIsSentBeforeTheBodyArrives) {
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab"), Fed::kMore);
  EXPECT_TRUE(relay_.head_sent());
  EXPECT_EQ(relay_.stage(), Stage::kBody);
  EXPECT_TRUE(relay_.in_message());
  EXPECT_FALSE(relay_.reusable());
  EXPECT_EQ(feed("cd"), Fed::kDone);
  EXPECT_EQ(down_.body, "abcd");
}

TEST_F(ResponseRelayTest, InterimHeadsGoDownBeforeTheFinalOne) {
  std::string r =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  EXPECT_EQ(feed(r), Fed::kDone);
  EXPECT_EQ(down_.calls, (Calls{"interim 100", "interim 103", "head 200 known 2", "end"}));
  // The final head starts afresh: nothing of the interim heads is left in it.
  EXPECT_EQ(down_.final_fields, Calls{"Content-Length: 2"});
  EXPECT_EQ(events_.heads, 1);  // modules see the final head only
}

TEST_F(ResponseRelayTest, InterimHeadsArriveInSeparateReads) {
  EXPECT_EQ(feed("HTTP/1.1 100 Continue\r\n\r\n"), Fed::kMore);
  EXPECT_EQ(relay_.stage(), Stage::kHead);
  EXPECT_FALSE(relay_.head_sent());
  EXPECT_EQ(feed("HTTP/1.1 204 No Content\r\n\r\n"), Fed::kDone);
  EXPECT_EQ(down_.calls, (Calls{"interim 100", "head 204 none", "end"}));
}

TEST_F(ResponseRelayTest, InterimHeadsAreNotSentToHttp10Clients) {
  request(false, false, true);
  EXPECT_EQ(feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            Fed::kDone);
  EXPECT_EQ(down_.calls, (Calls{"head 200 known 0", "end"}));
}

TEST_F(ResponseRelayTest, SwitchingProtocolsIsRefusedWithoutAnAllowedUpgrade) {
  EXPECT_EQ(feed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\n\r\n"),
            Fed::kError);
  EXPECT_EQ(down_.calls, Calls{});
  EXPECT_EQ(events_.heads, 0);
  EXPECT_FALSE(relay_.head_sent());
}

TEST_F(ResponseRelayTest, SwitchingProtocolsHandsTheRestToTheTunnel) {
  request(false, true);
  std::string head =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  std::string frame("\x81\x02hi", 4);
  size_t used = 0;
  EXPECT_EQ(feed(head + frame, &used), Fed::kSwitching);
  EXPECT_EQ(used, head.size());  // the frame is the tunnel's
  EXPECT_EQ(down_.calls, Calls{"switching 101"});
  EXPECT_EQ(relay_.stage(), Stage::kSwitching);
  EXPECT_EQ(events_.heads, 0);
}

TEST_F(ResponseRelayTest, HeadResponseHasNoBodyButKeepsItsLength) {
  request(true);
  std::string r = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
  size_t used = 0;
  EXPECT_EQ(feed(r, &used), Fed::kDone);
  EXPECT_EQ(used, r.size());
  EXPECT_EQ(down_.calls, (Calls{"head 200 none", "end"}));
  EXPECT_EQ(down_.final_fields, Calls{"Content-Length: 100"});
  EXPECT_TRUE(relay_.reusable());
}

TEST_F(ResponseRelayTest, NoBodyStatuses) {
  for (const char* status : {"204 No Content", "304 Not Modified"}) {
    SCOPED_TRACE(status);
    down_.calls.clear();
    head_.clear();
    ResponseRelay relay(&down_, &events_, &head_, &arena_);
    std::string r = std::string("HTTP/1.1 ") + status + "\r\nETag: \"e\"\r\n\r\n";
    size_t used = 0;
    EXPECT_EQ(relay.feed(r.data(), r.size(), &used), Fed::kDone);
    EXPECT_EQ(used, r.size());
    ASSERT_FALSE(down_.calls.empty());
    EXPECT_EQ(down_.calls[0].substr(9), "none");
    EXPECT_TRUE(relay.reusable());
  }
}

// Once a bug: a 204 or 304 never has a body (RFC 9110 6.4.1), and a 304 may carry
// the Content-Length of the resource it stands for (RFC 9110 8.6). The relay
// tells the client "no body" (status_has_no_body) but leaves the parser
// expecting Content-Length bytes (on_head returns 1 only for HEAD), so the
// response never completes: the client's next request on that connection
// waits for the server timeout and then loses the connection, and bytes the
// server sends next would go to the client as a body nobody announced.
TEST_F(ResponseRelayTest, NoBodyStatusWithContentLengthEndsAtItsHead) {
  for (const char* status : {"204 No Content", "304 Not Modified"}) {
    SCOPED_TRACE(status);
    down_.calls.clear();
    down_.body.clear();
    head_.clear();
    ResponseRelay relay(&down_, &events_, &head_, &arena_);
    std::string r = std::string("HTTP/1.1 ") + status + "\r\nContent-Length: 7\r\n\r\n";
    std::string next = "HTTP/1.1 200 OK\r\n";
    std::string bytes = r + next;
    size_t used = 0;
    EXPECT_EQ(relay.feed(bytes.data(), bytes.size(), &used), Fed::kDone);
    EXPECT_EQ(used, r.size());
    EXPECT_EQ(down_.body, "");
  }
}

TEST_F(ResponseRelayTest, ChunkedBodyArrivesDechunkedWithUnknownSize) {
  EXPECT_EQ(feed_bytewise("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
            Fed::kDone);
  EXPECT_EQ(down_.calls, (Calls{"head 200 unknown", "end"}));
  EXPECT_EQ(down_.body, "hello world");
  EXPECT_TRUE(relay_.reusable());
}

TEST_F(ResponseRelayTest, BodyUntilCloseEndsWithFinish) {
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\n\r\nabc"), Fed::kMore);
  EXPECT_EQ(feed("def"), Fed::kMore);
  EXPECT_EQ(down_.calls, Calls{"head 200 unknown"});
  EXPECT_TRUE(relay_.in_message());
  EXPECT_TRUE(relay_.finish());
  EXPECT_EQ(down_.calls, (Calls{"head 200 unknown", "end"}));
  EXPECT_EQ(down_.body, "abcdef");
  EXPECT_FALSE(relay_.reusable());  // its end was the connection's
}

TEST_F(ResponseRelayTest, Http10ResponseWithoutLengthEndsWithTheConnection) {
  EXPECT_EQ(feed("HTTP/1.0 200 OK\r\n\r\nold"), Fed::kMore);
  EXPECT_TRUE(relay_.finish());
  EXPECT_EQ(down_.body, "old");
  EXPECT_FALSE(relay_.reusable());
}

TEST_F(ResponseRelayTest, FinishCannotCompleteACutBody) {
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), Fed::kMore);
  EXPECT_FALSE(relay_.finish());
  EXPECT_EQ(down_.calls, Calls{"head 200 known 10"});
  EXPECT_NE(relay_.stage(), Stage::kComplete);
}

TEST_F(ResponseRelayTest, FinishBeforeAnyHeadIsNoResponse) {
  EXPECT_EQ(feed("HTTP/1.1 200 O"), Fed::kMore);
  EXPECT_FALSE(relay_.finish());
  EXPECT_EQ(down_.calls, Calls{});
}

TEST_F(ResponseRelayTest, DoneWithTrailingBytes) {
  std::string r = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  size_t used = 0;
  EXPECT_EQ(feed(r + "HTTP/1.1 200 OK\r\n\r\n", &used), Fed::kDone);
  // The exchange compares `used` with what it fed: bytes after a complete
  // response mean the connection is not reused.
  EXPECT_EQ(used, r.size());
  EXPECT_EQ(down_.body, "ok");
  EXPECT_EQ(down_.calls, (Calls{"head 200 known 2", "end"}));
}

TEST_F(ResponseRelayTest, ConnectionCloseMakesItNotReusable) {
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"), Fed::kDone);
  EXPECT_FALSE(relay_.reusable());
}

TEST_F(ResponseRelayTest, RefusedHeadIsAnErrorAndNothingGoesDown) {
  events_.accept = false;
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), Fed::kError);
  EXPECT_EQ(events_.heads, 1);
  EXPECT_EQ(down_.calls, Calls{});
  EXPECT_EQ(down_.body, "");
}

TEST_F(ResponseRelayTest, MalformedResponseIsAnError) {
  for (const char* bad : {"HTTP/1.1 abc OK\r\n\r\n", "SMTP ready\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"}) {
    SCOPED_TRACE(bad);
    down_.calls.clear();
    head_.clear();
    ResponseRelay relay(&down_, &events_, &head_, &arena_);
    size_t used = 0;
    EXPECT_EQ(relay.feed(bad, std::strlen(bad), &used), Fed::kError);
    EXPECT_EQ(down_.calls, Calls{});
    ASSERT_NE(relay.error_reason(), nullptr);
    EXPECT_STRNE(relay.error_reason(), "");
  }
}

// --- back-pressure on a real upstream connection -----------------------------

class ResponseRelayFlowTest : public ResponseRelayTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok());
    ASSERT_EQ(up_.connect_to(server_.port()), 0);
    ASSERT_TRUE(loop_.run_until([&] { return !up_.connected.empty() && server_.accepted(); }));
    up_.conn()->start_read();
    relay_.set_upstream(up_.conn());
  }
  void TearDown() override {
    relay_.set_upstream(nullptr);
    up_.conn()->close();
    server_.close();
    EXPECT_EQ(loop_.close(), 0);
  }

  unit_test::TestLoop loop_;
  unit_test::LoopbackServer server_{&loop_.worker()};
  unit_test::RecordingConn up_{&loop_.worker()};
};

TEST_F(ResponseRelayFlowTest, CongestedClientStopsTheServersReadsUntilDrained) {
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nab"), Fed::kMore);
  EXPECT_TRUE(up_.conn()->reading());  // the client keeps up
  down_.congested_now = true;
  EXPECT_EQ(feed("cd"), Fed::kMore);
  EXPECT_FALSE(up_.conn()->reading());
  down_.congested_now = false;
  relay_.on_downstream_drained();
  EXPECT_TRUE(up_.conn()->reading());
  EXPECT_EQ(feed("ef"), Fed::kDone);
  EXPECT_EQ(down_.body, "abcdef");
}

TEST_F(ResponseRelayFlowTest, ServerBytesStillArriveAfterReadsResume) {
  down_.congested_now = true;
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab"), Fed::kMore);
  ASSERT_FALSE(up_.conn()->reading());
  server_.peer(0).conn()->write("cd", 2);
  loop_.run_for(30);
  EXPECT_EQ(up_.data, "");  // held in the kernel while reads are off
  relay_.on_downstream_drained();
  ASSERT_TRUE(loop_.run_until([&] { return up_.data == "cd"; }));
}

TEST_F(ResponseRelayFlowTest, DrainedOutsideABodyDoesNotRestartReads) {
  EXPECT_EQ(feed("HTTP/1.1 204 No Content\r\n\r\n"), Fed::kDone);
  up_.conn()->stop_read();  // the exchange is done with the response
  relay_.on_downstream_drained();
  EXPECT_FALSE(up_.conn()->reading());
}

TEST_F(ResponseRelayFlowTest, HeadStageDrainedDoesNotStartReads) {
  up_.conn()->stop_read();
  relay_.on_downstream_drained();
  EXPECT_FALSE(up_.conn()->reading());
}

}  // namespace
}  // namespace gantry::exchange
