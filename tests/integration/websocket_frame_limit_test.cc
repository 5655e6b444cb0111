// The websocket module's size limits (max_frame_size, max_message_size) cut a
// tunnel at the header of the frame that breaks them, so not one byte of that
// frame reaches the other side. The peers here count raw bytes, not decoded
// frames: a frame cut short after part of it went through would still be
// "not received" by a decoder, but its bytes are on the backend's socket.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "harness/harness.h"
#include "harness/websocket_peers.h"
#include "ws_frame.h"

namespace gantry::itest {
namespace {

using namespace std::chrono_literals;

class WebSocketFrameLimitTest : public IntegrationTest {
 protected:
  void SetUp() override { ASSERT_TRUE(backend_.start()); }

  // gantry with the given module config, then one tunnel through it.
  void open_tunnel(const std::string& module_config) {
    ASSERT_TRUE(start_gantry(
        write_config(websocket_proxy_config(backend_.address(), module_config, ""))));
    ASSERT_TRUE(client_.connect(port()));
    ASSERT_EQ(client_.handshake().status, 101);
  }

  // A client frame that is within the limits reaches the backend whole.
  void send_accepted(const std::string& frame) {
    ASSERT_TRUE(client_.send_raw(frame));
    accepted_ += frame;
    ASSERT_TRUE(backend_.wait_received(accepted_.size(), 10s))
        << "a frame within the limits did not arrive: " << backend_.received().size() << " of "
        << accepted_.size() << " bytes";
  }

  // After the cut: both sides closed, and the backend got exactly the
  // accepted frames.
  void expect_cut_with_nothing_forwarded(const std::string& reason) {
    EXPECT_TRUE(client_.wait_eof(10s)) << "the tunnel was not cut";
    EXPECT_TRUE(backend_.wait_eof(10s)) << "the backend side stayed open";
    std::string got = backend_.received();
    EXPECT_EQ(got.size(), accepted_.size()) << "bytes of the refused frame reached the backend";
    EXPECT_EQ(got, accepted_);
    std::string line = gantry().access_line("/chat");
    EXPECT_NE(line.find("ws_cut=1009 ws_cut_reason=" + reason), std::string::npos) << line;
  }

