#include "exchange/request_forwarder.h"

#include "http/serializer.h"

namespace gantry::exchange {

bool RequestForwarder::writable(net::Conn* c) const {
  return c != nullptr && progress_ != Progress::kNone && pending_.empty();
}

void RequestForwarder::sent(const char* p, size_t n) {
  if (replay_overflowed_) return;
  if (replay_.size() + n > replay_limit_) {
    replay_overflowed_ = true;
    std::string().swap(replay_);
    return;
  }
  replay_.append(p, n);
}

void RequestForwarder::restart() {
  if (progress_ == Progress::kBody && !replay_overflowed_) {
    replay_.append(pending_);
    pending_.swap(replay_);
    replay_.clear();
  }
  progress_ = Progress::kNone;
}

bool RequestForwarder::start(net::Conn* c) {
  if (progress_ == Progress::kNone) {
    if (pending_.empty()) {
      c->write(head_.data(), head_.size());
      progress_ = Progress::kHead;
    } else {
      uv_buf_t bufs[2] = {uv_buf_init(head_.data(), static_cast<unsigned>(head_.size())),
                          uv_buf_init(pending_.data(), static_cast<unsigned>(pending_.size()))};
      c->writev(bufs, 2);
      progress_ = Progress::kBody;
      sent(pending_.data(), pending_.size());
      pending_.clear();
    }
  } else if (!pending_.empty()) {
    c->write(pending_.data(), pending_.size());
    progress_ = Progress::kBody;
    sent(pending_.data(), pending_.size());
    pending_.clear();
  }
  return c->above_high_water();
}

bool RequestForwarder::body(net::Conn* c, const char* p, size_t n) {
  char line[http::kChunkLineMax];
  size_t line_len = chunked_ ? http::write_chunk_line(n, line) : 0;
  if (writable(c)) {
    progress_ = Progress::kBody;
    if (chunked_) {
      uv_buf_t bufs[3] = {uv_buf_init(line, static_cast<unsigned>(line_len)),
                          uv_buf_init(const_cast<char*>(p), static_cast<unsigned>(n)),
                          uv_buf_init(const_cast<char*>("\r\n"), 2)};
      c->writev(bufs, 3);
      sent(line, line_len);
      sent(p, n);
      sent("\r\n", 2);
    } else {
      c->write(p, n);
      sent(p, n);
    }
    return c->above_high_water();
  }
  if (chunked_) pending_.append(line, line_len);
  pending_.append(p, n);
  if (chunked_) pending_.append("\r\n");
  return pending_.size() > net::Conn::kHighWater;
}

bool RequestForwarder::end(net::Conn* c) {
  if (!chunked_) return false;
  const std::string_view last = http::kLastChunk;
  if (writable(c)) {
    progress_ = Progress::kBody;
    c->write(last.data(), last.size());
    sent(last.data(), last.size());
    return c->above_high_water();
  }
  pending_.append(last);
  return false;
}

}  // namespace gantry::exchange
