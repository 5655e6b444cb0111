#include "socket_tuning_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace socket_tuning_test {

Loaded load(const std::string& listener_lines, const std::string& backend_lines) {
  std::string text = "workers = 1\n"
                     "[[module]]\n"
                     "name = \"socket_tuning\"\n"
                     "path = \"" SOCKET_TUNING_SO "\"\n"
                     "[[listener]]\n"
                     "name = \"front\"\n"
                     "bind = \"127.0.0.1:0\"\n";
  if (!listener_lines.empty()) text += "[listener.socket_tuning]\n" + listener_lines + "\n";
  text += "[[backend]]\n"
          "name = \"web\"\n"
          "servers = [\"127.0.0.1:9\"]\n";
  if (!backend_lines.empty()) text += "[backend.socket_tuning]\n" + backend_lines + "\n";
  return load_text(text);
}

Loaded load_text(std::string text) {
  for (size_t at = text.find("@SO@"); at != std::string::npos; at = text.find("@SO@")) {
    text.replace(at, 4, SOCKET_TUNING_SO);
  }
  Loaded out;
  out.module = std::make_shared<gantry::test::MockModule>(SOCKET_TUNING_SO);
  gantry::test::MockModule& m = *out.module;
  if (!m.load_text(text, "/tmp/socket_tuning_test.toml") ||
      !m.open_scopes("listener", GANTRY_SCOPE_LISTENER, "socket_tuning", &out.listeners) ||
      !m.open_scopes("backend", GANTRY_SCOPE_BACKEND, "socket_tuning", &out.backends)) {
    out.error = m.error();
  }
  return out;
}

int get_int(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  if (getsockopt(fd, level, name, &v, &len) != 0) return -1;
  return v;
}

int listen_with_hooks(const Loaded& l) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  EXPECT_EQ(l.hooks().on_listen(l.inst(), l.listener_scope(), nullptr, fd), GANTRY_CONTINUE);
  EXPECT_EQ(listen(fd, 16), 0);
  return fd;
}

int connect_and_accept(int listen_fd, const std::string& first_bytes, int* client) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  getsockname(listen_fd, reinterpret_cast<sockaddr*>(&sa), &len);
  *client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_EQ(connect(*client, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  if (!first_bytes.empty()) {
    EXPECT_EQ(send(*client, first_bytes.data(), first_bytes.size(), 0),
              static_cast<ssize_t>(first_bytes.size()));
  }
  return accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
}

}  // namespace socket_tuning_test
