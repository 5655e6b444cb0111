// WebSocket through the real gantry binary with the websocket module: a raw
// socket client on one side, an in-process RFC 6455 echo server on the other.
// Covers valid upgrades, handshakes refused before any backend contact, a
// non-101 answer staying HTTP, tunnel timers, half-close both ways, the
// frame size limit and the message counts in the access log.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness/harness.h"
#include "ws_frame.h"

namespace gantry::itest {
namespace {

using namespace std::chrono_literals;

constexpr const char* kKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr const char* kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";  // RFC 6455 section 1.3

/* ---- small socket and frame helpers ---------------------------------- */

bool send_all(int fd, const std::string& b) {
  size_t off = 0;
  while (off < b.size()) {
    ssize_t n = ::send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Appends what arrives within `timeout` to *buf. Returns bytes read; 0 on
// EOF/reset, -1 on timeout.
ssize_t read_some(int fd, std::string* buf, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return -1;
  char tmp[65536];
  ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
  if (n > 0) buf->append(tmp, static_cast<size_t>(n));
  return n < 0 ? 0 : n;
}

std::string base64(const unsigned char* p, size_t n) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    out += a[v >> 18 & 63];
    out += a[v >> 12 & 63];
    out += i + 1 < n ? a[v >> 6 & 63] : '=';
    out += i + 2 < n ? a[v & 63] : '=';
  }
  return out;
}

std::string accept_for(const std::string& key) {
  std::string s = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return base64(d, sizeof d);
}

struct Frame {
  uint8_t opcode = 0;
  bool fin = true;
  std::string payload;
};

// Takes one whole frame off the front of *buf (unmasking it); false if incomplete.
bool decode(std::string* buf, Frame* out) {
  const auto* b = reinterpret_cast<const uint8_t*>(buf->data());
  if (buf->size() < 2) return false;
  size_t h = 2;
  uint64_t len = b[1] & 0x7f;
  if (len == 126) h += 2;
  if (len == 127) h += 8;
  bool masked = b[1] & 0x80;
  if (masked) h += 4;
  if (buf->size() < h) return false;
  if (len == 126) len = uint64_t{b[2]} << 8 | b[3];
  if (len == 127) {
    len = 0;
    for (int i = 2; i < 10; ++i) len = len << 8 | b[i];
  }
  if (buf->size() < h + len) return false;
  out->fin = b[0] & 0x80;
  out->opcode = b[0] & 0x0f;
  out->payload = buf->substr(h, len);
  if (masked)
    for (size_t i = 0; i < len; ++i) out->payload[i] ^= (*buf)[h - 4 + i % 4];
  buf->erase(0, h + len);
  return true;
}

std::string close_payload(uint16_t code) {
  return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
}

/* ---- the echo server ------------------------------------------------- */

// Answers WebSocket handshakes with 101 (or with a scripted refusal) and
// echoes frames back. Plain requests get "200 plain". Special text messages:
//   "server-fin"  -> answers "fin-coming" and shuts its sending side down
// On the client's FIN it sends a text frame "eof-seen" and closes.
class WsEchoServer {
 public:
  ~WsEchoServer() { stop(); }
  bool start() {
    lfd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(lfd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(lfd_, 64) != 0 ||
        ::getsockname(lfd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      return false;
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
    return true;
  }
  void stop() {
    if (stopping_.exchange(true)) return;
    ::shutdown(lfd_, SHUT_RDWR);
    ::close(lfd_);
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> g(mu_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();  // they take mu_ to record frames
    for (int fd : fds_) ::close(fd);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Answer every handshake with this raw response instead of 101.
  void refuse_with(std::string raw) { refusal_ = std::move(raw); }

  size_t connections() const { return connections_; }
  std::vector<std::string> heads() const {
    std::lock_guard<std::mutex> g(mu_);
    return heads_;
  }
  std::vector<Frame> frames() const {  // what clients sent, unmasked
    std::lock_guard<std::mutex> g(mu_);
    return frames_;
  }
  size_t payload_bytes() const { return payload_bytes_; }
  bool saw_eof() const { return saw_eof_; }

 private:
  void accept_loop() {
    while (!stopping_) {
      int fd = ::accept(lfd_, nullptr, nullptr);
      if (fd < 0) return;
      ++connections_;
      std::lock_guard<std::mutex> g(mu_);
      fds_.push_back(fd);
      threads_.emplace_back([this, fd] { serve(fd); });
    }
  }

  void serve(int fd) {
    std::string buf;
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos)
      if (read_some(fd, &buf, 10s) <= 0) return;
    std::string head = buf.substr(0, end + 4);
    buf.erase(0, end + 4);
    {
      std::lock_guard<std::mutex> g(mu_);
      heads_.push_back(head);
    }
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.find("upgrade: websocket") == std::string::npos) {
      send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nplain\n");
      return;
    }
    if (!refusal_.empty()) {
      send_all(fd, refusal_);
      return;
    }
    size_t k = lower.find("sec-websocket-key:");
    std::string key = head.substr(k + 18, head.find("\r\n", k) - k - 18);
    while (!key.empty() && key.front() == ' ') key.erase(0, 1);
    send_all(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept_for(key) + "\r\n\r\n");
    echo(fd, &buf);
  }

  void echo(int fd, std::string* buf) {
    bool sending = true;
    for (;;) {
      Frame f;
      while (decode(buf, &f)) {
        payload_bytes_ += f.payload.size();
        {
          std::lock_guard<std::mutex> g(mu_);
          frames_.push_back(f);
        }
        if (!sending) continue;
        if (f.opcode == 1 && f.payload == "server-fin") {
          send_all(fd, test::ws_frame(1, "fin-coming"));
          ::shutdown(fd, SHUT_WR);
          sending = false;
          continue;
        }
        send_all(fd, test::ws_frame(f.opcode, f.payload, f.fin));
        if (f.opcode == 8) {
          ::shutdown(fd, SHUT_WR);
          sending = false;
        }
      }
      ssize_t n = read_some(fd, buf, 30s);
      if (n == 0) {
        saw_eof_ = true;
        if (sending) send_all(fd, test::ws_frame(1, "eof-seen"));
        ::shutdown(fd, SHUT_WR);
        return;
      }
      if (n < 0 || stopping_) return;
    }
  }

  int lfd_ = -1;
  uint16_t port_ = 0;
  std::string refusal_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> connections_{0};
  std::atomic<size_t> payload_bytes_{0};
  std::atomic<bool> saw_eof_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<std::thread> threads_;
  std::vector<int> fds_;
  std::vector<std::string> heads_;
  std::vector<Frame> frames_;
};

/* ---- the client ------------------------------------------------------ */

class WsClient {
 public:
  ~WsClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connect(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  // Sends a request head and reads the response head; the bytes after it
  // stay buffered for frames.
  HttpMessage request(const std::string& raw) {
    HttpMessage m;
    if (!send_all(fd_, raw)) return m;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (read_some(fd_, &buf_, 10s) <= 0) return m;
    MessageReader r(MessageReader::Kind::kResponse);
    r.append(buf_.substr(0, end + 4));
    r.step();
    m = r.message();
    buf_.erase(0, end + 4);
    return m;
  }
  HttpMessage handshake(const std::string& extra = "") {
    return request("GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: " + std::string(kKey) +
                   "\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n");
  }
  bool send_frame(uint8_t opcode, const std::string& payload) {
    return send_all(fd_, test::ws_frame(opcode, payload, true, true));
  }
  // The next frame, or nullopt-like (opcode 0xff) on timeout/EOF.
  Frame next(std::chrono::milliseconds timeout = 10s) {
    Frame f;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!decode(&buf_, &f)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || read_some(fd_, &buf_, left) <= 0) return Frame{0xff, true, {}};
    }
    return f;
  }
  // True when the peer closes within the timeout (other bytes are kept).
  bool wait_eof(std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      ssize_t n = read_some(fd_, &buf_, left);
      if (n == 0) return true;
      if (n < 0) return false;
    }
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  void close() {
    ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  std::string buf_;
};

/* ---- fixture --------------------------------------------------------- */

class WebSocketTest : public IntegrationTest {
 protected:
  void SetUp() override { ASSERT_TRUE(backend_.start()); }
  // gantry with the websocket module; `module_config` goes under
  // [module.config], `extra` at the top level (timeouts...).
  void start(const std::string& module_config = "", const std::string& extra = "") {
    std::string cfg = proxy_config_template({backend_.address()}, "") +
                      "\n[[module]]\nname = \"websocket\"\npath = \"websocket\"\n"
                      "[module.config]\n" + module_config + "\n" + extra;
    ASSERT_TRUE(start_gantry(write_config(cfg)));
  }
  // The access-log line of the first request whose target is `target`.
  // Connects and completes the upgrade: a tunnel through gantry.
  void open_tunnel(WsClient* c) {
    ASSERT_TRUE(c->connect(port()));
    ASSERT_EQ(c->handshake().status, 101);
  }

  WsEchoServer backend_;
};

TEST_F(WebSocketTest, ValidUpgradeTunnelsAndEchoes) {
  ASSERT_NO_FATAL_FAILURE(start());
  WsClient c;
  ASSERT_TRUE(c.connect(port()));
  HttpMessage r = c.handshake();
  ASSERT_EQ(r.status, 101) << r.raw_head;
  EXPECT_EQ(r.header("Sec-WebSocket-Accept"), kAccept) << "the backend saw the client's key";
  EXPECT_TRUE(iequals(r.header("Upgrade"), "websocket"));

  auto heads = backend_.heads();
  ASSERT_EQ(heads.size(), 1u);
  std::string h = to_lower(heads[0]);
  EXPECT_NE(h.find("connection: upgrade"), std::string::npos) << heads[0];
  EXPECT_NE(h.find("upgrade: websocket"), std::string::npos) << heads[0];
  EXPECT_NE(h.find("sec-websocket-version: 13"), std::string::npos) << heads[0];

  // Many messages of assorted sizes, then a 1 MiB binary one.
  for (int i = 0; i < 50; ++i) {
    std::string msg = "message " + std::to_string(i) + " " + std::string(i * 37, 'a' + i % 26);
    ASSERT_TRUE(c.send_frame(1, msg));
    Frame f = c.next();
    ASSERT_EQ(f.opcode, 1);
    ASSERT_EQ(f.payload, msg);
  }
  std::string big = pattern_bytes(0, 1 << 20);
  ASSERT_TRUE(c.send_frame(2, big));
  Frame f = c.next(30s);
  ASSERT_EQ(f.opcode, 2);
  EXPECT_EQ(sha256_hex(f.payload), sha256_hex(big));

  // Client-initiated close: the echo server answers Close and hangs up.
  ASSERT_TRUE(c.send_frame(8, close_payload(1000)));
  f = c.next();
  EXPECT_EQ(f.opcode, 8);
  EXPECT_EQ(f.payload, close_payload(1000));
  EXPECT_TRUE(c.wait_eof());
  c.close();  // as a client does once the close handshake is over
  std::string line = access_log_line("/chat");
  EXPECT_NE(line.find(" 101 "), std::string::npos) << line;
  EXPECT_NE(line.find("upgraded"), std::string::npos) << line;
}

struct BrokenCase {
  const char* name;
  std::string request;
  int status;
  const char* reason;
};

TEST_F(WebSocketTest, BrokenHandshakesAreAnsweredBeforeAnyBackend) {
  ASSERT_NO_FATAL_FAILURE(start("allowed_origins = [\"https://app.example.com\"]\n"));
  const std::string host = "Host: h\r\n";
  const std::string up = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
  const std::string key = std::string("Sec-WebSocket-Key: ") + kKey + "\r\n";
  const std::string v13 = "Sec-WebSocket-Version: 13\r\n";
  std::vector<BrokenCase> cases = {
      {"missing key", "GET /ws HTTP/1.1\r\n" + host + up + v13 + "\r\n", 400, "key_missing"},
      {"short key", "GET /ws HTTP/1.1\r\n" + host + up + "Sec-WebSocket-Key: c2hvcnQ=\r\n" + v13 +
                        "\r\n", 400, "key_invalid"},
      {"wrong version", "GET /ws HTTP/1.1\r\n" + host + up + key +
                            "Sec-WebSocket-Version: 8\r\n\r\n", 426, "version"},
      {"no version", "GET /ws HTTP/1.1\r\n" + host + up + key + "\r\n", 426, "version"},
      {"POST upgrade", "POST /ws HTTP/1.1\r\n" + host + up + key + v13 +
                           "Content-Length: 0\r\n\r\n", 400, "method"},
      {"HTTP/1.0", "GET /ws HTTP/1.0\r\n" + host + up + key + v13 + "\r\n", 400, "http_version"},
      {"no Connection: upgrade", "GET /ws HTTP/1.1\r\n" + host + "Upgrade: websocket\r\n" + key +
                                     v13 + "\r\n", 400, "connection"},
      {"foreign origin", "GET /ws HTTP/1.1\r\n" + host + up + key + v13 +
                             "Origin: https://evil.example\r\n\r\n", 403, "origin"},
  };
  for (const BrokenCase& bc : cases) {
    ReadResult r = itest::exchange(port(), bc.request);
    ASSERT_TRUE(r.ok()) << bc.name << ": " << to_string(r.status) << " " << r.error;
    EXPECT_EQ(r.response.status, bc.status) << bc.name;
    if (bc.status == 426) {
      EXPECT_EQ(r.response.header("Sec-WebSocket-Version"), "13") << bc.name;
    }
  }
  EXPECT_TRUE(gantry().wait_for_output("ws_refused=origin", 10s));
  for (const BrokenCase& bc : cases)
    EXPECT_NE(gantry().stdout_text().find(std::string("ws_refused=") + bc.reason),
              std::string::npos)
        << bc.name;
  EXPECT_EQ(backend_.connections(), 0u) << "a broken handshake reached the backend";

  // The same listener still tunnels a good one with an allowed Origin.
  WsClient c;
  ASSERT_TRUE(c.connect(port()));
  EXPECT_EQ(c.handshake("Origin: https://app.example.com\r\n").status, 101);
}

TEST_F(WebSocketTest, NonSwitchingAnswerStaysHttp) {
  backend_.refuse_with("HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n"
                       "Content-Length: 10\r\n\r\nforbidden\n");
  ASSERT_NO_FATAL_FAILURE(start());
  WsClient c;
  ASSERT_TRUE(c.connect(port()));
  HttpMessage r = c.handshake();
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(backend_.connections(), 1u);
  std::string line = access_log_line("/chat");
  EXPECT_NE(line.find(" 403 "), std::string::npos) << line;
  EXPECT_EQ(line.find("upgraded"), std::string::npos) << line;
}

TEST_F(WebSocketTest, TunnelIdleTimeoutClosesAndIsLogged) {
  ASSERT_NO_FATAL_FAILURE(start("", "[timeouts]\ntunnel = \"300ms\"\n"));
  WsClient c;
  ASSERT_NO_FATAL_FAILURE(open_tunnel(&c));
  ASSERT_TRUE(c.send_frame(1, "one"));
  ASSERT_EQ(c.next().payload, "one");
  EXPECT_TRUE(c.wait_eof(30s)) << "the idle tunnel stayed open";
  EXPECT_NE(access_log_line("/chat").find("tunnel_idle_timeout"), std::string::npos)
      << gantry().stdout_text();
}

TEST_F(WebSocketTest, ClientTimersDoNotCutTunnels) {
  // No tunnel timeout configured: the HTTP idle timer must not apply to a tunnel.
  ASSERT_NO_FATAL_FAILURE(start("", "[timeouts]\nclient_idle = \"200ms\"\nserver = \"200ms\"\n"));
  WsClient c;
  ASSERT_NO_FATAL_FAILURE(open_tunnel(&c));
  std::this_thread::sleep_for(1500ms);  // several client_idle periods, no traffic
  ASSERT_TRUE(c.send_frame(1, "still here"));
  EXPECT_EQ(c.next().payload, "still here");
}

TEST_F(WebSocketTest, ClientHalfCloseKeepsServerDirectionOpen) {
  ASSERT_NO_FATAL_FAILURE(start());
  WsClient c;
  ASSERT_NO_FATAL_FAILURE(open_tunnel(&c));
  ASSERT_TRUE(c.send_frame(1, "before fin"));
  ASSERT_EQ(c.next().payload, "before fin");
  c.shutdown_write();
  // The server sees our FIN and can still talk to us.
  Frame f = c.next();
  EXPECT_EQ(f.payload, "eof-seen");
  EXPECT_TRUE(c.wait_eof());
  EXPECT_TRUE(backend_.saw_eof());
  EXPECT_NE(access_log_line("/chat").find(" closed"), std::string::npos) << gantry().stdout_text();
}

TEST_F(WebSocketTest, ServerHalfCloseKeepsClientDirectionOpen) {
  ASSERT_NO_FATAL_FAILURE(start());
  WsClient c;
  ASSERT_NO_FATAL_FAILURE(open_tunnel(&c));
  ASSERT_TRUE(c.send_frame(1, "server-fin"));
  EXPECT_EQ(c.next().payload, "fin-coming");
  EXPECT_TRUE(c.wait_eof()) << "the server's FIN was not passed on";
  // Our direction still reaches the server.
  ASSERT_TRUE(c.send_frame(1, "after the server's fin"));
  bool arrived = false;
  for (int i = 0; i < 200 && !arrived; ++i) {
    for (const Frame& f : backend_.frames()) arrived |= f.payload == "after the server's fin";
    if (!arrived) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(arrived);
}

TEST_F(WebSocketTest, HalfClosedTunnelEndsAfterClientFin) {
  // The server finished; the client neither sends nor closes: client_fin
  // ends the tunnel and the log names the side it waited for.
  ASSERT_NO_FATAL_FAILURE(start("", "[timeouts]\nclient_fin = \"300ms\"\n"));
  WsClient c;
  ASSERT_NO_FATAL_FAILURE(open_tunnel(&c));
  ASSERT_TRUE(c.send_frame(1, "server-fin"));
  EXPECT_EQ(c.next().payload, "fin-coming");
  EXPECT_TRUE(c.wait_eof()) << "the server's FIN was not passed on";
  std::string line = access_log_line("/chat", 30s);
  EXPECT_NE(line.find("client_fin_timeout"), std::string::npos) << gantry().stdout_text();
}

TEST_F(WebSocketTest, FrameSizeLimitCutsTheTunnel) {
  ASSERT_NO_FATAL_FAILURE(start("max_frame_size = \"64k\"\n"));
  WsClient c;
  ASSERT_NO_FATAL_FAILURE(open_tunnel(&c));
  std::string ok(64 * 1024, 'k');
  ASSERT_TRUE(c.send_frame(2, ok));
  ASSERT_EQ(c.next(30s).payload.size(), ok.size());
  size_t before = backend_.payload_bytes();
  c.send_frame(2, std::string(100 * 1024, 'x'));
  EXPECT_TRUE(c.wait_eof()) << "the oversized frame did not close the tunnel";
  std::string line = access_log_line("/chat");
  EXPECT_NE(line.find("module_closed"), std::string::npos) << line;
  EXPECT_NE(line.find("ws_cut=1009"), std::string::npos) << line;
  EXPECT_NE(line.find("ws_cut_reason=frame_too_big"), std::string::npos) << line;
  EXPECT_EQ(backend_.payload_bytes(), before) << "the oversized frame reached the backend";
}

TEST_F(WebSocketTest, MessageCountsAndCloseCodeInTheLog) {
  ASSERT_NO_FATAL_FAILURE(start("count_messages = true\n"));
  WsClient c;
  ASSERT_NO_FATAL_FAILURE(open_tunnel(&c));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send_frame(1, "m" + std::to_string(i)));
    ASSERT_EQ(c.next().opcode, 1);
  }
  ASSERT_TRUE(c.send_frame(9, "ping"));  // control frames are not messages
  ASSERT_EQ(c.next().opcode, 9);
  ASSERT_TRUE(c.send_frame(8, close_payload(4000)));
  EXPECT_EQ(c.next().opcode, 8);
  EXPECT_TRUE(c.wait_eof());
  c.close();
  std::string line = access_log_line("/chat");
  EXPECT_NE(line.find("ws_close=4000 ws_close_by=client"), std::string::npos) << line;
  EXPECT_NE(line.find("ws_msgs_in=3 ws_msgs_out=3"), std::string::npos) << line;
}

TEST_F(WebSocketTest, OtherUpgradesAreDroppedByDefault) {
  ASSERT_NO_FATAL_FAILURE(start());
  ReadResult r = itest::exchange(port(), "GET /h2 HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n"
                                         "Connection: Upgrade, HTTP2-Settings\r\n"
                                         "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.body, "plain\n");
  auto heads = backend_.heads();
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_EQ(to_lower(heads[0]).find("upgrade: h2c"), std::string::npos) << heads[0];
}

TEST_F(WebSocketTest, OtherUpgradesRejected) {
  ASSERT_NO_FATAL_FAILURE(start("other_upgrades = \"reject\"\n"));
  ReadResult r = itest::exchange(port(), "GET /h2 HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n"
                                         "Connection: Upgrade\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.response.status, 400);
  EXPECT_EQ(backend_.connections(), 0u);
}

TEST_F(WebSocketTest, ManyTunnelsHeldOpenAtOnce) {
  // Every tunnel is opened before any is used, so they are all open at once;
  // then each echoes a message of its own, with frame awareness on.
  ASSERT_NO_FATAL_FAILURE(start("count_messages = true\n"));
  constexpr int kTunnels = 400;
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < kTunnels; ++i) {
    clients.push_back(std::make_unique<WsClient>());
    ASSERT_TRUE(clients.back()->connect(port())) << i;
    ASSERT_EQ(clients.back()->handshake().status, 101) << i;
  }
  EXPECT_EQ(backend_.connections(), static_cast<size_t>(kTunnels));
  for (int i = 0; i < kTunnels; ++i) ASSERT_TRUE(clients[i]->send_frame(1, "t" + std::to_string(i)));
  for (int i = 0; i < kTunnels; ++i) ASSERT_EQ(clients[i]->next().payload, "t" + std::to_string(i));
  EXPECT_TRUE(gantry().running());
}

TEST_F(WebSocketTest, BackendGoneMidTunnelClosesTheClient) {
  ASSERT_NO_FATAL_FAILURE(start());
  WsClient c;
  ASSERT_NO_FATAL_FAILURE(open_tunnel(&c));
  ASSERT_TRUE(c.send_frame(1, "hello"));
  ASSERT_EQ(c.next().payload, "hello");
  backend_.stop();
  EXPECT_TRUE(c.wait_eof());
  EXPECT_TRUE(gantry().running());
  // gantry still answers (the backend is gone: a 502/503, not a hang).
  ReadResult r = itest::exchange(port(), get_request("/after"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_GE(r.response.status, 500);
}

}  // namespace
}  // namespace gantry::itest
