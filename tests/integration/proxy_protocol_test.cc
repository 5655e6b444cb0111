// PROXY protocol on both sides of gantry. In front: HAProxy in TCP mode
// (send-proxy, send-proxy-v2) and raw clients send the header; the client it
// names is what the backend sees in X-Forwarded-For and what the access log
// shows. Malformed headers, a missing header, a silent peer and a peer
// outside proxy_protocol_from are closed with no request reaching the
// backend. Behind: a backend with send_proxy = "v1" / "v2" receives gantry's
// header first on each connection, and a connection is never reused for
// another client.
//
// Clients connect from 127.0.0.2 where the client address matters, so the
// address gantry reports cannot be mistaken for the peer socket's
// (127.0.0.1 for HAProxy and raw PROXY senders).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness/harness.h"
#include "harness/loopback_server.h"

namespace gantry::itest {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

const std::string kSig("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12);

int connect_from(const std::string& src, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, src.c_str(), &a.sin_addr);
  sockaddr_in d{};
  d.sin_family = AF_INET;
  d.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &d.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&d), sizeof d) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct Talk {
  std::string received;
  bool closed = false;  // the peer closed (EOF or reset) before the deadline
};

// Sends `pieces` (pausing between them, ignoring a peer that already
// closed), then reads until the peer closes or `wait` passes.
Talk talk(int fd, const std::vector<std::string>& pieces, milliseconds wait = milliseconds(5000)) {
  Talk t;
  for (const std::string& p : pieces) {
    if (::send(fd, p.data(), p.size(), MSG_NOSIGNAL) < 0) break;
    if (pieces.size() > 1) std::this_thread::sleep_for(milliseconds(20));
  }
  auto deadline = Clock::now() + wait;
  char buf[4096];
  while (Clock::now() < deadline) {
    pollfd pfd{fd, POLLIN, 0};
    int left = static_cast<int>(
        std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count());
    if (::poll(&pfd, 1, left > 0 ? left : 0) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      t.closed = true;
      break;
    }
    t.received.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return t;
}

std::string request(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
}

std::string v2(uint8_t ver_cmd, uint8_t fam, const std::string& body, size_t len) {
  std::string h = kSig;
  h += static_cast<char>(ver_cmd);
  h += static_cast<char>(fam);
  h += static_cast<char>(len >> 8);
  h += static_cast<char>(len & 0xFF);
  return h + body;
}

// 203.0.113.9:40000 -> 127.0.0.1:80
const std::string kAddr4("\xCB\x00\x71\x09\x7F\x00\x00\x01\x9C\x40\x00\x50", 12);

// A backend that keeps every byte of every connection raw (a PROXY header is
// not HTTP, so the recording backend would call it an error) and answers
// each request with a keep-alive 200, leaving gantry free to reuse the
// connection if it wrongly would.
class RawRecordingBackend {
 public:
  ~RawRecordingBackend() { stop(); }
  bool start() {
    fd_ = listen_on_loopback(&port_, 64);
    if (fd_ < 0) return false;
    accept_thread_ = std::thread([this] { accept_loop(); });
    return true;
  }
  void stop() {
    if (stop_.exchange(true)) return;
    if (accept_thread_.joinable()) accept_thread_.join();
    for (auto& t : conn_threads_) t.join();
    if (fd_ >= 0) ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> connections() const {
    std::lock_guard<std::mutex> g(mu_);
    return conns_;
  }
  bool wait_for_requests(size_t n, milliseconds timeout) const {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (requests_ >= n) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return false;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 50) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      size_t index;
      {
        std::lock_guard<std::mutex> g(mu_);
        index = conns_.size();
        conns_.emplace_back();
      }
      conn_threads_.emplace_back([this, c, index] { serve(c, index); });
    }
  }
  void serve(int fd, size_t index) {
    std::string seen;
    size_t answered = 0;  // request heads answered on this connection
    char buf[4096];
    while (!stop_) {
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, 50) <= 0) continue;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      seen.append(buf, static_cast<size_t>(n));
      {
        std::lock_guard<std::mutex> g(mu_);
        conns_[index] = seen;
      }
      // A request head ends in CRLFCRLF after its request line ("HTTP/1.1\r\n").
      size_t heads = 0, pos = 0;
      while ((pos = seen.find("HTTP/1.1\r\n", pos)) != std::string::npos) {
        size_t end = seen.find("\r\n\r\n", pos);
        if (end == std::string::npos) break;
        ++heads;
        pos = end + 4;
      }
      for (; answered < heads; ++answered) {
        static const char kOk[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        ::send(fd, kOk, sizeof kOk - 1, MSG_NOSIGNAL);
        ++requests_;
      }
    }
    ::close(fd);
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> requests_{0};
  std::thread accept_thread_;
  std::vector<std::thread> conn_threads_;
  mutable std::mutex mu_;
  std::vector<std::string> conns_;
};

