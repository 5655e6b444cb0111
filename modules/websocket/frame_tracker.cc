#include "frame_tracker.h"

namespace gantry::websocket {
namespace {

constexpr uint8_t kOpContinuation = 0x0;
constexpr uint8_t kOpText = 0x1;
constexpr uint8_t kOpBinary = 0x2;
constexpr uint8_t kOpClose = 0x8;
constexpr uint8_t kOpPong = 0xA;

// Header length once the first two bytes are known: 2, plus the extended
// length (2 or 8 bytes), plus the masking key (4 bytes) when masked.
size_t header_length(const uint8_t* h) {
  uint8_t len7 = h[1] & 0x7f;
  size_t n = 2;
  if (len7 == 126) n += 2;
  if (len7 == 127) n += 8;
  if (h[1] & 0x80) n += 4;
  return n;
}

}  // namespace

FrameVerdict FrameTracker::feed(const uint8_t* p, size_t n, const FrameLimits& limits) {
  while (n > 0 && verdict_ == FrameVerdict::kOk) {
    if (payload_left_ > 0) {
      size_t take = payload_left_ < n ? static_cast<size_t>(payload_left_) : n;
      if (opcode_ == kOpClose && payload_pos_ < 2) capture_close_code(p, take);
      payload_left_ -= take;
      payload_pos_ += take;
      p += take;
      n -= take;
      if (payload_left_ == 0) end_frame();
      continue;
    }
    // Assemble the header byte by byte until its length is known and filled;
    // a header split across reads is the rare case, so simplicity wins.
    header_[header_have_++] = *p++;
    --n;
    if (header_have_ < 2 || header_have_ < header_length(header_)) continue;
    verdict_ = start_frame(limits);
  }
  return verdict_;
}

FrameVerdict FrameTracker::start_frame(const FrameLimits& limits) {
  const uint8_t* h = header_;
  fin_ = (h[0] & 0x80) != 0;
  opcode_ = h[0] & 0x0f;
  uint64_t len = h[1] & 0x7f;
  if (len == 126) {
    len = (uint64_t{h[2]} << 8) | h[3];
  } else if (len == 127) {
    len = 0;
    for (int i = 2; i < 10; ++i) len = (len << 8) | h[i];
    if (len >> 63) return FrameVerdict::kProtocolError;  // the top bit must be 0
  }
  header_have_ = 0;
  payload_left_ = len;
  payload_pos_ = 0;
  ++frames_;
  bool control = (opcode_ & 0x8) != 0;
  if (control) {
    // Control frames are never fragmented and carry at most 125 bytes;
    // 0xB-0xF are reserved (RFC 6455 5.2).
    if (!fin_ || len > 125 || opcode_ > kOpPong) return FrameVerdict::kProtocolError;
  } else {
    if (opcode_ == kOpContinuation) {
      if (!in_message_) return FrameVerdict::kProtocolError;
    } else if (opcode_ == kOpText || opcode_ == kOpBinary) {
      if (in_message_) return FrameVerdict::kProtocolError;
      in_message_ = true;
      message_size_ = 0;
    } else {
      return FrameVerdict::kProtocolError;  // reserved data opcode
    }
  }
  if (limits.max_frame != 0 && len > limits.max_frame) return FrameVerdict::kFrameTooBig;
  if (!control) {
    message_size_ += len;
    if (limits.max_message != 0 && message_size_ > limits.max_message)
      return FrameVerdict::kMessageTooBig;
  }
  if (len == 0) end_frame();
  return FrameVerdict::kOk;
}

void FrameTracker::end_frame() {
  if (opcode_ == kOpClose && !close_seen_) {
    close_seen_ = true;
    // A Close frame without a body means "no status code" (1005).
    close_code_ = payload_pos_ >= 2 ? static_cast<uint16_t>(close_bytes_[0] << 8 | close_bytes_[1])
                                    : 1005;
  }
  if ((opcode_ & 0x8) == 0 && fin_) {
    ++messages_;
    in_message_ = false;
    message_size_ = 0;
  }
}

// The status code is the first two payload bytes, masked on the client side
// by the key at header offset len-4 (the key always ends the header).
void FrameTracker::capture_close_code(const uint8_t* p, size_t n) {
  bool masked = (header_[1] & 0x80) != 0;
  size_t key_at = header_length(header_) - 4;
  for (size_t i = 0; i < n && payload_pos_ + i < 2; ++i) {
    size_t pos = static_cast<size_t>(payload_pos_) + i;
    uint8_t b = p[i];
    if (masked) b ^= header_[key_at + pos];
    close_bytes_[pos] = b;
  }
}

}  // namespace gantry::websocket
