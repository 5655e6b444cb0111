#include "harness/recording_backend.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "harness/body_pattern.h"
#include "harness/loopback_server.h"
#include "harness/message_reader.h"

namespace gantry::itest {

using std::chrono::milliseconds;

RecordingBackend::RecordingBackend(std::string label) : label_(std::move(label)) {
  ScriptedResponse def;
  def.body = label_;
  set_response(def);
}

RecordingBackend::~RecordingBackend() { stop(); }

bool RecordingBackend::start() {
  listen_fd_ = listen_on_loopback(&port_, 512);
  if (listen_fd_ < 0) return false;
  acceptor_ = std::thread([this] { accept_loop(); });
  return true;
}

void RecordingBackend::stop() {
  if (stop_.exchange(true)) return;
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

void RecordingBackend::set_response(ScriptedResponse response) {
  set_handler([response](const RecordedRequest&) { return response; });
}

void RecordingBackend::set_handler(ResponseHandler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  handler_ = std::move(handler);
}

std::vector<RecordedRequest> RecordingBackend::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

size_t RecordingBackend::request_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_.size();
}

size_t RecordingBackend::complete_request_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return complete_;
}

size_t RecordingBackend::connection_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connections_;
}

size_t RecordingBackend::open_connection_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_;
}

std::string RecordingBackend::raw_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string all;
  for (const auto& r : raw_) all += r;
  return all;
}

std::vector<std::string> RecordingBackend::errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return errors_;
}

size_t RecordingBackend::aborted_request_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return aborted_;
}

std::string RecordingBackend::bytes_after_close() const {
  std::lock_guard<std::mutex> lock(mu_);
  return after_close_;
}

bool RecordingBackend::wait_for_requests(size_t n, milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

bool RecordingBackend::wait_for_complete_requests(size_t n, milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return complete_ >= n; });
}

void RecordingBackend::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.clear();
  errors_.clear();
  for (auto& r : raw_) r.clear();
  connections_ = 0;
  complete_ = 0;
  aborted_ = 0;
  after_close_.clear();
}

void RecordingBackend::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::lock_guard<std::mutex> lock(mu_);
    ++connections_;
    ++open_;
    raw_.emplace_back();
    size_t id = raw_.size();
    threads_.emplace_back([this, fd, id] { serve(fd, id); });
    cv_.notify_all();
  }
}

void RecordingBackend::note_raw(size_t conn_id, const char* data, size_t len) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string& r = raw_[conn_id - 1];
  size_t room = raw_limit_ > r.size() ? raw_limit_ - r.size() : 0;
  r.append(data, len < room ? len : room);
}

void RecordingBackend::serve(int fd, size_t conn_id) {
  MessageReader reader(MessageReader::Kind::kRequest);
  std::vector<char> buf(256 * 1024);
  size_t index = SIZE_MAX;  // requests_ slot of the message being read
  bool eof = false;
  bool open = true;
  while (open && !stop_) {
    pollfd p{fd, POLLIN, 0};
    int pr = ::poll(&p, 1, 50);
    if (pr < 0 && errno != EINTR) break;
    if (pr <= 0) continue;
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      eof = true;
    } else {
      note_raw(conn_id, buf.data(), static_cast<size_t>(n));
      reader.append(std::string_view(buf.data(), static_cast<size_t>(n)));
    }
    while (open) {
      if (eof && reader.idle()) {
        open = false;
        break;
      }
      auto s = reader.step(eof);
      if (s == MessageReader::Step::kNeedMore) break;
      if (s == MessageReader::Step::kHead) {
        RecordedRequest r;
        static_cast<HttpMessage&>(r) = reader.message();
        r.connection = conn_id;
        std::lock_guard<std::mutex> lock(mu_);
        index = requests_.size();
        requests_.push_back(std::move(r));
        cv_.notify_all();
        continue;
      }
      if (s == MessageReader::Step::kError) {
        std::lock_guard<std::mutex> lock(mu_);
        if (eof && reader.error().find("closed") != std::string::npos && index != SIZE_MAX) {
          ++aborted_;  // the proxy gave up on a request mid-body
        } else {
          errors_.push_back("connection " + std::to_string(conn_id) + ": " + reader.error());
        }
        cv_.notify_all();
        open = false;
        break;
      }
      // A complete message: the head was recorded already unless it had no body.
      RecordedRequest r;
      static_cast<HttpMessage&>(r) = reader.take();
      r.connection = conn_id;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (index != SIZE_MAX && index < requests_.size()) {
          requests_[index] = r;
        } else {
          requests_.push_back(r);
        }
        index = SIZE_MAX;
        ++complete_;
        cv_.notify_all();
      }
      bool keep_open = true;
      bool hold_open = false;
      if (!respond(fd, r, &keep_open, &hold_open) || !keep_open) open = false;
      if (hold_open) {
        hold_until_peer_closes(fd, conn_id);
        eof = true;
      }
    }
    if (eof) open = false;
  }
  ::close(fd);
  std::lock_guard<std::mutex> lock(mu_);
  --open_;
  cv_.notify_all();
}

