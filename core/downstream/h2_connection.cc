#include "downstream/h2_connection.h"

#include <algorithm>

#include "downstream/h2_memory.h"
#include "downstream/h2_stream.h"
#include "loop/worker.h"
#include "util/log.h"

namespace gantry::downstream {
namespace {

// Frames are gathered up to this size before one write to the socket.
constexpr size_t kWriteBatch = 64 * 1024;
// A request whose header list is this many times over the limit is no
// longer a mistake: the connection ends (CONTINUATION flood).
constexpr uint64_t kHeaderAbuseFactor = 4;

H2Connection* self(void* ud) { return static_cast<H2Connection*>(ud); }

void close_handle(uv_handle_t* h) {
  h->data = nullptr;
  uv_close(h, [](uv_handle_t* x) { delete reinterpret_cast<uv_check_t*>(x); });
}

}  // namespace

H2Connection::H2Connection(H2Owner* owner, net::Conn* conn, runtime::WorkerContext& wc,
                           std::shared_ptr<const runtime::Snapshot> snap,
                           const exchange::ClientFacts& facts)
    : owner_(owner), conn_(conn), wc_(wc), snap_(std::move(snap)), facts_(facts) {}

H2Connection::~H2Connection() {
  for (auto& [id, s] : streams_) s->on_connection_gone();
  streams_.clear();  // exchanges go while the connection's facts are still here
  if (check_ != nullptr) {
    uv_check_stop(check_);
    close_handle(reinterpret_cast<uv_handle_t*>(check_));
  }
  if (session_ != nullptr) nghttp2_session_del(session_);
}

bool H2Connection::start() {
  nghttp2_session_callbacks* cb = nullptr;
  if (nghttp2_session_callbacks_new(&cb) != 0) return false;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb, on_invalid_frame);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  // Request windows move only as exchanges take the bytes (back-pressure).
  nghttp2_option_set_no_auto_window_update(opt, 1);
  // Bounded queues of frames the client makes us send (SETTINGS ACK, PING
  // ACK) and of settings per frame.
  nghttp2_option_set_max_outbound_ack(opt, 1000);
  nghttp2_option_set_max_settings(opt, 32);
  // Closed streams are kept only for the RFC 7540 priority tree, which
  // RFC 9113 deprecates; an idle connection then holds no stream at all.
  nghttp2_option_set_no_closed_streams(opt, 1);
  const config::Http2& h = snap_->cfg->http2;
  nghttp2_option_set_max_send_header_block_length(opt, 64 * 1024);
  int rv = nghttp2_session_server_new3(&session_, cb, this, opt, h2_memory());
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);
  if (rv != 0) return false;
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, h.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(h.initial_window_size)},
      {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, static_cast<uint32_t>(h.max_frame_size)},
      {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, static_cast<uint32_t>(h.header_table_size)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(h.max_header_list_size)},
  };
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]) != 0)
    return false;
  // The connection's window: room for every stream's, up to 16 MiB.
  uint64_t conn_window = std::min<uint64_t>(
      static_cast<uint64_t>(h.max_concurrent_streams) * h.initial_window_size, 16u << 20);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        static_cast<int32_t>(std::max<uint64_t>(conn_window, 65535)));
  check_ = new uv_check_t;
  uv_check_init(conn_->worker()->loop(), check_);
  check_->data = this;
  owner_->h2_arm(h.idle_timeout);
  schedule();
  return true;
}

void H2Connection::schedule() {
  if (scheduled_ || check_ == nullptr || state_ == State::kDone) return;
  scheduled_ = true;
  uv_check_start(check_, on_check);
}

void H2Connection::on_check(uv_check_t* h) {
  auto* c = static_cast<H2Connection*>(h->data);
  uv_check_stop(h);
  if (c == nullptr) return;
  c->scheduled_ = false;
  c->process();
}

void H2Connection::on_data(const char* p, size_t n) {
  if (state_ == State::kDone) return;
  ssize_t r = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(p), n);
  if (r < 0) {
    send_output();  // the GOAWAY nghttp2 queued, if it could
    fail(nghttp2_strerror(static_cast<int>(r)));
    return;
  }
  process();
}

