// net::make_listen_socket: the options every accepted client connection
// inherits from it, since Conn::accept_from sets none of its own.
#include "net/listen_socket.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "config/address.h"

namespace gantry::net {
namespace {

int option(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  EXPECT_EQ(getsockopt(fd, level, name, &v, &len), 0);
  return v;
}

TEST(ListenSocketTest, AcceptedConnectionsInheritNoDelay) {
  config::Address addr;
  std::string why;
  ASSERT_TRUE(config::parse_address("127.0.0.1:0", true, &addr, &why)) << why;
  int lfd = make_listen_socket(addr);
  ASSERT_GE(lfd, 0) << "errno " << -lfd;
  EXPECT_EQ(option(lfd, SOL_SOCKET, SO_REUSEPORT), 1);
  ASSERT_EQ(listen(lfd, 8), 0);
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  ASSERT_EQ(getsockname(lfd, reinterpret_cast<sockaddr*>(&bound), &len), 0);

  int cfd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(cfd, reinterpret_cast<sockaddr*>(&bound), len), 0);
  int afd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(afd, 0);
  // Nagle off on the proxy's side of every client connection, with no
  // setsockopt per connection.
  EXPECT_EQ(option(afd, IPPROTO_TCP, TCP_NODELAY), 1);
  close(afd);
  close(cfd);
  close(lfd);
}

}  // namespace
}  // namespace gantry::net
