// socket_tuning with the real gantry binary: every option set in TOML is read
// back from the real listening, accepted and backend sockets by the
// sockopt_probe fixture module (tests/unit/socket_tuning/sockopt_probe.cc),
// which logs getsockopt results. tcp_smart_accept, tcp_smart_connect and
// defer_accept are also checked by their effect on the wire, counted with
// TCP_INFO (pure ACKs = segments in - data segments in) and /proc/net/tcp.
#include <arpa/inet.h>
#include <linux/capability.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

using namespace std::chrono_literals;

std::string probe_module() {
  // Built by tests/unit/socket_tuning into a test-only folder of the build.
  return modules_dir() + "/../tests/unit/socket_tuning/fixtures/sockopt_probe.so";
}

// key=value words of the last output line that contains `tag`.
std::map<std::string, std::string> probe_line(const std::string& output, const std::string& tag) {
  std::map<std::string, std::string> kv;
  std::istringstream in(output);
  std::string line, last;
  while (std::getline(in, line)) {
    if (line.find(tag) != std::string::npos) last = line;
  }
  std::istringstream words(last.substr(last.find(tag) == std::string::npos ? 0 : last.find(tag)));
  for (std::string w; words >> w;) {
    size_t eq = w.find('=');
    if (eq != std::string::npos) kv[w.substr(0, eq)] = w.substr(eq + 1);
  }
  return kv;
}

struct TcpCounts {
  uint32_t segs_in = 0;
  uint32_t data_segs_in = 0;
  uint32_t pure_acks() const { return segs_in - data_segs_in; }
};

TcpCounts tcp_counts(int fd) {
  tcp_info ti{};
  socklen_t len = sizeof ti;
  TcpCounts c;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
    c.segs_in = ti.tcpi_segs_in;
    c.data_segs_in = ti.tcpi_data_segs_in;
  }
  return c;
}

int connect_to(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads one response with a Content-Length body; false on close/timeout.
bool read_response(int fd, std::string* out) {
  out->clear();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    size_t head_end = out->find("\r\n\r\n");
    if (head_end != std::string::npos) {
      size_t cl = out->find("Content-Length: ");
      if (cl == std::string::npos) cl = out->find("content-length: ");
      size_t body = cl == std::string::npos ? 0 : std::stoul(out->substr(cl + 16));
      if (out->size() >= head_end + 4 + body) return true;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    out->append(buf, static_cast<size_t>(n));
  }
  return false;
}

// One request on a fresh client connection kept open; returns the pure ACKs
// the client received from gantry between sending it and reading the
// response (0 = the ACK of the request rode on the response).
int request_pure_acks(uint16_t port) {
  int fd = connect_to(port);
  if (fd < 0) return -1;
  std::string req = "GET /acks HTTP/1.1\r\nHost: t\r\n\r\n";
  TcpCounts before = tcp_counts(fd);
  std::string resp;
  bool ok = send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()) &&
            read_response(fd, &resp);
  TcpCounts after = tcp_counts(fd);
  close(fd);
  if (!ok || resp.compare(0, 12, "HTTP/1.1 200") != 0) return -1;
  return static_cast<int>(after.pure_acks() - before.pure_acks());
}

// A backend that answers every request and closes (so every request needs a
// new backend connection), noting how many pure ACKs each accepted
// connection had received by the time the request was complete.
class AckCountingBackend {
 public:
  AckCountingBackend() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    listen(fd_, 64);
    socklen_t len = sizeof sa;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~AckCountingBackend() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  std::vector<int> pure_acks() {
    std::lock_guard<std::mutex> lock(mu_);
    return acks_;
  }
  std::vector<std::string> peers() {
    std::lock_guard<std::mutex> lock(mu_);
    return peers_;
  }

