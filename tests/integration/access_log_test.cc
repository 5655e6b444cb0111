// The access log's other shapes and places: a text template of the
// operator's own, and RFC 5424 syslog over UDP and a Unix datagram socket,
// read by a receiver the test binds. A bad template is refused with the
// file, line and key, and a reload with one keeps the old config.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>
#include <string>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

using namespace std::chrono_literals;

// A datagram socket the test reads syslog messages from.
class SyslogReceiver {
 public:
  ~SyslogReceiver() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool bind_udp() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return false;
    socklen_t len = sizeof sa;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    return true;
  }
  bool bind_unix(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
    return ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
  uint16_t port() const { return port_; }
  // The next datagram, or "" after `wait`.
  std::string next(std::chrono::milliseconds wait = 5000ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) != 1) return "";
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

class AccessLogTest : public IntegrationTest {
 protected:
  void SetUp() override { ASSERT_TRUE(backend_.start()); }
  std::string config(const std::string& log_lines) {
    std::string cfg = proxy_config_template({backend_.address()}, "");
    cfg.replace(cfg.find("[log]\naccess = \"stdout\"\n"), 23, "[log]\n" + log_lines);
    return cfg;
  }
  RecordingBackend backend_;
};

TEST_F(AccessLogTest, TemplateShapesTheLine) {
  ASSERT_TRUE(start_gantry(write_config(config(
      "access = \"access.log\"\n"
      "template = \"$client $method $target $protocol $status ${bytes_out}B $$ ${backend}/$server "
      "$termination r=$retries u=$upgraded\"\n"))));
  ReadResult r = exchange(port(), get_request("/tmpl?q=1"));
  ASSERT_TRUE(r.ok());
  // HTTP/1.0 shows as such; the quote in the target is escaped.
  ASSERT_TRUE(exchange(port(), "GET /a\"b HTTP/1.0\r\nHost: x\r\n\r\n").ok());
  std::string path = tmp().path() + "/access.log";
  std::string text;
  for (int i = 0; i < 50 && std::count(text.begin(), text.end(), '\n') < 2; ++i) {
    std::this_thread::sleep_for(100ms);
    text = read_file(path);
  }
  std::istringstream in(text);
  std::string first, second;
  std::getline(in, first);
  std::getline(in, second);
  std::string bytes = std::to_string(r.response.raw_head.size() + r.response.body.size());
  EXPECT_EQ(first, "127.0.0.1 GET /tmpl?q=1 HTTP/1.1 200 " + bytes + "B $ web/" +
                       backend_.address() + " ok r=0 u=0")
      << text;
  EXPECT_EQ(second.substr(0, 33), "127.0.0.1 GET /a\\x22b HTTP/1.0 20") << text;
}

TEST_F(AccessLogTest, UnknownTemplateVariableIsRefusedAtFileAndLine) {
  std::string path = tmp().write("bad.toml", config("template = \"$client $nope\"\n"));
  RunResult r = check_config(path, tmp().path());
  std::string all = r.out + r.err;
  EXPECT_TRUE(r.status.exited && r.status.code == 1) << all;
  EXPECT_NE(all.find("bad.toml:5"), std::string::npos) << all;
  EXPECT_NE(all.find("template"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown variable $nope"), std::string::npos) << all;
}

TEST_F(AccessLogTest, ReloadWithABadTemplateKeepsTheOldOne) {
  std::string cfg_path = write_config(config("template = \"old $status\"\naccess = \"stdout\"\n"));
  ASSERT_TRUE(start_gantry(cfg_path));
  std::string good = read_file(cfg_path);
  std::string bad = good;
  bad.replace(bad.find("old $status"), 11, "new $bogus");
  std::ofstream(cfg_path) << bad;
  ASSERT_EQ(::kill(gantry().pid(), SIGHUP), 0);
  ASSERT_TRUE(gantry().wait_for_output("reload failed", 10s)) << gantry().output();
  EXPECT_NE(gantry().output().find("unknown variable $bogus"), std::string::npos)
      << gantry().output();
  ASSERT_TRUE(exchange(port(), get_request("/")).ok());
  EXPECT_TRUE(gantry().wait_for_output("old 200", 5s)) << gantry().output();
}

TEST_F(AccessLogTest, SyslogOverUdpIsRfc5424) {
  SyslogReceiver rx;
  ASSERT_TRUE(rx.bind_udp());
  ASSERT_TRUE(start_gantry(write_config(config(
      "access = \"syslog:udp:127.0.0.1:" + std::to_string(rx.port()) + "\"\n"
      "syslog_facility = \"local3\"\nsyslog_tag = \"edge\"\n"))));
  ASSERT_TRUE(exchange(port(), get_request("/via-syslog")).ok());
  std::string msg = rx.next();
  // <PRI>: local3 (19) * 8 + informational (6) = 158; version 1; an
  // RFC 3339 time; host; APP-NAME; PROCID; no MSGID; no structured data.
  std::regex rfc5424(
      "^<158>1 \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z \\S+ edge " +
      std::to_string(gantry().pid()) + " - - 127\\.0\\.0\\.1 \"GET /via-syslog\" 200 .*");
  EXPECT_TRUE(std::regex_match(msg, rfc5424)) << "[" << msg << "]";
  EXPECT_EQ(msg.find('\n'), std::string::npos);
}

TEST_F(AccessLogTest, SyslogOverAUnixSocketCarriesJson) {
  SyslogReceiver rx;
  std::string sock = tmp().path() + "/log.sock";
  ASSERT_TRUE(rx.bind_unix(sock));
  ASSERT_TRUE(start_gantry(write_config(
      config("access = \"syslog:unix:" + sock + "\"\nformat = \"json\"\n"))));
  ASSERT_TRUE(exchange(port(), get_request("/json-syslog")).ok());
  std::string msg = rx.next();
  ASSERT_EQ(msg.rfind("<134>1 ", 0), 0u) << msg;  // local0.info
  size_t brace = msg.find(" - - {");
  ASSERT_NE(brace, std::string::npos) << msg;
  EXPECT_NE(msg.find("\"target\":\"/json-syslog\"", brace), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"protocol\":\"HTTP/1.1\"", brace), std::string::npos) << msg;
}

// `gantry -t` opens no socket, so a syslog nobody listens on is found at
// start: gantry says where and exits rather than drop every line.
TEST_F(AccessLogTest, UnreachableSyslogSocketStopsTheStart) {
  std::string path = write_config(
      config("access = \"syslog:unix:" + tmp().path() + "/nobody-listens\"\n"));
  GantryProcess g(path, tmp().path());
  ASSERT_TRUE(g.start());
  std::optional<ExitStatus> st = g.wait_exit(10000ms);
  ASSERT_TRUE(st.has_value()) << g.output();
  EXPECT_FALSE(st->ok()) << g.output();
  EXPECT_NE(g.output().find("log.access: cannot reach syslog at " + tmp().path() + "/nobody-listens"),
            std::string::npos)
      << g.output();
}

}  // namespace
}  // namespace gantry::itest