class ProxyProtocolTest : public IntegrationTest {
 protected:
  void SetUp() override { ASSERT_TRUE(backend_.start()); }

  // A proxy_protocol listener in front of the recording backend.
  void start_proxied(const std::string& listener_extra = "", const std::string& top = "") {
    std::string cfg = "workers = 1\nmodules_dir = \"{{MODULES_DIR}}\"\n" + top +
                      "\n[log]\naccess = \"stdout\"\nlevel = \"info\"\n"
                      "\n[[listener]]\nname = \"main\"\nbind = \"127.0.0.1:{{PORT}}\"\n"
                      "proxy_protocol = true\n" + listener_extra +
                      "\n[[backend]]\nname = \"web\"\nservers = [\"" + backend_.address() +
                      "\"]\n";
    ASSERT_TRUE(start_gantry(write_config(cfg)));
  }

  std::string xff_of(const std::string& target) {
    for (const auto& r : backend_.requests())
      if (r.target == target) return r.header("X-Forwarded-For");
    return "<no request>";
  }

  RecordingBackend backend_;
};

TEST_F(ProxyProtocolTest, V1HeaderNamesTheClient) {
  start_proxied();
  std::string hdr =
      "PROXY TCP4 203.0.113.9 127.0.0.1 40000 " + std::to_string(port()) + "\r\n";
  Talk t = talk(connect_from("127.0.0.1", port()), {hdr + request("/v1")});
  ASSERT_EQ(t.received.compare(0, 12, "HTTP/1.1 200"), 0) << t.received;
  EXPECT_EQ(xff_of("/v1"), "203.0.113.9");
  EXPECT_NE(access_log_line("/v1").find(" 203.0.113.9 \"GET /v1"), std::string::npos)
      << access_log_line("/v1");
}

TEST_F(ProxyProtocolTest, V2HeaderInPiecesWithTlvsNamesTheClient) {
  start_proxied();
  std::string a6(36, '\0');
  const unsigned char src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x09};
  std::copy(src, src + 16, a6.begin());
  a6[31] = 1;  // dst ::1
  a6[32] = '\x9c';
  a6[33] = '\x40';
  std::string tlvs = std::string("\x02\x00\x0b" "example.com", 14) + std::string("\x05\x00\x02id", 5);
  std::string hdr = v2(0x21, 0x21, a6 + tlvs, a6.size() + tlvs.size());
  std::string all = hdr + request("/v2");
  std::vector<std::string> pieces;
  for (size_t i = 0; i < all.size(); i += 7) pieces.push_back(all.substr(i, 7));
  Talk t = talk(connect_from("127.0.0.1", port()), pieces);
  ASSERT_EQ(t.received.compare(0, 12, "HTTP/1.1 200"), 0) << t.received;
  EXPECT_EQ(xff_of("/v2"), "2001:db8::9");
  std::string line = access_log_line("/v2");
  EXPECT_NE(line.find(" 2001:db8::9 \"GET /v2"), std::string::npos) << line;
  // The TLVs reach the log as notes; the unique id, binary, as hex.
  EXPECT_NE(line.find("proxy_authority=example.com proxy_unique_id=6964"), std::string::npos)
      << line;
}

TEST_F(ProxyProtocolTest, V2LocalKeepsThePeerAddress) {
  start_proxied();
  Talk t = talk(connect_from("127.0.0.2", port()), {v2(0x20, 0x00, "", 0) + request("/local")});
  ASSERT_EQ(t.received.compare(0, 12, "HTTP/1.1 200"), 0) << t.received;
  EXPECT_EQ(xff_of("/local"), "127.0.0.2");
}

