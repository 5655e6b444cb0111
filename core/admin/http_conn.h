#pragma once
// One connection to the admin listener: reads one bounded HTTP/1.1 request
// with the core's parser, hands it to a handler, writes the answer and
// closes. The admin listener serves operators and scrapers, not traffic, so
// it keeps no connection alive.
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <unordered_set>

#include "http/parser.h"
#include "util/arena.h"

namespace gantry::admin {

struct Request {
  std::string method;
  std::string path;   // the target without its query
  std::string query;  // after '?', may be empty
  std::string authorization;
  std::string body;
  std::string peer;  // for the log
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Limits that keep one admin connection bounded in memory and time.
constexpr size_t kMaxRequestHead = 8 * 1024;
constexpr size_t kMaxRequestBody = 16 * 1024;
constexpr uint64_t kRequestTimeoutMs = 10000;

// The handler answers now or later by calling `reply` exactly once (a
// metrics scrape waits for the workers).
using Handler = std::function<void(const Request&, std::function<void(Response)> reply)>;

class HttpConn final : public http::ParserEvents {
 public:
  // `open` is the listener's set of live connections: the conn is in it
  // from construction until it is deleted.
  HttpConn(uv_loop_t* loop, bool unix_socket, const Handler* handler,
           std::unordered_set<HttpConn*>* open);
  ~HttpConn() override;
  // Accepts from `server`; deletes itself when closed. false: nothing to accept.
  bool start(uv_stream_t* server);
  void close();

 private:
  int on_head(http::Head& head) override;
  void on_body(const char* p, size_t n) override;
  void on_message_end() override;

  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  void send(Response r);
  void dispatch();

  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h_;
  uv_timer_t timer_;
  bool unix_;
  const Handler* handler_;
  http::Parser parser_{true, this};
  http::Head head_;
  Arena arena_;
  Request req_;
  char buf_[4096];
  enum class Phase : uint8_t { kReading, kHandling, kWriting, kClosing } phase_ = Phase::kReading;
  std::string out_;
  uv_write_t write_;
  int closes_pending_ = 0;
  bool message_done_ = false;
  std::unordered_set<HttpConn*>* open_;
  // Cleared when the connection closes: an answer that comes later (a
  // scrape waits for the workers) then goes nowhere.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gantry::admin