  WsRawBackend backend_;
  WsClient client_;
  std::string accepted_;  // client bytes the backend must receive
};

TEST_F(WebSocketFrameLimitTest, OversizedFrameWithPartOfItsPayloadSendsNoByte) {
  ASSERT_NO_FATAL_FAILURE(open_tunnel("max_frame_size = \"64k\"\n"));
  ASSERT_NO_FATAL_FAILURE(send_accepted(test::ws_frame(2, std::string(1000, 'g'), true, true)));
  // The frame at exactly the limit still passes.
  ASSERT_NO_FATAL_FAILURE(send_accepted(test::ws_frame(2, std::string(65536, 'e'), true, true)));
  std::string big = test::ws_frame(2, std::string(100 * 1024, 'x'), true, true);
  client_.send_raw(big.substr(0, 14 + 1000));  // header and the first 1000 payload bytes
  client_.send_raw(big.substr(14 + 1000));     // may fail: gantry is allowed to cut first
  expect_cut_with_nothing_forwarded("frame_too_big");
  EXPECT_NE(gantry().access_line("/chat").find("ws_cut_dir=in"), std::string::npos);
}

TEST_F(WebSocketFrameLimitTest, OversizedHeaderAloneCutsTheTunnel) {
  ASSERT_NO_FATAL_FAILURE(open_tunnel("max_frame_size = \"64k\"\n"));
  ASSERT_NO_FATAL_FAILURE(send_accepted(test::ws_frame(1, "before", true, true)));
  std::string big = test::ws_frame(2, std::string(70000, 'x'), true, true);
  ASSERT_TRUE(client_.send_raw(big.substr(0, 14)));  // 64-bit length and mask: the whole header
  // Cut at the header: no payload byte has to arrive first.
  expect_cut_with_nothing_forwarded("frame_too_big");
}

TEST_F(WebSocketFrameLimitTest, SixteenBitLengthsAreCheckedToo) {
  ASSERT_NO_FATAL_FAILURE(open_tunnel("max_frame_size = 1000\n"));
  ASSERT_NO_FATAL_FAILURE(send_accepted(test::ws_frame(2, std::string(1000, 'a'), true, true)));
  client_.send_raw(test::ws_frame(2, std::string(1001, 'b'), true, true));
  expect_cut_with_nothing_forwarded("frame_too_big");
}

TEST_F(WebSocketFrameLimitTest, FrameThatOverflowsTheMessageSendsNoByte) {
  ASSERT_NO_FATAL_FAILURE(open_tunnel("max_message_size = \"64k\"\n"));
  // A fragmented binary message: 40 KiB, then a continuation that would make it 80 KiB.
  ASSERT_NO_FATAL_FAILURE(
      send_accepted(test::ws_frame(2, std::string(40 * 1024, 'f'), false, true)));
  client_.send_raw(test::ws_frame(0, std::string(40 * 1024, 'c'), true, true));
  expect_cut_with_nothing_forwarded("message_too_big");
}

TEST_F(WebSocketFrameLimitTest, OversizedServerFrameSendsNoByteToTheClient) {
  ASSERT_NO_FATAL_FAILURE(open_tunnel("max_frame_size = \"64k\"\n"));
  std::string good = test::ws_frame(2, std::string(2000, 's'));
  ASSERT_TRUE(backend_.send(good));
  WsFrame f = client_.next();
  ASSERT_EQ(f.payload.size(), 2000u);
  std::string big = test::ws_frame(2, std::string(100 * 1024, 'y'));
  backend_.send(big.substr(0, 10 + 1000));
  EXPECT_TRUE(client_.wait_eof(10s)) << "the tunnel was not cut";
  EXPECT_EQ(client_.buffered().size(), 0u) << "bytes of the refused frame reached the client";
  std::string line = gantry().access_line("/chat");
  EXPECT_NE(line.find("ws_cut_reason=frame_too_big ws_cut_dir=out"), std::string::npos) << line;
}

// The sender of the refused frame is told why (ABI 1.1 tunnel writes): a
// Close 1009 before the connection ends, instead of a bare reset.
TEST_F(WebSocketFrameLimitTest, ClientOverTheLimitGetsClose1009) {
  ASSERT_NO_FATAL_FAILURE(open_tunnel("max_frame_size = 1000\n"));
  client_.send_raw(test::ws_frame(2, std::string(1001, 'b'), true, true));
  WsFrame f = client_.next();
  EXPECT_EQ(f.opcode, 8) << "expected a Close frame";
  EXPECT_EQ(f.payload, ws_close_payload(1009));
  expect_cut_with_nothing_forwarded("frame_too_big");
  EXPECT_NE(gantry().access_line("/chat").find("ws_close_sent=1"), std::string::npos);
}

TEST_F(WebSocketFrameLimitTest, ServerOverTheLimitGetsAMaskedClose1009) {
  ASSERT_NO_FATAL_FAILURE(open_tunnel("max_frame_size = 1000\n"));
  ASSERT_TRUE(backend_.send(test::ws_frame(2, std::string(1001, 'y'))));
  EXPECT_TRUE(backend_.wait_received(8, 10s)) << "no Close reached the backend";
  EXPECT_TRUE(backend_.wait_eof(10s));
  std::string got = backend_.received();
  WsFrame f;
  ASSERT_EQ(got.size(), 8u);
  EXPECT_EQ(static_cast<uint8_t>(got[1]) & 0x80, 0x80) << "frames toward a server are masked";
  ASSERT_TRUE(ws_decode(&got, &f));
  EXPECT_EQ(f.opcode, 8);
  EXPECT_EQ(f.payload, ws_close_payload(1009));
  EXPECT_TRUE(client_.wait_eof(10s));
  EXPECT_EQ(client_.buffered().size(), 0u) << "bytes of the refused frame reached the client";
}

// A header split across reads is the one case where the first bytes of a
// refused frame go through: the module cannot know the length before the
// header is complete, and ABI 1.0 gives it no way to hold bytes back (see
// modules/websocket/README.md). Still, no payload byte may follow.
TEST_F(WebSocketFrameLimitTest, HeaderSplitAcrossReadsForwardsNoPayload) {
  ASSERT_NO_FATAL_FAILURE(open_tunnel("max_frame_size = \"64k\"\n"));
  ASSERT_NO_FATAL_FAILURE(send_accepted(test::ws_frame(1, "before", true, true)));
  std::string big = test::ws_frame(2, std::string(100 * 1024, 'z'), true, true);
  ASSERT_TRUE(client_.send_raw(big.substr(0, 2)));
  backend_.wait_received(accepted_.size() + 2, 2s);  // the two bytes may or may not pass
  client_.send_raw(big.substr(2, 12 + 1000));
  EXPECT_TRUE(client_.wait_eof(10s)) << "the tunnel was not cut";
  EXPECT_TRUE(backend_.wait_eof(10s));
  std::string got = backend_.received();
  EXPECT_LE(got.size(), accepted_.size() + 2) << "payload bytes of the refused frame got through";
  EXPECT_EQ(got, (accepted_ + big).substr(0, got.size()));
}

}  // namespace
}  // namespace gantry::itest
