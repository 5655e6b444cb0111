#pragma once
// WebSocket peers for tests that run tunnels through gantry: a raw client
// that does the opening handshake and then speaks frames or bytes, an
// in-process RFC 6455 echo server, and a byte-counting backend that records
// exactly what crossed the tunnel (not what a decoder made of it).
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

// A one-listener, one-backend config (see proxy_config_template) with the
// websocket module; `module_config` goes under [module.config], `extra` at
// the top level (timeouts...).
std::string websocket_proxy_config(const std::string& backend, const std::string& module_config,
                                   const std::string& extra);

// The RFC 6455 (section 1.3) sample key and the accept value it yields.
inline constexpr const char* kWsKey = "dGhlIHNhbXBsZSBub25jZQ==";
inline constexpr const char* kWsAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// Sec-WebSocket-Accept for a Sec-WebSocket-Key.
std::string ws_accept_for(const std::string& key);

struct WsFrame {
  uint8_t opcode = 0;
  bool fin = true;
  std::string payload;
};

// Takes one whole frame off the front of *buf (unmasking it); false if incomplete.
bool ws_decode(std::string* buf, WsFrame* out);

// A Close frame's payload: the status code, big-endian.
std::string ws_close_payload(uint16_t code);

// Sends every byte (blocking); false if the peer is gone.
bool ws_send_all(int fd, const std::string& bytes);
// Appends what arrives within `timeout` to *buf. Returns bytes read; 0 on
// EOF/reset, -1 on timeout.
ssize_t ws_read_some(int fd, std::string* buf, std::chrono::milliseconds timeout);

// A loopback listener (kernel-chosen port) that serves each accepted
// connection on a thread of its own. stop() shuts every connection down and
// joins the threads; the peers below are built on it.
class ConnectionThreads {
 public:
  using Serve = std::function<void(int fd)>;
  ~ConnectionThreads() { stop(); }
  bool start(Serve serve);
  void stop();
  bool stopping() const { return stopping_; }
  uint16_t port() const { return port_; }
  size_t accepted() const { return accepted_; }

 private:
  void accept_loop();

  int lfd_ = -1;
  uint16_t port_ = 0;
  Serve serve_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> accepted_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> threads_;
  std::vector<int> fds_;
};

// Answers WebSocket handshakes with 101 (or with a scripted refusal) and
// echoes frames back. Plain requests get "200 plain". Special text messages:
//   "server-fin"  -> answers "fin-coming" and shuts its sending side down
// On the client's FIN it sends a text frame "eof-seen" and closes.
class WsEchoServer {
 public:
  ~WsEchoServer() { stop(); }
  bool start();
  void stop() { conns_.stop(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(conns_.port()); }
  // Answer every handshake with this raw response instead of 101.
  void refuse_with(std::string raw) { refusal_ = std::move(raw); }

  size_t connections() const { return conns_.accepted(); }
  std::vector<std::string> heads() const;
  std::vector<WsFrame> frames() const;  // what clients sent, unmasked
  size_t payload_bytes() const { return payload_bytes_; }
  bool saw_eof() const { return saw_eof_; }

 private:
  void serve(int fd);
  void echo(int fd, std::string* buf);

  std::string refusal_;
  std::atomic<size_t> payload_bytes_{0};
  std::atomic<bool> saw_eof_{false};
  mutable std::mutex mu_;
  std::vector<std::string> heads_;
  std::vector<WsFrame> frames_;
  ConnectionThreads conns_;  // last: its threads stop before the state above goes
};

// One tunnel's server side that answers the handshake with 101 and then only
// counts: every byte that arrives after its 101 is kept as received, and it
// sends what the test tells it to. One connection at a time (the latest).
class WsRawBackend {
 public:
  ~WsRawBackend() { stop(); }
  bool start();
  void stop() { conns_.stop(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(conns_.port()); }

  size_t connections() const { return conns_.accepted(); }
  // Bytes received after the 101, exactly as they arrived.
  std::string received() const;
  // Waits until at least `n` bytes arrived after the 101.
  bool wait_received(size_t n, std::chrono::milliseconds timeout) const;
  // Waits until the peer (gantry) closed the connection.
  bool wait_eof(std::chrono::milliseconds timeout) const;
  bool saw_eof() const;
  // Sends bytes on the current tunnel; false when there is none or it broke.
  bool send(const std::string& bytes);

 private:
  void serve(int fd);

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  int current_ = -1;  // the tunnel's socket, from just before its 101
  std::string received_;
  bool eof_ = false;
  ConnectionThreads conns_;  // last: its threads stop before the state above goes
};

// A client socket that does the opening handshake through gantry, then sends
// frames (masked, as a client must) and reads frames or raw bytes.
class WsClient {
 public:
  ~WsClient();
  bool connect(uint16_t port);
  // Sends a request head and reads the response head; the bytes after it
  // stay buffered for frames.
  HttpMessage request(const std::string& raw);
  HttpMessage handshake(const std::string& extra = "");
  bool send_frame(uint8_t opcode, const std::string& payload);
  bool send_raw(const std::string& bytes);
  // The next frame, or opcode 0xff on timeout/EOF.
  WsFrame next(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  // True when the peer closes within the timeout (other bytes are kept).
  bool wait_eof(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  // Everything received after the response head and not yet decoded by next().
  const std::string& buffered() const { return buf_; }
  // True once a read saw the peer close.
  bool peer_closed() const { return eof_; }
  void shutdown_write();
  void close();

 private:
  int fd_ = -1;
  bool eof_ = false;
  std::string buf_;
};

}  // namespace gantry::itest
