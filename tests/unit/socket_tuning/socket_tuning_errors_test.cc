// Bad tables fail at load with the key's name and position; options the
// kernel or the process's privileges refuse are reported once, by name.
#include <linux/capability.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "socket_tuning_test_util.h"

namespace socket_tuning_test {
namespace {

struct BadCase {
  const char* listener;
  const char* backend;
  const char* expect;  // must appear in the message
};

class SocketTuningBadConfig : public ::testing::TestWithParam<BadCase> {};

TEST_P(SocketTuningBadConfig, FailsNamingTheKey) {
  const BadCase& c = GetParam();
  Loaded l = load(c.listener, c.backend);
  ASSERT_FALSE(l.error.empty()) << "loaded although " << c.expect << " is wrong";
  EXPECT_NE(l.error.find(c.expect), std::string::npos) << l.error;
  EXPECT_NE(l.error.find("socket_tuning_test.toml:"), std::string::npos) << l.error;
}

INSTANTIATE_TEST_SUITE_P(
    Keys, SocketTuningBadConfig,
    ::testing::Values(
        BadCase{"tcp_smartaccept = true", "", "tcp_smartaccept"},  // unknown key
        BadCase{"tcp_smart_connect = true", "", "tcp_smart_connect"},  // backend-only key
        BadCase{"", "defer_accept = true", "defer_accept"},            // listener-only key
        BadCase{"backlog = 1024", "", "[[listener]]"},
        BadCase{"reuseport = false", "", "reuseport"},
        BadCase{"defer_accept_timeout = \"2s\"", "", "defer_accept_timeout"},
        BadCase{"defer_accept = true\ndefer_accept_timeout = \"0s\"", "",
                "defer_accept_timeout"},
        BadCase{"ip_tos = 300", "", "ip_tos"},
        BadCase{"mark = -1", "", "mark"},
        BadCase{"keepalive_count = 0\nkeepalive = true", "", "keepalive_count"},
        BadCase{"keepalive_idle = \"30s\"", "", "keepalive = true"},
        BadCase{"", "keepalive_interval = \"5s\"\nkeepalive = false", "keepalive = true"},
        BadCase{"send_buffer = \"100\"", "", "send_buffer"},
        BadCase{"receive_buffer = \"5x\"", "", "receive_buffer"},
        BadCase{"user_timeout = true", "", "user_timeout"},
        BadCase{"tcp_fastopen = \"yes\"", "", "tcp_fastopen"},
        BadCase{"tcp_fastopen = 70000", "", "tcp_fastopen"},
        BadCase{"", "tcp_fastopen = 5", "tcp_fastopen"},
        BadCase{"", "source = \"not-an-address\"", "source"},
        BadCase{"", "source = \"192.0.2.77\"", "source"},  // not an address of this host
        BadCase{"", "bind_address_no_port = true", "bind_address_no_port"},
        BadCase{"nodelay = 1", "", "nodelay"}));

long read_long(const char* path) {
  std::ifstream f(path);
  long v = -1;
  f >> v;
  return v;
}

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

TEST(SocketTuningReports, BufferAboveKernelCapIsReportedOnce) {
  long cap = read_long("/proc/sys/net/core/wmem_max");
  if (cap < 0 || cap >= (1L << 29)) GTEST_SKIP() << "wmem_max too large to exceed";
  std::string size = std::to_string(std::max<long>(cap * 2, 4096));
  std::string text =
      "workers = 1\n[[module]]\nname = \"socket_tuning\"\npath = \"@SO@\"\n"
      "[[listener]]\nname = \"a\"\nbind = \"127.0.0.1:0\"\n[listener.socket_tuning]\n"
      "send_buffer = " + size + "\n"
      "[[listener]]\nname = \"b\"\nbind = \"127.0.0.1:0\"\n[listener.socket_tuning]\n"
      "send_buffer = " + size + "\n"
      "[[backend]]\nname = \"web\"\nservers = [\"127.0.0.1:9\"]\n";
  Loaded l = load_text(text);
  std::string err = l.logs();
  ASSERT_TRUE(l.error.empty()) << l.error;
  EXPECT_EQ(count(err, "send_buffer: "), 1u) << err;
  EXPECT_NE(err.find("net.core.wmem_max"), std::string::npos) << err;
}

TEST(SocketTuningReports, FastopenWithoutServerBitIsReported) {
  long v = read_long("/proc/sys/net/ipv4/tcp_fastopen");
  Loaded l = load("tcp_fastopen = 16", "");
  std::string err = l.logs();
  ASSERT_TRUE(l.error.empty()) << l.error;
  bool server_bit = v >= 0 && (v & 2) != 0;
  EXPECT_EQ(err.find("tcp_fastopen: net.ipv4.tcp_fastopen=") != std::string::npos, !server_bit)
      << err;
}

// Drops CAP_NET_ADMIN and CAP_NET_RAW from this process: either lets a
// socket set SO_MARK.
bool drop_net_admin() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &hdr, data) != 0) return false;
  for (int cap : {CAP_NET_ADMIN, CAP_NET_RAW}) {
    data[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
    data[CAP_TO_INDEX(cap)].permitted &= ~CAP_TO_MASK(cap);
  }
  return syscall(SYS_capset, &hdr, data) == 0;
}

// In a child without those capabilities, `mark` cannot be set: the load goes on,
// names the option once, and the backend socket is left unmarked.
TEST(SocketTuningReports, RefusedOptionIsReportedAndLeftOut) {
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(pipefd[1], 2);
    close(pipefd[0]);
    if (!drop_net_admin()) _exit(10);
    Loaded l = load("mark = 5", "mark = 5\nnodelay = true");
    std::fputs(l.logs().c_str(), stderr);  // what the module logged, for the parent
    if (!l.error.empty()) _exit(11);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    l.hooks().on_connect_upstream(l.inst(), l.backend_scope(), nullptr, fd, 1);
    if (get_int(fd, SOL_SOCKET, SO_MARK) != 0) _exit(12);
    if (get_int(fd, IPPROTO_TCP, TCP_NODELAY) != 1) _exit(13);  // the rest still applies
    _exit(0);
  }
  close(pipefd[1]);
  std::string err;
  char buf[4096];
  for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) > 0;) err.append(buf, n);
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << err;
  EXPECT_EQ(count(err, "mark: not supported here"), 1u) << err;
}

}  // namespace
}  // namespace socket_tuning_test