 private:
  void serve() {
    while (!stop_) {
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      int c = accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
      if (c < 0) return;
      std::string got;
      char buf[4096];
      while (got.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
      }
      char addr[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &peer.sin_addr, addr, sizeof addr);
      {
        std::lock_guard<std::mutex> lock(mu_);
        acks_.push_back(static_cast<int>(tcp_counts(c).pure_acks()));
        peers_.push_back(addr);
      }
      std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
      send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      close(c);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<int> acks_;
  std::vector<std::string> peers_;
};

class SocketTuningTest : public IntegrationTest {
 protected:
  // gantry with socket_tuning then the probe; `listener` / `backend` are the
  // lines of the [listener.socket_tuning] / [backend.socket_tuning] tables
  // (nullptr: no table).
  std::string config(uint16_t backend_port, const char* listener, const char* backend,
                     const std::string& listener_extra = "") {
    std::string t = "workers = 1\n"
                    "[log]\naccess = \"off\"\nlevel = \"info\"\n"
                    "[[module]]\nname = \"socket_tuning\"\npath = \"{{MODULES_DIR}}/socket_tuning.so\"\n"
                    "[[module]]\nname = \"probe\"\npath = \"{{PROBE}}\"\n"
                    "[[listener]]\nname = \"front\"\nbind = \"127.0.0.1:{{PORT}}\"\n" +
                    listener_extra +
                    "[listener.probe]\nreport = true\n";
    if (listener != nullptr) t += std::string("[listener.socket_tuning]\n") + listener + "\n";
    t += "[[backend]]\nname = \"web\"\nservers = [\"127.0.0.1:{{BACKEND}}\"]\n"
         "[backend.probe]\nreport = true\n";
    if (backend != nullptr) t += std::string("[backend.socket_tuning]\n") + backend + "\n";
    return write_config(t, {{"PROBE", probe_module()}, {"BACKEND", std::to_string(backend_port)}});
  }

  void SetUp() override {
    ASSERT_TRUE(file_exists(probe_module())) << probe_module();
  }

  std::string get(const std::string& path = "/") {
    int fd = connect_to(port());
    if (fd < 0) return "";
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n";
    send(fd, req.data(), req.size(), 0);
    std::string resp;
    read_response(fd, &resp);
    close(fd);
    return resp;
  }
};

TEST_F(SocketTuningTest, ListenerOptionsOnListeningAndAcceptedSockets) {
  RecordingBackend be;
  ASSERT_TRUE(be.start());
  std::string cfg = config(be.port(),
                           "defer_accept = true\ndefer_accept_timeout = \"3s\"\n"
                           "tcp_fastopen = 100\nnodelay = true\nkeepalive = true\n"
                           "keepalive_idle = \"30s\"\nkeepalive_interval = \"5s\"\n"
                           "keepalive_count = 4\nuser_timeout = \"10s\"\n"
                           "send_buffer = \"64k\"\nreceive_buffer = \"32k\"\n"
                           "ip_tos = 16\n",
                           nullptr, "backlog = 77\n");
  ASSERT_TRUE(start_gantry(cfg));
  ASSERT_EQ(get().compare(0, 12, "HTTP/1.1 200"), 0) << gantry().describe();
  ASSERT_TRUE(gantry().wait_for_output("sockopt_probe accept")) << gantry().describe();
  auto listen = probe_line(gantry().output(), "sockopt_probe listen");
  EXPECT_EQ(listen["reuseport"], "1");
  EXPECT_EQ(listen["defer_accept"], "3");
  EXPECT_EQ(listen["fastopen"], "100");
  auto acc = probe_line(gantry().output(), "sockopt_probe accept");
  EXPECT_EQ(acc["listener"], "front");
  EXPECT_EQ(acc["nodelay"], "1");
  EXPECT_EQ(acc["keepalive"], "1");
  EXPECT_EQ(acc["keepidle"], "30");
  EXPECT_EQ(acc["keepintvl"], "5");
  EXPECT_EQ(acc["keepcnt"], "4");
  EXPECT_EQ(acc["user_timeout"], "10000");
  EXPECT_EQ(acc["tos"], "16");
  EXPECT_EQ(acc["sndbuf"], std::to_string(2 * 65536));  // the kernel doubles it
  EXPECT_EQ(acc["rcvbuf"], std::to_string(2 * 32768));
  // tcp_smart_accept (on by default) is read on the listening socket: an
  // accepted socket inherits it, but the kernel drops it again there once a
  // delayed ACK timer fires, which depends on how fast gantry accepts.
  // The listening socket as the kernel runs it, after the core's listen().
  EXPECT_EQ(acc["listen_backlog"], "77");  // the core's [[listener]] backlog
  EXPECT_EQ(acc["listen_quickack"], "0");
  EXPECT_EQ(acc["listen_defer_accept"], "3");
  EXPECT_EQ(acc["listen_fastopen"], "100");
  EXPECT_EQ(acc["listen_reuseport"], "1");
}

TEST_F(SocketTuningTest, BackendOptionsOnTheUpstreamSocket) {
  AckCountingBackend be;
  std::string cfg = config(be.port(), nullptr,
                           "source = \"127.0.0.2\"\ntcp_fastopen = true\nnodelay = true\n"
                           "keepalive = true\nkeepalive_idle = \"20s\"\nkeepalive_count = 3\n"
                           "user_timeout = \"7s\"\nsend_buffer = \"128k\"\nip_tos = 32\n");
  ASSERT_TRUE(start_gantry(cfg));
  ASSERT_EQ(get().compare(0, 12, "HTTP/1.1 200"), 0) << gantry().describe();
  auto c = probe_line(gantry().output(), "sockopt_probe connect");
  EXPECT_NE(c["pending"], "0");
  EXPECT_EQ(c["quickack"], "0");  // tcp_smart_connect, on by default, bytes were waiting
  EXPECT_EQ(c["fastopen_connect"], "1");
  EXPECT_EQ(c["bind_no_port"], "1");
  EXPECT_EQ(c["local"], "127.0.0.2");
  EXPECT_EQ(c["nodelay"], "1");
  EXPECT_EQ(c["keepalive"], "1");
  EXPECT_EQ(c["keepidle"], "20");
  EXPECT_EQ(c["keepcnt"], "3");
  EXPECT_EQ(c["user_timeout"], "7000");
  EXPECT_EQ(c["sndbuf"], std::to_string(2 * 131072));
  EXPECT_EQ(c["tos"], "32");
  auto peers = be.peers();
  ASSERT_FALSE(peers.empty());
  EXPECT_EQ(peers.back(), "127.0.0.2");  // the backend saw the source address
}

// SO_MARK needs CAP_NET_ADMIN (Linux 5.17 and later also accept CAP_NET_RAW).
// Without it the module reports `mark` at load and leaves it out, so there is
// nothing to read back: these tests skip, naming the capability.
bool can_set_mark() {
  if (gantry::test::has_capability(CAP_NET_ADMIN)) return true;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int mark = 1;
  bool ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

#define REQUIRE_SO_MARK()                                                                   \
  GANTRY_REQUIRE(can_set_mark(), "CAP_NET_ADMIN: this process may not set SO_MARK, so the " \
                                 "`mark` option cannot be checked")

TEST_F(SocketTuningTest, ListenerMarkOnAcceptedSockets) {
  REQUIRE_SO_MARK();
  RecordingBackend be;
  ASSERT_TRUE(be.start());
  ASSERT_TRUE(start_gantry(config(be.port(), "mark = 7\n", nullptr)));
  ASSERT_EQ(get().compare(0, 12, "HTTP/1.1 200"), 0) << gantry().describe();
  ASSERT_TRUE(gantry().wait_for_output("sockopt_probe accept")) << gantry().describe();
  EXPECT_EQ(probe_line(gantry().output(), "sockopt_probe accept")["mark"], "7");
  EXPECT_EQ(gantry().output().find("mark: not supported here"), std::string::npos)
      << gantry().output();
}

TEST_F(SocketTuningTest, BackendMarkOnTheUpstreamSocket) {
  REQUIRE_SO_MARK();
  RecordingBackend be;
  ASSERT_TRUE(be.start());
  ASSERT_TRUE(start_gantry(config(be.port(), nullptr, "mark = 9\n")));
  ASSERT_EQ(get().compare(0, 12, "HTTP/1.1 200"), 0) << gantry().describe();
  ASSERT_TRUE(gantry().wait_for_output("sockopt_probe connect")) << gantry().describe();
  EXPECT_EQ(probe_line(gantry().output(), "sockopt_probe connect")["mark"], "9");
}

TEST_F(SocketTuningTest, WithoutTablesNothingIsTouched) {
  RecordingBackend be;
  ASSERT_TRUE(be.start());
  ASSERT_TRUE(start_gantry(config(be.port(), nullptr, nullptr)));
  ASSERT_EQ(get().compare(0, 12, "HTTP/1.1 200"), 0) << gantry().describe();
  ASSERT_TRUE(gantry().wait_for_output("sockopt_probe connect")) << gantry().describe();
  auto acc = probe_line(gantry().output(), "sockopt_probe accept");
  EXPECT_EQ(acc["quickack"], "1");
  EXPECT_EQ(acc["mark"], "0");
  EXPECT_EQ(acc["listen_defer_accept"], "0");
  auto c = probe_line(gantry().output(), "sockopt_probe connect");
  EXPECT_EQ(c["quickack"], "1");
  EXPECT_EQ(c["local"], "0.0.0.0");
}

// Without smart accept the kernel ACKs the request at once; with it, the ACK
// rides on the response (as long as the response comes within the delayed
// ACK timer, so a loaded machine may need a few tries).
TEST_F(SocketTuningTest, SmartAcceptSavesTheRequestAck) {
  RecordingBackend be;
  ASSERT_TRUE(be.start());
  ASSERT_TRUE(start_gantry(config(be.port(), "tcp_smart_accept = false\n", nullptr)));
  for (int i = 0; i < 3; ++i) EXPECT_GE(request_pure_acks(port()), 1) << "request " << i;
  gantry().signal(SIGTERM);
  gantry().wait_exit();

  ASSERT_TRUE(start_gantry(config(be.port(), "tcp_smart_accept = true\n", nullptr)));
  int saved = 0;
  for (int i = 0; i < 30 && saved == 0; ++i) {
    int acks = request_pure_acks(port());
    ASSERT_GE(acks, 0) << gantry().describe();
    saved += acks == 0;
  }
  EXPECT_EQ(saved, 1) << "no request went without its own ACK";
}

// Without smart connect the backend receives the handshake's last ACK as a
// packet of its own; with it, that ACK comes with the request.
TEST_F(SocketTuningTest, SmartConnectSavesTheHandshakeAck) {
  AckCountingBackend off_be;
  ASSERT_TRUE(start_gantry(config(off_be.port(), nullptr, "tcp_smart_connect = false\n")));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(get().compare(0, 12, "HTTP/1.1 200"), 0);
  // The backend closes after each answer: one connection per request.
  std::vector<int> off_acks = off_be.pure_acks();
  ASSERT_EQ(off_acks.size(), 3u);
  for (int acks : off_acks) EXPECT_GE(acks, 2);  // SYN + bare ACK
  gantry().signal(SIGTERM);
  gantry().wait_exit();

  AckCountingBackend on_be;
  ASSERT_TRUE(start_gantry(config(on_be.port(), nullptr, "tcp_smart_connect = true\n")));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(get().compare(0, 12, "HTTP/1.1 200"), 0);
  auto acks = on_be.pure_acks();
  ASSERT_EQ(acks.size(), 3u);
  for (int a : acks) EXPECT_EQ(a, 1);  // the SYN only
}

// State of the server side of a connection from client port `client_port`
// to `port` in /proc/net/tcp (hex state, e.g. "01" ESTABLISHED, "03"
// SYN_RECV), or "" if not listed.
std::string server_side_state(uint16_t port, uint16_t client_port) {
  std::ifstream f("/proc/net/tcp");
  std::string line;
  char local[32], remote[32];
  std::snprintf(local, sizeof local, ":%04X", port);
  std::snprintf(remote, sizeof remote, ":%04X", client_port);
  std::getline(f, line);
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string sl, loc, rem, st;
    in >> sl >> loc >> rem >> st;
    if (loc.size() > 5 && loc.substr(loc.size() - 5) == local && rem.size() > 5 &&
        rem.substr(rem.size() - 5) == remote) {
      return st;
    }
  }
  return "";
}

uint16_t local_port(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return ntohs(sa.sin_port);
}

// With defer_accept a connection that sends nothing stays in SYN_RECV in the
// kernel (gantry never sees it); its first bytes complete it.
TEST_F(SocketTuningTest, DeferAcceptHoldsSilentConnections) {
  RecordingBackend be;
  ASSERT_TRUE(be.start());
  ASSERT_TRUE(start_gantry(config(be.port(), "defer_accept = true\ndefer_accept_timeout = \"30s\"\n",
                                  nullptr)));
  int fd = connect_to(port());
  ASSERT_GE(fd, 0);
  std::string state;
  for (int i = 0; i < 50 && state.empty(); ++i) {
    state = server_side_state(port(), local_port(fd));
    if (state.empty()) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(state, "03") << "expected SYN_RECV on the server side";
  std::string req = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_EQ(send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  std::string resp;
  EXPECT_TRUE(read_response(fd, &resp));
  EXPECT_EQ(resp.compare(0, 12, "HTTP/1.1 200"), 0) << resp;
  EXPECT_EQ(server_side_state(port(), local_port(fd)), "01");
  close(fd);
}

TEST_F(SocketTuningTest, WithoutDeferAcceptSilentConnectionsAreAccepted) {
  RecordingBackend be;
  ASSERT_TRUE(be.start());
  ASSERT_TRUE(start_gantry(config(be.port(), "nodelay = true\n", nullptr)));
  int fd = connect_to(port());
  ASSERT_GE(fd, 0);
  std::string state;
  for (int i = 0; i < 50 && state.empty(); ++i) {
    state = server_side_state(port(), local_port(fd));
    if (state.empty()) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(state, "01");
  close(fd);
}

TEST_F(SocketTuningTest, BadOptionsFailTheConfigCheck) {
  struct Case {
    const char* listener;
    const char* backend;
    const char* expect;
  };
  for (const Case& c : {Case{"backlog = 100\n", nullptr, "backlog"},
                        Case{"tcp_smartaccept = true\n", nullptr, "tcp_smartaccept"},
                        Case{"reuseport = false\n", nullptr, "reuseport"},
                        Case{nullptr, "source = \"192.0.2.1\"\n", "source"}}) {
    std::string cfg = config(9, c.listener, c.backend);
    RunResult r = check_config(cfg, tmp().path());
    EXPECT_FALSE(r.status.ok()) << c.expect;
    std::string all = r.out + r.err;
    EXPECT_NE(all.find(c.expect), std::string::npos) << all;
    EXPECT_NE(all.find("gantry.toml:"), std::string::npos) << all;
  }
}

TEST_F(SocketTuningTest, DoctorThroughTheBinary) {
  tmp().write("root/proc/sys/net/ipv4/tcp_tw_reuse", "0\n");
  tmp().write("root/proc/sys/net/core/somaxconn", "64\n");
  std::string cfg = config(9, nullptr, nullptr, "backlog = 2048\n");
  RunResult r = run_command({gantry_binary(), "doctor", "-c", cfg, "--root", tmp().file("root"),
                             "--write-sysctl", tmp().file("90-gantry.conf")},
                            tmp().path());
  EXPECT_TRUE(r.status.exited && r.status.code == 1) << r.status.str() << r.err;
  EXPECT_NE(r.out.find("fix:         sysctl -w net.ipv4.tcp_tw_reuse=1"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("fix:         sysctl -w net.core.somaxconn=2048"), std::string::npos)
      << r.out;
  std::ifstream f(tmp().file("90-gantry.conf"));
  std::stringstream text;
  text << f.rdbuf();
  EXPECT_NE(text.str().find("net.core.somaxconn = 2048"), std::string::npos) << text.str();
}

}  // namespace
}  // namespace gantry::itest
