#include "harness/free_port.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

namespace gantry::itest {
namespace {

// Port -> the socket that holds it. Closed by release_port() or at exit.
std::mutex reservations_mu;
std::map<uint16_t, int>& reservations() {
  static std::map<uint16_t, int> held;
  return held;
}

// Inodes of the sockets listening on `port` in /proc/net/tcp or tcp6.
std::set<std::string> listening_inodes(uint16_t port) {
  std::set<std::string> out;
  char local_port[8];
  std::snprintf(local_port, sizeof local_port, ":%04X", port);
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream f(table);
    std::string line;
    std::getline(f, line);  // the column names
    while (std::getline(f, line)) {
      std::istringstream in(line);
      std::string sl, local, remote, state, queues, timer, retrans, uid, timeout, inode;
      in >> sl >> local >> remote >> state >> queues >> timer >> retrans >> uid >> timeout >> inode;
      if (state == "0A" && local.size() > 5 && local.compare(local.size() - 5, 5, local_port) == 0)
        out.insert(inode);
    }
  }
  return out;
}

}  // namespace

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  int one = 1;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = 0;
  socklen_t len = sizeof(sa);
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind to 127.0.0.1:0 failed");
  }
  uint16_t port = ntohs(sa.sin_port);
  std::lock_guard<std::mutex> lock(reservations_mu);
  reservations()[port] = fd;
  return port;
}

void release_port(uint16_t port) {
  std::lock_guard<std::mutex> lock(reservations_mu);
  auto it = reservations().find(port);
  if (it == reservations().end()) return;
  ::close(it->second);
  reservations().erase(it);
}

bool process_listens_on(int pid, uint16_t port) {
  std::set<std::string> wanted = listening_inodes(port);
  if (wanted.empty()) return false;
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return false;
  bool found = false;
  while (dirent* e = ::readdir(d)) {
    char target[64];
    ssize_t n = ::readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    std::string t(target, static_cast<size_t>(n));
    // "socket:[12345]"
    if (t.rfind("socket:[", 0) == 0 && wanted.count(t.substr(8, t.size() - 9))) {
      found = true;
      break;
    }
  }
  ::closedir(d);
  return found;
}

PortBlocker::PortBlocker(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  if (fd_ >= 0 && (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
                   ::listen(fd_, 8) != 0)) {
    release();
  }
}

void PortBlocker::release() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace gantry::itest
