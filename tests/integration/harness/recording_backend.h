#pragma once
// An in-process HTTP/1.1 origin server for tests. It listens on 127.0.0.1:0,
// records every byte and every parsed request it receives, counts accepted
// connections, and answers with per-test scripted responses (status, headers,
// body, chunked bodies of any size, a delay, closing after the response, or
// closing without answering). One thread per connection; all accessors are
// thread-safe and return copies.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness/http_message.h"

namespace gantry::itest {

struct ScriptedResponse {
  std::string version = "HTTP/1.1";  // "HTTP/1.0": closes unless it says keep-alive
  int status = 200;
  std::string reason;  // empty: the standard phrase
  HeaderList headers;
  std::string body;
  // When non-zero the body is pattern_bytes(0, generated_body_size, body_seed)
  // produced while sending, instead of `body`.
  uint64_t generated_body_size = 0;
  uint32_t body_seed = 1;
  bool chunked = false;          // Transfer-Encoding: chunked
  size_t chunk_size = 16384;
  std::chrono::milliseconds delay{0};  // wait this long before answering
  bool close_after = false;      // "Connection: close" and close after the response
  bool close_immediately = false;  // close the connection instead of answering
  bool omit_content_length = false;  // delimit the body by closing (implies close_after)
  // When the answer closes the connection (close_after, or an HTTP/1.0 answer
  // without keep-alive): keep the socket open instead, and record whatever
  // still arrives on it (bytes_after_close()). A client must send nothing more
  // on a connection the server said it closes, whether or not the server has
  // closed it yet. The socket closes when the client closes it or at stop().
  bool hold_open_after_close = false;
};

struct RecordedRequest : HttpMessage {
  size_t connection = 0;  // 1-based index of the backend connection it arrived on
};

using ResponseHandler = std::function<ScriptedResponse(const RecordedRequest&)>;

class RecordingBackend {
 public:
  // `label` is the default response body, handy to tell backends apart.
  explicit RecordingBackend(std::string label = "ok");
  ~RecordingBackend();
  RecordingBackend(const RecordingBackend&) = delete;
  RecordingBackend& operator=(const RecordingBackend&) = delete;

  bool start();  // binds 127.0.0.1:0 and starts serving
  void stop();   // closes the listener and every connection, joins all threads
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& label() const { return label_; }

  // The answer to every request from now on (replaces any handler).
  void set_response(ScriptedResponse response);
  // Computes the answer per request (runs on the connection's thread).
  void set_handler(ResponseHandler handler);

  // Heads seen so far, complete or not (body filled in once complete).
  std::vector<RecordedRequest> requests() const;
  size_t request_count() const;           // heads seen
  size_t complete_request_count() const;  // whole requests (head + body) seen
  size_t connection_count() const;        // TCP connections accepted
  size_t open_connection_count() const;
  // Raw bytes received on every connection, in arrival order per connection,
  // connections concatenated in accept order.
  std::string raw_bytes() const;
  // Parse errors: bytes that were not a valid HTTP/1.1 request (each names the
  // connection and the reason). A proxy must never produce any.
  std::vector<std::string> errors() const;
  // Connections the proxy closed in the middle of a request (aborted bodies).
  size_t aborted_request_count() const;
  // Bytes that arrived on connections after an answer that closed them
  // (see ScriptedResponse::hold_open_after_close).
  std::string bytes_after_close() const;

  bool wait_for_requests(size_t n, std::chrono::milliseconds timeout) const;
  bool wait_for_complete_requests(size_t n, std::chrono::milliseconds timeout) const;
  // Forget everything recorded so far (connections stay open).
  void clear();
  // Keep at most this many raw bytes per connection (default: unlimited).
  void set_raw_limit(size_t bytes) { raw_limit_ = bytes; }

 private:
  struct Conn;
  void accept_loop();
  void serve(int fd, size_t conn_id);
  bool respond(int fd, const RecordedRequest& req, bool* keep_open, bool* hold_open);
  void hold_until_peer_closes(int fd, size_t conn_id);
  bool send_all(int fd, const char* data, size_t len);
  bool sleep_unless_stopped(std::chrono::milliseconds d);
  void note_raw(size_t conn_id, const char* data, size_t len);

  std::string label_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  size_t raw_limit_ = SIZE_MAX;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<std::thread> threads_;
  ResponseHandler handler_;
  std::vector<RecordedRequest> requests_;
  std::vector<std::string> raw_;  // per connection
  std::vector<std::string> errors_;
  size_t connections_ = 0;
  size_t open_ = 0;
  size_t complete_ = 0;
  size_t aborted_ = 0;
  std::string after_close_;
};

}  // namespace gantry::itest
