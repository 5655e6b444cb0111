// libFuzzer target: the WebSocket frame tracker (modules/websocket), one per
// direction of a tunnel as the module keeps them, both under the same limits.
//
// Input: byte 0 picks max_frame, byte 1 max_message (from kLimits), bytes 2
// and 3 (big-endian) are how many of the remaining bytes form the
// client-to-server stream; the rest is the server-to-client stream. Each stream is fed in pieces, interleaved
// with the other direction, as a tunnel delivers reads. After every piece the
// tracker must report exactly what a whole-buffer reading of the bytes fed so
// far gives (verdict, frames, messages, close code): so a limit is enforced
// at the header of the offending frame, before any of its payload goes on,
// and no read boundary changes the outcome.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "frame_tracker.h"
#include "fuzz_support.h"

namespace gantry::fuzz {
namespace {

using websocket::FrameLimits;
using websocket::FrameTracker;
using websocket::FrameVerdict;

const bool kNamed = (set_target_name("ws_frame"), true);

const uint64_t kLimits[] = {0, 1, 125, 126, 127, 65535, 65536, 1u << 20};

struct Reading {
  FrameVerdict verdict = FrameVerdict::kOk;
  uint64_t frames = 0;
  uint64_t messages = 0;
  bool close_seen = false;
  uint16_t close_code = 0;
  bool at_boundary = true;  // the bytes end between frames
};

// RFC 6455 5.2-5.5 read from a whole buffer: the oracle the incremental
// tracker is held to.
Reading read_whole(const uint8_t* p, size_t n, const FrameLimits& limits) {
  Reading r;
  auto stop = [&r](FrameVerdict v) {
    r.verdict = v;
    return r;
  };
  bool in_message = false;
  uint64_t message_size = 0;
  size_t i = 0;
  while (i < n) {
    r.at_boundary = false;
    if (n - i < 2) break;
    uint8_t len7 = p[i + 1] & 0x7f;
    bool masked = (p[i + 1] & 0x80) != 0;
    size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    size_t header = 2 + ext + (masked ? 4 : 0);
    if (n - i < header) break;
    uint64_t len = len7;
    if (ext > 0) {
      len = 0;
      for (size_t k = 0; k < ext; ++k) len = (len << 8) | p[i + 2 + k];
    }
    if (len >> 63) return stop(FrameVerdict::kProtocolError);  // the top bit must be 0
    ++r.frames;
    bool fin = (p[i] & 0x80) != 0;
    uint8_t opcode = p[i] & 0x0f;
    bool control = (opcode & 0x8) != 0;
    if (control) {
      if (!fin || len > 125 || opcode > 0xa) return stop(FrameVerdict::kProtocolError);
    } else if (opcode == 0) {
      if (!in_message) return stop(FrameVerdict::kProtocolError);
    } else if (opcode <= 2) {
      if (in_message) return stop(FrameVerdict::kProtocolError);
      in_message = true;
      message_size = 0;
    } else {
      return stop(FrameVerdict::kProtocolError);
    }
    if (limits.max_frame != 0 && len > limits.max_frame) return stop(FrameVerdict::kFrameTooBig);
    if (!control) {
      message_size += len;
      if (limits.max_message != 0 && message_size > limits.max_message)
        return stop(FrameVerdict::kMessageTooBig);
    }
    if (len > n - i - header) break;  // payload not all here yet
    if (opcode == 0x8 && !r.close_seen) {
      r.close_seen = true;
      r.close_code = 1005;  // no status code in the frame
      if (len >= 2) {
        const uint8_t* key = p + i + header - 4;
        uint8_t b0 = p[i + header] ^ (masked ? key[0] : 0);
        uint8_t b1 = p[i + header + 1] ^ (masked ? key[1] : 0);
        r.close_code = static_cast<uint16_t>(b0 << 8 | b1);
      }
    }
    if (!control && fin) {
      ++r.messages;
      in_message = false;
    }
    i += header + static_cast<size_t>(len);
    r.at_boundary = true;
  }
  return r;
}

void expect_same(const FrameTracker& t, const Reading& r) {
  GANTRY_FUZZ_CHECK(t.verdict() == r.verdict);
  GANTRY_FUZZ_CHECK(t.frames() == r.frames);
  GANTRY_FUZZ_CHECK(t.messages() == r.messages);
  GANTRY_FUZZ_CHECK(t.close_seen() == r.close_seen);
  if (r.close_seen) GANTRY_FUZZ_CHECK(t.close_code() == r.close_code);
}

struct Direction {
  const uint8_t* data;
  size_t size;
  size_t fed = 0;
  size_t cuts[4];  // where each of the pieces ends
  FrameTracker tracker;
};

}  // namespace
}  // namespace gantry::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gantry::fuzz;
  if (size < 4) {
    report_verdict(Verdict::kNone);  // no limits and streams to read
    return 0;
  }
  FrameLimits limits;
  limits.max_frame = kLimits[data[0] % 8];
  limits.max_message = kLimits[data[1] % 8];
  const uint8_t* rest = data + 4;
  size_t n = size - 4;
  size_t split = std::min<size_t>(n, size_t{data[2]} << 8 | data[3]);
  Direction dirs[2] = {{rest, split, 0, {}, {}}, {rest + split, n - split, 0, {}, {}}};
  for (uint32_t d = 0; d < 2; ++d) {
    for (uint32_t k = 0; k < 3; ++k) dirs[d].cuts[k] = split_point(dirs[d].data, dirs[d].size, d * 4 + k + 1);
    dirs[d].cuts[3] = dirs[d].size;
    std::sort(dirs[d].cuts, dirs[d].cuts + 4);
  }
  // One piece of each direction in turn, as a busy tunnel relays them.
  for (int piece = 0; piece < 4; ++piece) {
    for (Direction& dir : dirs) {
      size_t end = dir.cuts[piece];
      if (end > dir.fed) {
        FrameVerdict before = dir.tracker.verdict();
        FrameVerdict v = dir.tracker.feed(dir.data + dir.fed, end - dir.fed, limits);
        GANTRY_FUZZ_CHECK(v == dir.tracker.verdict());
        // A verdict other than kOk is final.
        if (before != FrameVerdict::kOk) GANTRY_FUZZ_CHECK(v == before);
        dir.fed = end;
      }
      expect_same(dir.tracker, read_whole(dir.data, dir.fed, limits));
    }
  }
  Verdict verdict = Verdict::kAccepted;
  for (const Direction& dir : dirs) {
    Reading r = read_whole(dir.data, dir.size, limits);
    if (r.verdict != FrameVerdict::kOk) {
      verdict = Verdict::kRejected;
      break;
    }
    if (!r.at_boundary) verdict = Verdict::kIncomplete;
  }
  report_verdict(verdict);
  return 0;
}
