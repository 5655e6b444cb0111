// The frame reader alone: frames in any split, fragmentation, control frames,
// limits, and the errors that mean it lost sync.
#include "frame_tracker.h"

#include <gtest/gtest.h>

#include <string>

#include "ws_test_support.h"

namespace gantry::websocket {
namespace {

using test::ws_frame;

constexpr uint8_t kText = 1, kBinary = 2, kCont = 0, kClose = 8, kPing = 9, kPong = 10;

FrameVerdict feed(FrameTracker* t, const std::string& b, FrameLimits l = {}) {
  return t->feed(reinterpret_cast<const uint8_t*>(b.data()), b.size(), l);
}

std::string close_frame(uint16_t code, bool masked) {
  std::string p;
  p += static_cast<char>(code >> 8);
  p += static_cast<char>(code & 0xff);
  p += "bye";
  return ws_frame(kClose, p, true, masked);
}

TEST(FrameTrackerTest, CountsWholeMessages) {
  FrameTracker t;
  std::string wire = ws_frame(kText, "hello") + ws_frame(kBinary, std::string(300, 'x')) +
                     ws_frame(kBinary, std::string(70000, 'y'));
  EXPECT_EQ(feed(&t, wire), FrameVerdict::kOk);
  EXPECT_EQ(t.messages(), 3u);
  EXPECT_EQ(t.frames(), 3u);
}

TEST(FrameTrackerTest, SameResultWhateverTheSplit) {
  // Headers of every length (2, 4, 10 bytes, masked or not) cut at every byte.
  std::string wire = ws_frame(kText, "a", true, true) + ws_frame(kBinary, std::string(200, 'b'), true) +
                     ws_frame(kBinary, std::string(65536, 'c'), true, true) +
                     ws_frame(kText, "", true) + close_frame(1001, true);
  for (size_t cut = 0; cut <= wire.size(); cut += (cut < 300 ? 1 : 997)) {
    FrameTracker t;
    ASSERT_EQ(feed(&t, wire.substr(0, cut)), FrameVerdict::kOk) << cut;
    ASSERT_EQ(feed(&t, wire.substr(cut)), FrameVerdict::kOk) << cut;
    EXPECT_EQ(t.messages(), 4u) << cut;
    EXPECT_TRUE(t.close_seen()) << cut;
    EXPECT_EQ(t.close_code(), 1001) << cut;
  }
  FrameTracker bytewise;
  for (char c : wire) ASSERT_EQ(feed(&bytewise, std::string(1, c)), FrameVerdict::kOk);
  EXPECT_EQ(bytewise.messages(), 4u);
  EXPECT_EQ(bytewise.close_code(), 1001);
}

TEST(FrameTrackerTest, FragmentedMessageWithControlFramesBetween) {
  FrameTracker t;
  std::string wire = ws_frame(kText, "part1", false) + ws_frame(kPing, "p") +
                     ws_frame(kCont, "part2", false) + ws_frame(kPong, "") + ws_frame(kCont, "end", true);
  EXPECT_EQ(feed(&t, wire), FrameVerdict::kOk);
  EXPECT_EQ(t.messages(), 1u);
  EXPECT_EQ(t.frames(), 5u);
}

TEST(FrameTrackerTest, CloseCodeMaskedAndUnmasked) {
  FrameTracker client, server, empty;
  feed(&client, close_frame(1000, true));
  feed(&server, close_frame(4001, false));
  feed(&empty, ws_frame(kClose, ""));
  EXPECT_EQ(client.close_code(), 1000);
  EXPECT_EQ(server.close_code(), 4001);
  EXPECT_TRUE(empty.close_seen());
  EXPECT_EQ(empty.close_code(), 1005);  // "no status code present"
}

TEST(FrameTrackerTest, FrameLimitIsCheckedOnTheHeader) {
  FrameLimits l;
  l.max_frame = 1024;
  FrameTracker ok, big;
  EXPECT_EQ(feed(&ok, ws_frame(kBinary, std::string(1024, 'x')), l), FrameVerdict::kOk);
  // Only the header of the oversized frame is needed to refuse it.
  std::string over = ws_frame(kBinary, std::string(1025, 'x'), true, true);
  EXPECT_EQ(feed(&big, over.substr(0, 8), l), FrameVerdict::kFrameTooBig);
  EXPECT_EQ(feed(&big, ws_frame(kText, "later"), l), FrameVerdict::kFrameTooBig);  // sticky
}

TEST(FrameTrackerTest, MessageLimitAddsFragments) {
  FrameLimits l;
  l.max_message = 10;
  FrameTracker t;
  EXPECT_EQ(feed(&t, ws_frame(kText, "12345", false), l), FrameVerdict::kOk);
  EXPECT_EQ(feed(&t, ws_frame(kCont, "12345", false), l), FrameVerdict::kOk);
  EXPECT_EQ(feed(&t, ws_frame(kCont, "1", true), l), FrameVerdict::kMessageTooBig);
  // A new message starts from zero, and control frames do not count.
  FrameTracker u;
  EXPECT_EQ(feed(&u, ws_frame(kText, "1234567890") + ws_frame(kPing, std::string(100, 'p')) +
                         ws_frame(kText, "1234567890"),
                 l),
            FrameVerdict::kOk);
  EXPECT_EQ(u.messages(), 2u);
}

TEST(FrameTrackerTest, ProtocolErrors) {
  FrameTracker cont_first, nested, long_ping, split_ping, reserved, reserved_control, huge;
  EXPECT_EQ(feed(&cont_first, ws_frame(kCont, "x")), FrameVerdict::kProtocolError);
  EXPECT_EQ(feed(&nested, ws_frame(kText, "a", false) + ws_frame(kText, "b")),
            FrameVerdict::kProtocolError);
  EXPECT_EQ(feed(&long_ping, ws_frame(kPing, std::string(126, 'p'))), FrameVerdict::kProtocolError);
  EXPECT_EQ(feed(&split_ping, ws_frame(kPing, "p", false)), FrameVerdict::kProtocolError);
  EXPECT_EQ(feed(&reserved, ws_frame(3, "x")), FrameVerdict::kProtocolError);
  // 0xB-0xF are reserved control opcodes (RFC 6455 5.2).
  EXPECT_EQ(feed(&reserved_control, ws_frame(0xb, "x")), FrameVerdict::kProtocolError);
  std::string top_bit = std::string("\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x01", 10);
  EXPECT_EQ(feed(&huge, top_bit), FrameVerdict::kProtocolError);
}

TEST(FrameTrackerTest, SixtyFourBitLengthsAreSkippedNotBuffered) {
  // A 5 GB frame announced, then fed as 1 MiB pieces of nothing in particular:
  // the tracker only counts, so this is cheap and the message completes.
  FrameTracker t;
  uint64_t len = 5ull << 30;
  std::string h = "\x82\x7f";
  for (int i = 7; i >= 0; --i) h += static_cast<char>((len >> (8 * i)) & 0xff);
  ASSERT_EQ(feed(&t, h), FrameVerdict::kOk);
  std::string chunk(1 << 20, '\0');
  for (uint64_t done = 0; done < len; done += chunk.size())
    ASSERT_EQ(feed(&t, chunk), FrameVerdict::kOk);
  EXPECT_EQ(t.messages(), 1u);
}

}  // namespace
}  // namespace gantry::websocket
