// Every option set in TOML is read back with getsockopt from real sockets
// after the module's hooks ran on them.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "socket_tuning_test_util.h"

namespace socket_tuning_test {
namespace {

class Fds {
 public:
  ~Fds() {
    for (int fd : fds_) if (fd >= 0) close(fd);
  }
  int add(int fd) {
    fds_.push_back(fd);
    return fd;
  }

 private:
  std::vector<int> fds_;
};

TEST(SocketTuningSockets, ListenerOptionsReachListeningAndAcceptedSockets) {
  Loaded l = load(
      "defer_accept = true\n defer_accept_timeout = \"3s\"\n tcp_fastopen = 100\n"
      "nodelay = true\n keepalive = true\n keepalive_idle = \"30s\"\n"
      "keepalive_interval = \"5s\"\n keepalive_count = 4\n user_timeout = \"10s\"\n"
      "send_buffer = \"64k\"\n receive_buffer = \"32k\"\n ip_tos = 16\n mark = 7\n",
      "");
  ASSERT_TRUE(l.error.empty()) << l.error;
  Fds fds;
  int lfd = fds.add(listen_with_hooks(l));
  EXPECT_EQ(get_int(lfd, SOL_SOCKET, SO_REUSEPORT), 1);
  EXPECT_EQ(get_int(lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT), 3);  // 3 s is a whole retransmit step
  EXPECT_EQ(get_int(lfd, IPPROTO_TCP, TCP_FASTOPEN), 100);
  int client = -1;
  // With defer_accept the kernel only hands over a connection with data.
  int afd = fds.add(connect_and_accept(lfd, "GET / HTTP/1.1\r\n", &client));
  fds.add(client);
  ASSERT_GE(afd, 0);
  EXPECT_EQ(l.hooks().on_accept(l.inst(), l.listener_scope(), nullptr, afd, nullptr),
            GANTRY_CONTINUE);
  EXPECT_EQ(get_int(afd, IPPROTO_TCP, TCP_NODELAY), 1);
  EXPECT_EQ(get_int(afd, SOL_SOCKET, SO_KEEPALIVE), 1);
  EXPECT_EQ(get_int(afd, IPPROTO_TCP, TCP_KEEPIDLE), 30);
  EXPECT_EQ(get_int(afd, IPPROTO_TCP, TCP_KEEPINTVL), 5);
  EXPECT_EQ(get_int(afd, IPPROTO_TCP, TCP_KEEPCNT), 4);
  EXPECT_EQ(get_int(afd, IPPROTO_TCP, TCP_USER_TIMEOUT), 10000);
  EXPECT_EQ(get_int(afd, SOL_SOCKET, SO_SNDBUF), 2 * 65536);  // the kernel doubles it
  EXPECT_EQ(get_int(afd, SOL_SOCKET, SO_RCVBUF), 2 * 32768);
  EXPECT_EQ(get_int(afd, IPPROTO_IP, IP_TOS), 16);
  EXPECT_EQ(get_int(afd, SOL_SOCKET, SO_MARK), 7);
  EXPECT_EQ(get_int(afd, IPPROTO_TCP, TCP_QUICKACK), 0);  // smart accept is on by default
  // listen() wiped TCP_QUICKACK on the listening socket; the first accept restored it.
  EXPECT_EQ(get_int(lfd, IPPROTO_TCP, TCP_QUICKACK), 0);
}

TEST(SocketTuningSockets, SmartAcceptIsInheritedOnceTheListenerCarriesIt) {
  Loaded l = load("nodelay = true\n", "");
  ASSERT_TRUE(l.error.empty()) << l.error;
  Fds fds;
  int lfd = fds.add(listen_with_hooks(l));
  EXPECT_EQ(get_int(lfd, IPPROTO_TCP, TCP_QUICKACK), 1);  // listen() reset it
  int client = -1;
  int afd = fds.add(connect_and_accept(lfd, "", &client));
  fds.add(client);
  l.hooks().on_accept(l.inst(), l.listener_scope(), nullptr, afd, nullptr);
  EXPECT_EQ(get_int(afd, IPPROTO_TCP, TCP_QUICKACK), 0);
  EXPECT_EQ(get_int(lfd, IPPROTO_TCP, TCP_QUICKACK), 0);
  // A later connection gets it from the listening socket, before any hook
  // runs (no data sent, so no delayed-ACK timer can clear it meanwhile).
  int client2 = -1;
  int afd2 = fds.add(connect_and_accept(lfd, "", &client2));
  fds.add(client2);
  EXPECT_EQ(get_int(afd2, IPPROTO_TCP, TCP_QUICKACK), 0);
}

TEST(SocketTuningSockets, SmartAcceptCanBeTurnedOff) {
  Loaded l = load("tcp_smart_accept = false\n", "");
  ASSERT_TRUE(l.error.empty()) << l.error;
  Fds fds;
  int lfd = fds.add(listen_with_hooks(l));
  int client = -1;
  int afd = fds.add(connect_and_accept(lfd, "", &client));
  fds.add(client);
  l.hooks().on_accept(l.inst(), l.listener_scope(), nullptr, afd, nullptr);
  EXPECT_EQ(get_int(afd, IPPROTO_TCP, TCP_QUICKACK), 1);
  EXPECT_EQ(get_int(lfd, IPPROTO_TCP, TCP_QUICKACK), 1);
  EXPECT_EQ(get_int(lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT), 0);  // off unless asked
}

TEST(SocketTuningSockets, FastopenTrueMeansQueueOf256) {
  Loaded l = load("tcp_fastopen = true\n", "");
  ASSERT_TRUE(l.error.empty()) << l.error;
  Fds fds;
  int lfd = fds.add(listen_with_hooks(l));
  EXPECT_EQ(get_int(lfd, IPPROTO_TCP, TCP_FASTOPEN), 256);
}

TEST(SocketTuningSockets, DeferAcceptDefaultTimeoutRoundsToKernelStep) {
  Loaded l = load("defer_accept = true\n", "");
  ASSERT_TRUE(l.error.empty()) << l.error;
  Fds fds;
  int lfd = fds.add(listen_with_hooks(l));
  // 5 s becomes the kernel's retransmission step that covers it (1+2+4 s).
  EXPECT_EQ(get_int(lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT), 7);
}

TEST(SocketTuningSockets, BackendOptionsReachTheSocketBeforeConnect) {
  Loaded l = load("", "tcp_fastopen = true\n source = \"127.0.0.2\"\n nodelay = true\n"
                      "keepalive = true\n keepalive_idle = \"1500ms\"\n user_timeout = \"2s\"\n"
                      "receive_buffer = \"128k\"\n ip_tos = 32\n mark = 9\n");
  ASSERT_TRUE(l.error.empty()) << l.error;
  Fds fds;
  int fd = fds.add(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(l.hooks().on_connect_upstream(l.inst(), l.backend_scope(), nullptr, fd, 120),
            GANTRY_CONTINUE);
  EXPECT_EQ(get_int(fd, IPPROTO_TCP, TCP_QUICKACK), 0);  // smart connect: bytes are waiting
  EXPECT_EQ(get_int(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT), 1);
  EXPECT_EQ(get_int(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT), 1);
  EXPECT_EQ(get_int(fd, IPPROTO_TCP, TCP_NODELAY), 1);
  EXPECT_EQ(get_int(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
  EXPECT_EQ(get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 2);  // rounded up to whole seconds
  EXPECT_EQ(get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 2000);
  EXPECT_EQ(get_int(fd, SOL_SOCKET, SO_RCVBUF), 2 * 131072);
  EXPECT_EQ(get_int(fd, IPPROTO_IP, IP_TOS), 32);
  EXPECT_EQ(get_int(fd, SOL_SOCKET, SO_MARK), 9);
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &sa.sin_addr, text, sizeof text);
  EXPECT_STREQ(text, "127.0.0.2");
  EXPECT_EQ(ntohs(sa.sin_port), 0);  // no port reserved before connect()
}

TEST(SocketTuningSockets, SmartConnectOnlyWhenBytesWait) {
  Loaded l = load("", "nodelay = true\n");
  ASSERT_TRUE(l.error.empty()) << l.error;
  Fds fds;
  int idle = fds.add(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  l.hooks().on_connect_upstream(l.inst(), l.backend_scope(), nullptr, idle, 0);
  EXPECT_EQ(get_int(idle, IPPROTO_TCP, TCP_QUICKACK), 1);
  int busy = fds.add(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  l.hooks().on_connect_upstream(l.inst(), l.backend_scope(), nullptr, busy, 10);
  EXPECT_EQ(get_int(busy, IPPROTO_TCP, TCP_QUICKACK), 0);
  EXPECT_EQ(get_int(busy, IPPROTO_TCP, TCP_FASTOPEN_CONNECT), 0);  // off unless asked
}

TEST(SocketTuningSockets, SmartConnectCanBeTurnedOff) {
  Loaded l = load("", "tcp_smart_connect = false\n");
  ASSERT_TRUE(l.error.empty()) << l.error;
  Fds fds;
  int fd = fds.add(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  l.hooks().on_connect_upstream(l.inst(), l.backend_scope(), nullptr, fd, 10);
  EXPECT_EQ(get_int(fd, IPPROTO_TCP, TCP_QUICKACK), 1);
}

TEST(SocketTuningSockets, ScopesWithoutTableAreLeftAlone) {
  Loaded l = load("", "");
  ASSERT_TRUE(l.error.empty()) << l.error;
  EXPECT_EQ(l.listener_scope(), nullptr);
  EXPECT_EQ(l.backend_scope(), nullptr);
  Fds fds;
  int fd = fds.add(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(l.hooks().on_connect_upstream(l.inst(), nullptr, nullptr, fd, 10), GANTRY_CONTINUE);
  EXPECT_EQ(get_int(fd, IPPROTO_TCP, TCP_QUICKACK), 1);
}

}  // namespace
}  // namespace socket_tuning_test