TEST_F(ProxyProtocolTest, MalformedHeadersAreClosedAndNothingReachesTheBackend) {
  start_proxied();
  std::string bad_sig = v2(0x21, 0x11, kAddr4, 12);
  bad_sig[9] = 'X';
  struct Case {
    const char* what;
    std::string header;
  } cases[] = {
      {"no header", ""},
      {"bad v2 signature", bad_sig},
      {"v2 version 1", v2(0x11, 0x11, kAddr4, 12)},
      {"v2 command 3", v2(0x23, 0x11, kAddr4, 12)},
      {"v2 length overflow", v2(0x21, 0x11, kAddr4, 0xFFFF)},
      {"v2 truncated address block", v2(0x21, 0x11, kAddr4.substr(0, 8), 8)},
      {"v2 truncated IPv6 block", v2(0x21, 0x21, std::string(20, '\1'), 20)},
      {"v2 TLV past the end", v2(0x21, 0x11, kAddr4 + "\x02\x00\x30x", 16)},
      {"v1 bad address", "PROXY TCP4 203.0.113.256 127.0.0.1 1 2\r\n"},
      {"v1 bad port", "PROXY TCP4 203.0.113.9 127.0.0.1 1 65536\r\n"},
      {"v1 bare LF", "PROXY TCP4 203.0.113.9 127.0.0.1 1 2\n"},
      {"v1 unknown protocol", "PROXY UDP4 203.0.113.9 127.0.0.1 1 2\r\n"},
      {"v1 too long", "PROXY UNKNOWN " + std::string(120, 'x') + "\r\n"},
  };
  for (const Case& c : cases) {
    Talk t = talk(connect_from("127.0.0.1", port()), {c.header + request("/bad")});
    EXPECT_TRUE(t.closed) << c.what;
    EXPECT_EQ(t.received, "") << c.what << ": refused without an HTTP answer";
  }
  // A good header afterwards still works: the refusals were per connection.
  Talk ok = talk(connect_from("127.0.0.1", port()),
                 {"PROXY TCP4 203.0.113.9 127.0.0.1 1 2\r\n" + request("/good")});
  ASSERT_EQ(ok.received.compare(0, 12, "HTTP/1.1 200"), 0);
  EXPECT_EQ(backend_.request_count(), 1u) << "only the good request reached the backend";
  EXPECT_EQ(xff_of("/bad"), "<no request>");
}

TEST_F(ProxyProtocolTest, SilentPeerIsClosedAfterTheHeaderTimeout) {
  start_proxied("", "\n[timeouts]\nproxy_header = \"200ms\"\n");
  // Half a header, then nothing: closed by the header timeout (well before
  // the 10 s the client head timeout would take).
  Talk t = talk(connect_from("127.0.0.1", port()), {"PROXY TCP4 "}, milliseconds(8000));
  EXPECT_TRUE(t.closed);
  EXPECT_EQ(t.received, "");
  EXPECT_EQ(backend_.request_count(), 0u);
}

TEST_F(ProxyProtocolTest, PeersOutsideProxyProtocolFromAreRefused) {
  start_proxied("proxy_protocol_from = [\"127.0.0.2/32\", \"10.0.0.0/8\"]\n");
  std::string hdr = "PROXY TCP4 203.0.113.9 127.0.0.1 40000 80\r\n";
  Talk refused = talk(connect_from("127.0.0.1", port()), {hdr + request("/refused")});
  EXPECT_TRUE(refused.closed);
  EXPECT_EQ(refused.received, "");
  Talk allowed = talk(connect_from("127.0.0.2", port()), {hdr + request("/allowed")});
  ASSERT_EQ(allowed.received.compare(0, 12, "HTTP/1.1 200"), 0) << allowed.received;
  EXPECT_EQ(xff_of("/allowed"), "203.0.113.9");
  EXPECT_EQ(xff_of("/refused"), "<no request>");
  EXPECT_TRUE(gantry().wait_for_output("may not send a PROXY header", milliseconds(5000)));
}

TEST_F(ProxyProtocolTest, BadProxyProtocolFromIsAConfigError) {
  std::string path = write_config(
      "workers = 1\n[[listener]]\nbind = \"127.0.0.1:{{PORT}}\"\nproxy_protocol = true\n"
      "proxy_protocol_from = [\"10.0.0.1/8\"]\n"
      "[[backend]]\nname = \"web\"\nservers = [\"127.0.0.1:1\"]\n");
  RunResult r = check_config(path, tmp().path());
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE((r.out + r.err).find("proxy_protocol_from"), std::string::npos) << r.out << r.err;
}

