#pragma once
// The admin listener ([admin] bind): /metrics, the status page at /, and
// the runtime API under /api/. It runs on the main loop, which also owns
// reloads and health checks, so API changes need no locks: server state is
// written here as the relaxed stores upstream/server.h describes.
#include <uv.h>

#include <memory>
#include <string>
#include <unordered_set>

#include "admin/controller.h"
#include "admin/http_conn.h"
#include "config/config.h"

namespace gantry::admin {

// At most this many admin connections at once; more are closed on accept.
constexpr size_t kMaxConns = 64;

class AdminServer {
 public:
  AdminServer(uv_loop_t* loop, Controller* ctl);
  ~AdminServer();
  // Binds and listens; on failure returns false with *why set.
  bool start(const config::Admin& cfg, std::string* why);
  // Closes the listener and every open connection.
  void stop();
  const std::string& bind() const { return bind_; }

 private:
  void close_listener();
  static void on_connection(uv_stream_t* s, int status);
  // Out of descriptors: libuv retries accept() at once for as long as it
  // fails (its spare descriptor may be gone to another thread), which would
  // spin the main loop. The listener closes instead and listens again a
  // second later; connections queued meanwhile are refused.
  void pause_for_descriptors(int status);
  static void on_relisten(uv_timer_t* t);
  void handle(const Request& req, std::function<void(Response)> reply);
  bool authorized(const Request& req, Response* refusal) const;
  void api(const Request& req, std::function<void(Response)> reply);

  uv_loop_t* loop_;
  Controller* ctl_;
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h_;
  config::Admin cfg_;
  uv_timer_t* relisten_ = nullptr;  // made on first use; its close callback frees it
  bool unix_ = false;
  bool listening_ = false;
  std::string bind_;
  std::string token_file_;
  Handler handler_;
  std::unordered_set<HttpConn*> conns_;
};

}  // namespace gantry::admin
