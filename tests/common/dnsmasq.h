#pragma once
// A real dnsmasq on 127.0.0.1 that serves one hosts file, for the discovery
// tests. dnsmasq binds its port for UDP and TCP; under `ctest -j` another
// test can take that port between our probe and dnsmasq's bind, and dnsmasq
// then exits ("Address already in use"). start() sees the exit and tries a
// new port instead of leaving the test to time out against a dead server.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

namespace gantry::test {

class Dnsmasq {
 public:
  Dnsmasq() = default;
  ~Dnsmasq() { stop(); }
  Dnsmasq(const Dnsmasq&) = delete;
  Dnsmasq& operator=(const Dnsmasq&) = delete;

  static std::string binary() {
    if (::access("/usr/sbin/dnsmasq", X_OK) == 0) return "/usr/sbin/dnsmasq";
    return "";
  }

  // Starts dnsmasq with `hosts_file` as its only data and stderr in
  // `log_file`; true once it has bound its port and read the file.
  bool start(const std::string& hosts_file, const std::string& log_file) {
    hosts_ = hosts_file;
    log_ = log_file;
    for (int attempt = 0; attempt < 10; ++attempt) {
      port_ = udp_and_tcp_free_port();
      if (port_ == 0) continue;
      spawn();
      if (pid_ < 0) return false;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (std::chrono::steady_clock::now() < deadline) {
        if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
          pid_ = -1;  // lost the port (or worse: the log says which)
          break;
        }
        if (log().find("read " + hosts_) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      stop();
    }
    return false;
  }

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // dnsmasq rereads --addn-hosts files and drops its cache on SIGHUP.
  bool reload() const { return pid_ > 0 && ::kill(pid_, SIGHUP) == 0; }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::string log() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

 private:
  // A port that is free right now for both UDP and TCP on 127.0.0.1, or 0.
  static uint16_t udp_and_tcp_free_port() {
    int udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int tcp = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sin;
    uint16_t port = 0;
    if (udp >= 0 && tcp >= 0 && ::bind(udp, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0 &&
        ::getsockname(udp, reinterpret_cast<sockaddr*>(&sin), &len) == 0 &&
        ::bind(tcp, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0)
      port = ntohs(sin.sin_port);
    if (udp >= 0) ::close(udp);
    if (tcp >= 0) ::close(tcp);
    return port;
  }

  void spawn() {
    std::string port = "--port=" + std::to_string(port_);
    std::string addn = "--addn-hosts=" + hosts_;
    std::string bin = binary();
    pid_ = ::fork();
    if (pid_ != 0) return;
    int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) ::dup2(fd, 2);
    ::execl(bin.c_str(), bin.c_str(), "--keep-in-foreground", "--no-resolv", "--no-hosts",
            "--listen-address=127.0.0.1", "--bind-interfaces", "--user=root", port.c_str(),
            addn.c_str(), "--log-facility=-", static_cast<char*>(nullptr));
    ::_exit(127);
  }

  std::string hosts_;
  std::string log_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace gantry::test
