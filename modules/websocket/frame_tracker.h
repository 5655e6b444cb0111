#pragma once
// Incremental RFC 6455 frame-header reader for one direction of a tunnel.
// It sees the relayed bytes in place, in whatever pieces the sockets deliver,
// and keeps only the current frame header (at most 14 bytes) and a few
// counters: payloads are skipped by count, never copied or reassembled.
#include <cstddef>
#include <cstdint>

namespace gantry::websocket {

struct FrameLimits {
  uint64_t max_frame = 0;    // largest payload of one frame; 0 = no limit
  uint64_t max_message = 0;  // largest sum of a message's frame payloads; 0 = no limit
};

enum class FrameVerdict : uint8_t {
  kOk = 0,
  kFrameTooBig,    // a frame header announced more than max_frame
  kMessageTooBig,  // a message grew past max_message
  kProtocolError,  // not a valid frame sequence: the reader lost sync
};

class FrameTracker {
 public:
  // Consumes the next `n` bytes of this direction. Once a verdict other than
  // kOk is returned the tracker stays in that state.
  FrameVerdict feed(const uint8_t* p, size_t n, const FrameLimits& limits);

  uint64_t messages() const { return messages_; }  // complete text/binary messages
  uint64_t frames() const { return frames_; }      // frame headers read, control frames too
  // The first Close frame seen in this direction (its code, 1005 if it had none).
  bool close_seen() const { return close_seen_; }
  uint16_t close_code() const { return close_code_; }
  FrameVerdict verdict() const { return verdict_; }
  // Between frames: a frame written into this direction now would not split
  // one the peer is in the middle of receiving.
  bool at_boundary() const {
    return verdict_ == FrameVerdict::kOk && header_have_ == 0 && payload_left_ == 0;
  }

 private:
  FrameVerdict start_frame(const FrameLimits& limits);
  void end_frame();
  void capture_close_code(const uint8_t* p, size_t n);

  uint64_t payload_left_ = 0;  // payload bytes of the current frame still to skip
  uint64_t payload_pos_ = 0;   // payload bytes of the current frame already skipped
  uint64_t message_size_ = 0;  // payload bytes of the message in progress
  uint64_t messages_ = 0;
  uint64_t frames_ = 0;
  uint8_t header_[14];         // the frame header being assembled
  uint8_t header_have_ = 0;    // bytes of header_ filled
  uint8_t opcode_ = 0;         // of the current frame
  bool fin_ = false;           // of the current frame
  bool in_message_ = false;    // a fragmented message awaits continuation frames
  bool close_seen_ = false;
  uint16_t close_code_ = 0;
  uint8_t close_bytes_[2];     // unmasked first payload bytes of a Close frame
  FrameVerdict verdict_ = FrameVerdict::kOk;
};

}  // namespace gantry::websocket
