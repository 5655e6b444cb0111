#pragma once
// The request as it goes to a server: its head serialized once (kept to be
// sent again on a new connection), body bytes that arrive before there is a
// connection to take them, and the body's chunk framing.
#include <cstddef>
#include <string>

#include "net/conn.h"

namespace gantry::exchange {

class RequestForwarder {
 public:
  // How far the request got on the current connection.
  enum class Progress : uint8_t {
    kNone,  // nothing written yet (no connection, or a fresh one)
    kHead,  // the head is on the wire
    kBody,  // body bytes are on the wire: the request can no longer be replayed
  };

  std::string& head_wire() { return head_; }
  void set_chunked(bool chunked) { chunked_ = chunked; }
  Progress progress() const { return progress_; }
  bool body_on_wire() const { return progress_ == Progress::kBody; }
  // The request can be sent again whole: no body byte went out, or all that
  // went out is still in the replay buffer.
  bool replayable() const { return progress_ != Progress::kBody || !replay_overflowed_; }
  // Body bytes sent are kept, up to `limit`, for a retry (`retry_buffer`).
  void set_replay_limit(size_t limit) { replay_limit_ = limit; }
  // Bytes a new connection would get at once (what connect hooks are told).
  size_t ready_bytes() const {
    return (progress_ == Progress::kNone ? head_.size() : 0) + pending_.size();
  }

  // A connection is up: send the head and whatever body is waiting. These
  // return true when the caller should stop reading the client (the
  // connection's queue, or the waiting body, is over the high watermark).
  bool start(net::Conn* c);
  // Body bytes (already de-chunked by the client side); `c` may be null or
  // still connecting, and then they wait.
  bool body(net::Conn* c, const char* p, size_t n);
  bool end(net::Conn* c);
  // The connection is gone before any response: a new one starts from the
  // head, and the body already sent goes again from the replay buffer.
  void restart();
  // Ready for another request; the buffers keep their memory.
  void clear() {
    head_.clear();
    pending_.clear();
    replay_.clear();
    replay_overflowed_ = false;
    progress_ = Progress::kNone;
    chunked_ = false;
  }
  size_t capacity() const {
    return head_.capacity() + pending_.capacity() + replay_.capacity();
  }

 private:
  bool writable(net::Conn* c) const;
  // Body bytes (wire form) went out: keep them for a replay while they fit.
  void sent(const char* p, size_t n);

  std::string head_;
  std::string pending_;  // body bytes waiting for a connection
  std::string replay_;   // body bytes sent on this connection, for a retry
  size_t replay_limit_ = 0;
  bool replay_overflowed_ = false;  // more went out than replay_ holds: no retry
  Progress progress_ = Progress::kNone;
  bool chunked_ = false;  // set once from the request's framing
};

}  // namespace gantry::exchange
