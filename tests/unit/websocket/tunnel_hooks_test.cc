// Frame options through the module's hooks: per-stream state only when asked
// for, limits cutting the tunnel, and what reaches the access log.
#include <gtest/gtest.h>

#include "ws_test_support.h"

namespace gantry::websocket_test {
namespace {

constexpr uint32_t kIn = GANTRY_DIR_CLIENT_TO_SERVER;
constexpr uint32_t kOut = GANTRY_DIR_SERVER_TO_CLIENT;

std::string close_payload(uint16_t code) {
  std::string p;
  p += static_cast<char>(code >> 8);
  p += static_cast<char>(code & 0xff);
  return p;
}

TEST(TunnelHooksTest, DefaultPathKeepsNoState) {
  WsModule ws;
  ASSERT_TRUE(ws.load()) << ws.error();
  MockStream s = valid_handshake();
  void* ctx = nullptr;
  ASSERT_EQ(ws.request(&s, &ctx), GANTRY_CONTINUE);
  EXPECT_EQ(ctx, nullptr);
  // Anything at all is relayed: the module does not parse without options.
  EXPECT_EQ(ws.tunnel(&s, ctx, kIn, std::string("\x83\xff garbage", 10)), GANTRY_CONTINUE);
  EXPECT_TRUE(s.log_notes.empty());
}

TEST(TunnelHooksTest, CountsAndCloseHandshakeReachTheLog) {
  WsModule ws;
  ASSERT_TRUE(ws.load("count_messages = true\n")) << ws.error();
  MockStream s = valid_handshake();
  void* ctx = nullptr;
  ASSERT_EQ(ws.request(&s, &ctx), GANTRY_CONTINUE);
  ASSERT_NE(ctx, nullptr);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(ws.tunnel(&s, ctx, kIn, ws_frame(1, "ping " + std::to_string(i), true, true)),
              GANTRY_CONTINUE);
  EXPECT_EQ(ws.tunnel(&s, ctx, kOut, ws_frame(1, "a") + ws_frame(2, "b") + ws_frame(9, "")),
            GANTRY_CONTINUE);
  EXPECT_EQ(ws.tunnel(&s, ctx, kIn, ws_frame(8, close_payload(1000), true, true)), GANTRY_CONTINUE);
  EXPECT_EQ(s.note("ws_close"), "1000");
  EXPECT_EQ(s.note("ws_close_by"), "client");
  EXPECT_EQ(s.note_count("ws_msgs_in"), 0u) << "the server may still send until it closes";
  EXPECT_EQ(ws.tunnel(&s, ctx, kOut, ws_frame(1, "last") + ws_frame(8, close_payload(1000))),
            GANTRY_CONTINUE);
  EXPECT_EQ(s.note("ws_msgs_in"), "3");
  EXPECT_EQ(s.note("ws_msgs_out"), "3");
  ws.log(&s, ctx, true);
  EXPECT_EQ(s.note_count("ws_msgs_in"), 1u) << "noted once";
  EXPECT_EQ(s.note_count("ws_close"), 1u);
  ws.end(&s, ctx);
}

TEST(TunnelHooksTest, TunnelWithoutCloseNotesCountsAtLog) {
  WsModule ws;
  ASSERT_TRUE(ws.load("count_messages = true\n")) << ws.error();
  MockStream s = valid_handshake();
  void* ctx = nullptr;
  ASSERT_EQ(ws.request(&s, &ctx), GANTRY_CONTINUE);
  ws.tunnel(&s, ctx, kOut, ws_frame(1, "hi"));
  ws.log(&s, ctx, true);
  EXPECT_EQ(s.note("ws_msgs_in"), "0");
  EXPECT_EQ(s.note("ws_msgs_out"), "1");
  EXPECT_EQ(s.note_count("ws_close"), 0u);
  ws.end(&s, ctx);
}

TEST(TunnelHooksTest, FrameLimitCutsWith1009) {
  WsModule ws;
  ASSERT_TRUE(ws.load("max_frame_size = \"1k\"\n")) << ws.error();
  MockStream s = valid_handshake();
  void* ctx = nullptr;
  ASSERT_EQ(ws.request(&s, &ctx), GANTRY_CONTINUE);
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(ws.tunnel(&s, ctx, kOut, ws_frame(2, std::string(1024, 'x'))), GANTRY_CONTINUE);
  EXPECT_EQ(ws.tunnel(&s, ctx, kIn, ws_frame(2, std::string(1025, 'x'), true, true)), GANTRY_CLOSE);
  EXPECT_EQ(s.note("ws_cut"), "1009");
  EXPECT_EQ(s.note("ws_cut_reason"), "frame_too_big");
  EXPECT_EQ(s.note("ws_cut_dir"), "in");
  EXPECT_EQ(s.note_count("ws_msgs_in"), 0u) << "counts only with count_messages";
  // The client, whose frame was refused, gets an unmasked Close 1009; the
  // server gets nothing written (its stream stops before the refused frame).
  ASSERT_EQ(s.tunnel_sent.size(), 1u);
  EXPECT_EQ(s.tunnel_sent[0].first, static_cast<uint32_t>(GANTRY_DIR_SERVER_TO_CLIENT));
  EXPECT_EQ(s.tunnel_sent[0].second, std::string("\x88\x02\x03\xf1", 4));
  EXPECT_EQ(s.note("ws_close_sent"), "1");
  ws.end(&s, ctx);
}

TEST(TunnelHooksTest, ServerOversizeGetsAMaskedClose) {
  WsModule ws;
  ASSERT_TRUE(ws.load("max_frame_size = 100\n")) << ws.error();
  MockStream s = valid_handshake();
  void* ctx = nullptr;
  ASSERT_EQ(ws.request(&s, &ctx), GANTRY_CONTINUE);
  EXPECT_EQ(ws.tunnel(&s, ctx, kOut, ws_frame(2, std::string(101, 'x'))), GANTRY_CLOSE);
  ASSERT_EQ(s.tunnel_sent.size(), 1u);
  EXPECT_EQ(s.tunnel_sent[0].first, static_cast<uint32_t>(GANTRY_DIR_CLIENT_TO_SERVER));
  const std::string& f = s.tunnel_sent[0].second;
  ASSERT_EQ(f.size(), 8u);
  EXPECT_EQ(f.substr(0, 2), std::string("\x88\x82", 2)) << "a client frame is masked";
  const uint16_t code = static_cast<uint16_t>(((static_cast<uint8_t>(f[6]) ^ static_cast<uint8_t>(f[2])) << 8) |
                                              (static_cast<uint8_t>(f[7]) ^ static_cast<uint8_t>(f[3])));
  EXPECT_EQ(code, 1009);
  ws.end(&s, ctx);
}

TEST(TunnelHooksTest, NoCloseIntoAFrameInProgress) {
  WsModule ws;
  ASSERT_TRUE(ws.load("max_frame_size = 100\n")) << ws.error();
  MockStream s = valid_handshake();
  void* ctx = nullptr;
  ASSERT_EQ(ws.request(&s, &ctx), GANTRY_CONTINUE);
  // The server is halfway through sending a frame to the client.
  std::string half = ws_frame(2, std::string(80, 'y'));
  EXPECT_EQ(ws.tunnel(&s, ctx, kOut, half.substr(0, 40)), GANTRY_CONTINUE);
  EXPECT_EQ(ws.tunnel(&s, ctx, kIn, ws_frame(2, std::string(101, 'x'), true, true)), GANTRY_CLOSE);
  EXPECT_TRUE(s.tunnel_sent.empty()) << "a Close there would corrupt the frame the client receives";
  EXPECT_EQ(s.note("ws_cut"), "1009");
  ws.end(&s, ctx);
}

TEST(TunnelHooksTest, MessageLimitCutsWith1009) {
  WsModule ws;
  ASSERT_TRUE(ws.load("max_message_size = 100\ncount_messages = true\n")) << ws.error();
  MockStream s = valid_handshake();
  void* ctx = nullptr;
  ASSERT_EQ(ws.request(&s, &ctx), GANTRY_CONTINUE);
  EXPECT_EQ(ws.tunnel(&s, ctx, kOut, ws_frame(1, std::string(60, 'a'), false)), GANTRY_CONTINUE);
  EXPECT_EQ(ws.tunnel(&s, ctx, kOut, ws_frame(0, std::string(60, 'a'), true)), GANTRY_CLOSE);
  EXPECT_EQ(s.note("ws_cut"), "1009");
  EXPECT_EQ(s.note("ws_cut_reason"), "message_too_big");
  EXPECT_EQ(s.note("ws_cut_dir"), "out");
  EXPECT_EQ(s.note("ws_msgs_out"), "0");
  ws.end(&s, ctx);
}

TEST(TunnelHooksTest, GarbageInAFrameAwareTunnelIs1002) {
  WsModule ws;
  ASSERT_TRUE(ws.load("max_frame_size = \"1m\"\n")) << ws.error();
  MockStream s = valid_handshake();
  void* ctx = nullptr;
  ASSERT_EQ(ws.request(&s, &ctx), GANTRY_CONTINUE);
  EXPECT_EQ(ws.tunnel(&s, ctx, kIn, ws_frame(0, "continuation first", true, true)), GANTRY_CLOSE);
  EXPECT_EQ(s.note("ws_cut"), "1002");
  EXPECT_EQ(s.note("ws_cut_reason"), "protocol_error");
  ws.end(&s, ctx);
}

TEST(TunnelHooksTest, RefusedHandshakeAllocatesNothing) {
  WsModule ws;
  ASSERT_TRUE(ws.load("count_messages = true\n")) << ws.error();
  MockStream s = valid_handshake();
  s.method = "POST";
  void* ctx = nullptr;
  EXPECT_EQ(ws.request(&s, &ctx), GANTRY_DONE);
  EXPECT_EQ(ctx, nullptr);
}

}  // namespace
}  // namespace gantry::websocket_test