// After an answer that closed the connection: the socket stays open and
// anything the peer still sends is recorded, until it closes its side.
void RecordingBackend::hold_until_peer_closes(int fd, size_t conn_id) {
  char buf[16384];
  while (!stop_) {
    pollfd p{fd, POLLIN, 0};
    int pr = ::poll(&p, 1, 50);
    if (pr < 0 && errno != EINTR) return;
    if (pr <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return;
    note_raw(conn_id, buf, static_cast<size_t>(n));
    std::lock_guard<std::mutex> lock(mu_);
    after_close_.append(buf, static_cast<size_t>(n));
    cv_.notify_all();
  }
}

bool RecordingBackend::sleep_unless_stopped(milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (stop_) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return !stop_;
}

bool RecordingBackend::send_all(int fd, const char* data, size_t len) {
  return send_all_until_stopped(fd, data, len, stop_);
}

bool RecordingBackend::respond(int fd, const RecordedRequest& req, bool* keep_open,
                               bool* hold_open) {
  ResponseHandler handler;
  {
    std::lock_guard<std::mutex> lock(mu_);
    handler = handler_;
  }
  ScriptedResponse r = handler(req);
  if (r.delay.count() > 0 && !sleep_unless_stopped(r.delay)) return false;
  if (r.close_immediately) {
    *keep_open = false;
    return true;
  }
  bool close = r.close_after || r.omit_content_length ||
               iequals(req.header("Connection"), "close") || req.version == "HTTP/1.0";
  const uint64_t body_len = r.generated_body_size > 0 ? r.generated_body_size : r.body.size();
  const bool http10 = r.version == "HTTP/1.0";

  std::string head = r.version + " " + std::to_string(r.status) + " " +
                     (r.reason.empty() ? reason_phrase(r.status) : r.reason) + "\r\n";
  bool has_connection = false;
  bool says_keep_alive = false;
  for (const auto& h : r.headers) {
    head += h.first + ": " + h.second + "\r\n";
    if (iequals(h.first, "Connection")) {
      has_connection = true;
      says_keep_alive = to_lower(h.second).find("keep-alive") != std::string::npos;
    }
  }
  // HTTP/1.0 closes by default: no Connection header needed to say so.
  if (http10 && !says_keep_alive) close = true;
  bool bodiless_status = r.status == 204 || r.status == 304 || r.status < 200;
  if (!bodiless_status) {
    if (r.chunked) {
      head += "Transfer-Encoding: chunked\r\n";
    } else if (!r.omit_content_length) {
      head += "Content-Length: " + std::to_string(body_len) + "\r\n";
    }
  }
  if (close && !has_connection && !http10) head += "Connection: close\r\n";
  head += "\r\n";
  if (!send_all(fd, head.data(), head.size())) return false;

  if (req.method != "HEAD" && !bodiless_status) {
    const size_t piece = r.chunked ? (r.chunk_size > 0 ? r.chunk_size : 16384) : 256 * 1024;
    for (uint64_t off = 0; off < body_len; off += piece) {
      size_t n = body_len - off < piece ? static_cast<size_t>(body_len - off) : piece;
      std::string data = r.generated_body_size > 0 ? pattern_bytes(off, n, r.body_seed)
                                                   : r.body.substr(static_cast<size_t>(off), n);
      if (r.chunked) {
        char size_line[32];
        std::snprintf(size_line, sizeof(size_line), "%zx\r\n", n);
        data = size_line + data + "\r\n";
      }
      if (!send_all(fd, data.data(), data.size())) return false;
    }
    if (r.chunked && !send_all(fd, "0\r\n\r\n", 5)) return false;
  }
  *keep_open = !close;
  *hold_open = close && r.hold_open_after_close;
  return true;
}

}  // namespace gantry::itest