// HAProxy in TCP mode in front of gantry, with send-proxy and send-proxy-v2.
class HaproxyFront {
 public:
  ~HaproxyFront() { proc_.kill_and_wait(); }
  bool start(const std::string& dir, uint16_t gantry_port, const std::string& send) {
    port_ = free_port();
    release_port(port_);
    std::string cfg = dir + "/haproxy-" + send + ".cfg";
    std::ofstream(cfg) << "global\n  maxconn 100\n"
                          "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n"
                          "  timeout server 30s\n"
                          "frontend fe\n  bind 127.0.0.1:"
                       << port_ << "\n  default_backend be\n"
                       << "backend be\n  server g 127.0.0.1:" << gantry_port << " " << send
                       << "\n";
    if (!proc_.start({"/usr/sbin/haproxy", "-db", "-f", cfg}, dir + "/haproxy.out",
                     dir + "/haproxy.err"))
      return false;
    auto deadline = Clock::now() + milliseconds(10000);
    while (Clock::now() < deadline) {
      if (process_listens_on(proc_.pid(), port_)) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return false;
  }
  uint16_t port() const { return port_; }

 private:
  Subprocess proc_;
  uint16_t port_ = 0;
};

TEST_F(ProxyProtocolTest, HaproxySendProxyV1AndV2) {
  GANTRY_REQUIRE(::access("/usr/sbin/haproxy", X_OK) == 0, "/usr/sbin/haproxy (Debian package haproxy)");
  start_proxied();
  for (const std::string send : {"send-proxy", "send-proxy-v2"}) {
    HaproxyFront front;
    ASSERT_TRUE(front.start(tmp().path(), port(), send)) << send;
    std::string target = "/haproxy-" + send;
    CurlResult r = run_curl({"--interface", "127.0.0.2",
                             "http://127.0.0.1:" + std::to_string(front.port()) + target},
                            tmp().path());
    ASSERT_EQ(r.http_code, 200) << send << ": " << r.error;
    EXPECT_EQ(xff_of(target), "127.0.0.2") << send;
    EXPECT_NE(access_log_line(target).find(" 127.0.0.2 \"GET " + target), std::string::npos)
        << send << ": " << access_log_line(target);
  }
}

// Modules see the client the header names: the ACL module's `src` picks the
// backend by it, while the socket's peer is 127.0.0.1 for both requests.
TEST_F(ProxyProtocolTest, AclSrcSeesTheNamedClient) {
  RecordingBackend office("office");
  ASSERT_TRUE(office.start());
  std::string cfg = "workers = 1\nmodules_dir = \"{{MODULES_DIR}}\"\n"
                    "[[module]]\nname = \"acl\"\npath = \"acl_hyperscan\"\n"
                    "[module.config]\ncache_dir = \"off\"\n"
                    "[[module.config.acl]]\nname = \"office\"\nsrc = [\"203.0.113.0/24\"]\n"
                    "[[module.config.rule]]\nuse_backend = \"office\"\nif = \"office\"\n"
                    "[[module.config.rule]]\nuse_backend = \"web\"\nunless = \"office\"\n"
                    "[[listener]]\nname = \"main\"\nbind = \"127.0.0.1:{{PORT}}\"\n"
                    "proxy_protocol = true\n"
                    "[[backend]]\nname = \"web\"\nservers = [\"" + backend_.address() + "\"]\n"
                    "[[backend]]\nname = \"office\"\nservers = [\"" + office.address() + "\"]\n";
  ASSERT_TRUE(start_gantry(write_config(cfg)));
  Talk in = talk(connect_from("127.0.0.1", port()),
                 {"PROXY TCP4 203.0.113.9 127.0.0.1 1 2\r\n" + request("/acl-in")});
  Talk out = talk(connect_from("127.0.0.1", port()),
                  {"PROXY TCP4 198.51.100.7 127.0.0.1 1 2\r\n" + request("/acl-out")});
  ASSERT_EQ(in.received.compare(0, 12, "HTTP/1.1 200"), 0) << in.received;
  ASSERT_EQ(out.received.compare(0, 12, "HTTP/1.1 200"), 0) << out.received;
  EXPECT_NE(in.received.find("office"), std::string::npos) << in.received;
  EXPECT_EQ(out.received.find("office"), std::string::npos) << out.received;
  EXPECT_EQ(xff_of("/acl-out"), "198.51.100.7");
}

// balance = "source" hashes the client the header names: every request
// comes from the same socket peer (127.0.0.1), yet clients spread over both
// servers, and each named client stays on one.
TEST_F(ProxyProtocolTest, SourceHashingUsesTheNamedClient) {
  RecordingBackend second("second");
  ASSERT_TRUE(second.start());
  std::string cfg = "workers = 1\nmodules_dir = \"{{MODULES_DIR}}\"\n"
                    "[[listener]]\nname = \"main\"\nbind = \"127.0.0.1:{{PORT}}\"\n"
                    "proxy_protocol = true\n"
                    "[[backend]]\nname = \"web\"\nbalance = \"source\"\nservers = [\"" +
                    backend_.address() + "\", \"" + second.address() + "\"]\n";
  ASSERT_TRUE(start_gantry(write_config(cfg)));
  std::vector<std::string> first_server;  // body of the first answer per client
  for (int round = 0; round < 2; ++round) {
    for (int i = 1; i <= 20; ++i) {
      std::string src = "198.51.100." + std::to_string(i);
      Talk t = talk(connect_from("127.0.0.1", port()),
                    {"PROXY TCP4 " + src + " 127.0.0.1 1 2\r\n" + request("/hash")});
      ASSERT_EQ(t.received.compare(0, 12, "HTTP/1.1 200"), 0) << t.received;
      std::string who = t.received.substr(t.received.size() - 6) == "second" ? "second" : "first";
      if (round == 0) {
        first_server.push_back(who);
      } else {
        EXPECT_EQ(first_server[static_cast<size_t>(i - 1)], who) << src << " moved";
      }
    }
  }
  size_t on_second = static_cast<size_t>(std::count(first_server.begin(), first_server.end(), "second"));
  EXPECT_GT(on_second, 0u);
  EXPECT_LT(on_second, first_server.size());
}

// The header comes before TLS: HAProxy relays the client's TLS bytes after
// its v2 header, and gantry reads the header, then handshakes.
TEST_F(ProxyProtocolTest, HeaderBeforeTls) {
  GANTRY_REQUIRE(::access("/usr/sbin/haproxy", X_OK) == 0, "/usr/sbin/haproxy (Debian package haproxy)");
  GANTRY_REQUIRE_TOOL("openssl", "openssl");
  std::string certs;
  ASSERT_TRUE(make_test_certs(&certs));
  std::string cfg = "workers = 1\nmodules_dir = \"{{MODULES_DIR}}\"\n"
                    "[log]\naccess = \"stdout\"\n"
                    "[[module]]\nname = \"tls-openssl\"\npath = \"tls_openssl\"\n"
                    "[[listener]]\nname = \"main\"\nbind = \"127.0.0.1:{{PORT}}\"\n"
                    "proxy_protocol = true\n"
                    "[listener.tls]\nprovider = \"tls-openssl\"\n"
                    "certificates = [ { cert = \"" + certs + "/ec.pem\", key = \"" + certs +
                    "/ec.key\" } ]\n"
                    "[[backend]]\nname = \"web\"\nservers = [\"" + backend_.address() + "\"]\n";
  ASSERT_TRUE(start_gantry(write_config(cfg)));
  HaproxyFront front;
  ASSERT_TRUE(front.start(tmp().path(), port(), "send-proxy-v2"));
  CurlResult r = run_curl({"-k", "--interface", "127.0.0.2",
                           "https://127.0.0.1:" + std::to_string(front.port()) + "/tls"},
                          tmp().path(), milliseconds(20000));
  ASSERT_EQ(r.http_code, 200) << r.error;
  EXPECT_EQ(xff_of("/tls"), "127.0.0.2");
  for (const auto& q : backend_.requests()) {
    if (q.target == "/tls") {
      EXPECT_EQ(q.header("X-Forwarded-Proto"), "https");
    }
  }
}

class SendProxyTest : public IntegrationTest {
 protected:
  void start_with(const std::string& version) {
    ASSERT_TRUE(raw_.start());
    ASSERT_TRUE(start_gantry(write_proxy_config(
        {raw_.address()}, "send_proxy = \"" + version + "\"\nkeepalive = 8\n")));
  }
  RawRecordingBackend raw_;
};

TEST_F(SendProxyTest, V1HeaderFirstOnEveryConnection) {
  start_with("v1");
  // Two clients one after the other: the second must not get the first
  // one's connection, whose header names the first client.
  for (const char* path : {"/one", "/two"}) {
    Talk t = talk(connect_from("127.0.0.2", port()), {request(path)});
    ASSERT_EQ(t.received.compare(0, 12, "HTTP/1.1 200"), 0) << t.received;
  }
  ASSERT_TRUE(raw_.wait_for_requests(2, milliseconds(5000)));
  auto conns = raw_.connections();
  ASSERT_EQ(conns.size(), 2u) << "a connection carrying a PROXY header was reused";
  std::string want = "PROXY TCP4 127.0.0.2 127.0.0.1 ";
  for (const auto& c : conns) {
    EXPECT_EQ(c.compare(0, want.size(), want), 0) << c;
    size_t eol = c.find("\r\n");
    ASSERT_NE(eol, std::string::npos);
    std::string dport = " " + std::to_string(port()) + "\r\n";
    EXPECT_EQ(c.compare(eol + 2 - dport.size(), dport.size(), dport), 0) << c;
    EXPECT_EQ(c.compare(eol + 2, 4, "GET "), 0) << "the request follows the header";
  }
}

TEST_F(SendProxyTest, V2HeaderFirstOnEveryConnection) {
  start_with("v2");
  for (const char* path : {"/one", "/two"}) {
    Talk t = talk(connect_from("127.0.0.2", port()), {request(path)});
    ASSERT_EQ(t.received.compare(0, 12, "HTTP/1.1 200"), 0) << t.received;
  }
  ASSERT_TRUE(raw_.wait_for_requests(2, milliseconds(5000)));
  auto conns = raw_.connections();
  ASSERT_EQ(conns.size(), 2u) << "a connection carrying a PROXY header was reused";
  for (const auto& c : conns) {
    ASSERT_GE(c.size(), 28u + 4);
    EXPECT_EQ(c.substr(0, 12), kSig);
    EXPECT_EQ(c[12], '\x21') << "version 2, PROXY";
    EXPECT_EQ(c[13], '\x11') << "TCP over IPv4";
    EXPECT_EQ(c.substr(14, 2), std::string("\x00\x0c", 2));
    EXPECT_EQ(c.substr(16, 4), std::string("\x7f\x00\x00\x02", 4)) << "source 127.0.0.2";
    EXPECT_EQ(c.substr(20, 4), std::string("\x7f\x00\x00\x01", 4));
    uint16_t dport = static_cast<uint16_t>(static_cast<uint8_t>(c[26]) << 8 |
                                           static_cast<uint8_t>(c[27]));
    EXPECT_EQ(dport, port());
    EXPECT_EQ(c.compare(28, 4, "GET "), 0);
  }
}

TEST_F(SendProxyTest, HealthChecksSpeakForGantry) {
  ASSERT_TRUE(raw_.start());
  ASSERT_TRUE(start_gantry(write_proxy_config(
      {raw_.address()}, "send_proxy = \"v1\"\n[backend.health]\npath = \"/health\"\n"
                        "interval = \"100ms\"\n")));
  ASSERT_TRUE(raw_.wait_for_requests(1, milliseconds(10000)));
  auto conns = raw_.connections();
  ASSERT_FALSE(conns.empty());
  std::string want = "PROXY UNKNOWN\r\nGET /health HTTP/1.1\r\n";
  EXPECT_EQ(conns[0].compare(0, want.size(), want), 0) << conns[0];
}

TEST_F(SendProxyTest, ProxiedListenerPassesTheNamedClientOn) {
  ASSERT_TRUE(raw_.start());
  ASSERT_TRUE(start_gantry(write_config(
      "workers = 1\n[[listener]]\nbind = \"127.0.0.1:{{PORT}}\"\nproxy_protocol = true\n"
      "[[backend]]\nname = \"web\"\nsend_proxy = \"v1\"\nservers = [\"" + raw_.address() +
      "\"]\n")));
  Talk t = talk(connect_from("127.0.0.1", port()),
                {"PROXY TCP4 203.0.113.9 198.51.100.1 40000 443\r\n" + request("/chain")});
  ASSERT_EQ(t.received.compare(0, 12, "HTTP/1.1 200"), 0) << t.received;
  auto conns = raw_.connections();
  ASSERT_EQ(conns.size(), 1u);
  std::string want = "PROXY TCP4 203.0.113.9 198.51.100.1 40000 443\r\nGET /chain";
  EXPECT_EQ(conns[0].compare(0, want.size(), want), 0) << conns[0];
}

}  // namespace
}  // namespace gantry::itest