void H2Connection::process() {
  if (in_process_ || state_ == State::kDone) return;
  in_process_ = true;
  send_output();
  // Room again in the socket or a window: exchanges that stopped reading
  // their servers go on (and may queue more, for the next round).
  for (auto& [id, s] : streams_) s->maybe_resume_upstream();
  reap();
  in_process_ = false;
  if (state_ == State::kDone) return;
  bool over = !nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_);
  if (state_ == State::kDraining && streams_.empty() && !nghttp2_session_want_write(session_))
    over = true;
  if (over) {
    state_ = State::kDone;
    owner_->h2_finished();
    return;
  }
  owner_->h2_arm(streams_.empty() ? snap_->cfg->http2.idle_timeout : 0);
}

void H2Connection::send_output() {
  std::string& out = wc_.h2_batch;
  out.clear();
  for (;;) {
    if (conn_->above_high_water()) break;  // on_drained() comes back here
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      fail(nghttp2_strerror(static_cast<int>(n)));
      return;
    }
    if (n == 0) break;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    if (out.size() >= kWriteBatch) {
      conn_->write(out.data(), out.size());
      out.clear();
    }
  }
  if (!out.empty()) {
    conn_->write(out.data(), out.size());
    out.clear();
  }
}

void H2Connection::reap() {
  for (auto it = streams_.begin(); it != streams_.end();) {
    if (it->second->finished()) {
      it = streams_.erase(it);
    } else {
      ++it;
    }
  }
}

H2Stream* H2Connection::stream(int32_t id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

bool H2Connection::over_budget() const {
  return conn_->above_high_water() || buffered() > snap_->cfg->http2.max_buffered;
}

void H2Connection::refuse_stream(int32_t id, uint32_t error_code) {
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, error_code);
  schedule();
}

void H2Connection::on_eof() {
  if (state_ == State::kDone) return;
  state_ = State::kDone;
  for (auto& [id, s] : streams_) s->on_connection_gone();
}

void H2Connection::on_timeout() {
  if (state_ == State::kDone) return;
  if (!streams_.empty()) return;  // streams keep their own deadlines
  GLOG_DEBUG("conn %llu: HTTP/2 idle timeout", static_cast<unsigned long long>(conn_->id()));
  drain();
  process();
}

void H2Connection::drain() {
  if (state_ != State::kOpen) return;
  state_ = State::kDraining;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  schedule();
}

void H2Connection::calm_down(const char* what) {
  GLOG_WARN("conn %llu from %s: HTTP/2 %s: GOAWAY ENHANCE_YOUR_CALM",
            static_cast<unsigned long long>(conn_->id()), std::string(facts_.address).c_str(),
            what);
  nghttp2_session_terminate_session(session_, NGHTTP2_ENHANCE_YOUR_CALM);
  if (state_ == State::kOpen) state_ = State::kDraining;
  schedule();
}

// One more PING, SETTINGS or empty DATA frame in this second: false once
// the client sends more than it could need.
bool H2Connection::count_control_frame() {
  uint64_t now = uv_now(conn_->worker()->loop());
  if (now - window_start_ms_ >= 1000) {
    window_start_ms_ = now;
    resets_in_window_ = 0;
    control_in_window_ = 0;
  }
  return ++control_in_window_ <= snap_->cfg->http2.max_control_frames_per_second;
}

void H2Connection::count_reset(const char* what) {
  count_control_frame();  // opens a new window if one is due
  --control_in_window_;
  if (++resets_in_window_ == snap_->cfg->http2.max_resets_per_second + 1) calm_down(what);
}

void H2Connection::fail(const char* why) {
  GLOG_DEBUG("conn %llu: HTTP/2 session ends: %s", static_cast<unsigned long long>(conn_->id()),
             why);
  if (state_ == State::kDone) return;
  state_ = State::kDone;
  for (auto& [id, s] : streams_) s->on_connection_gone();
  owner_->h2_finished();
}

// --- nghttp2 callbacks -----------------------------------------------------

int H2Connection::on_begin_headers(nghttp2_session*, const nghttp2_frame* f, void* ud) {
  H2Connection* c = self(ud);
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  if (c->state_ != State::kOpen) {
    c->refuse_stream(f->hd.stream_id, NGHTTP2_REFUSED_STREAM);
    return 0;
  }
  c->streams_.emplace(f->hd.stream_id, std::make_unique<H2Stream>(c, f->hd.stream_id));
  return 0;
}

int H2Connection::on_header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name,
                            size_t nlen, const uint8_t* value, size_t vlen, uint8_t, void* ud) {
  H2Connection* c = self(ud);
  H2Stream* s = c->stream(f->hd.stream_id);
  if (s == nullptr) return 0;
  std::string_view n(reinterpret_cast<const char*>(name), nlen);
  std::string_view v(reinterpret_cast<const char*>(value), vlen);
  if (!s->on_header(n, v)) {
    // Over max_header_list_size: 431 would need the rest of the block; the
    // stream is reset instead, and a flood ends the connection.
    if (s->header_bytes() > c->max_header_list_size() * kHeaderAbuseFactor) {
      c->calm_down("header list flood");
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  return 0;
}

int H2Connection::on_frame_recv(nghttp2_session*, const nghttp2_frame* f, void* ud) {
  H2Connection* c = self(ud);
  switch (f->hd.type) {
    case NGHTTP2_HEADERS: {
      H2Stream* s = c->stream(f->hd.stream_id);
      if (s == nullptr) return 0;
      bool end = (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
      if (f->headers.cat == NGHTTP2_HCAT_REQUEST) {
        ++c->requests_;
        s->on_headers_end(end);
        uint32_t max = c->snap_->cfg->http2.max_requests_per_connection;
        if (max != 0 && c->requests_ >= max) c->drain();
      } else if (end) {
        s->on_request_end();  // after trailers
      }
      return 0;
    }
    case NGHTTP2_DATA: {
      if (f->hd.length == 0 && (f->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0 &&
          !c->count_control_frame()) {
        c->calm_down("empty DATA frame flood");
        return 0;
      }
      if ((f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
        if (H2Stream* s = c->stream(f->hd.stream_id)) s->on_request_end();
      }
      return 0;
    }
    case NGHTTP2_RST_STREAM:
      c->count_reset("stream reset flood (Rapid Reset)");
      return 0;
    case NGHTTP2_PING:
    case NGHTTP2_SETTINGS:
      if ((f->hd.flags & NGHTTP2_FLAG_ACK) == 0 && !c->count_control_frame())
        c->calm_down(f->hd.type == NGHTTP2_PING ? "PING flood" : "SETTINGS flood");
      return 0;
    case NGHTTP2_WINDOW_UPDATE:
      c->schedule();  // streams that waited for the window may send
      return 0;
    default:
      return 0;
  }
}

int H2Connection::on_data_chunk(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data,
                                size_t len, void* ud) {
  H2Connection* c = self(ud);
  if (H2Stream* s = c->stream(id)) {
    s->on_data(data, len);
  } else {
    nghttp2_session_consume(c->session_, id, len);
  }
  return 0;
}

// Streams we reset because the client broke the protocol on them cost the
// backend work the client never waits for (MadeYouReset, CVE-2025-8671;
// Debian's nghttp2 1.52 has no limit of its own for these).
int H2Connection::on_frame_send(nghttp2_session*, const nghttp2_frame* f, void* ud) {
  H2Connection* c = self(ud);
  if (f->hd.type == NGHTTP2_RST_STREAM && f->rst_stream.error_code != NGHTTP2_NO_ERROR)
    c->count_reset("flood of streams reset for protocol errors (MadeYouReset)");
  if ((f->hd.type == NGHTTP2_DATA || f->hd.type == NGHTTP2_HEADERS) &&
      (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
    if (H2Stream* s = c->stream(f->hd.stream_id)) s->on_response_sent();
  }
  return 0;
}

int H2Connection::on_invalid_frame(nghttp2_session*, const nghttp2_frame*, int, void* ud) {
  self(ud)->count_reset("flood of invalid frames");
  return 0;
}

int H2Connection::on_stream_close(nghttp2_session*, int32_t id, uint32_t error_code, void* ud) {
  H2Connection* c = self(ud);
  if (H2Stream* s = c->stream(id)) s->on_closed(error_code);
  c->schedule();
  return 0;
}

}  // namespace gantry::downstream
