#include "harness/raw_backend.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>

#include "harness/loopback_server.h"

namespace gantry::itest {

RawBackend::~RawBackend() { stop(); }

bool RawBackend::start() {
  listen_fd_ = listen_on_loopback(&port_, 64);
  if (listen_fd_ < 0) return false;
  acceptor_ = std::thread([this] { accept_loop(); });
  return true;
}

void RawBackend::stop() {
  if (stop_.exchange(true)) return;
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

void RawBackend::set_response(RawResponse r) {
  std::lock_guard<std::mutex> lock(mu_);
  response_ = std::move(r);
}

std::vector<std::string> RawBackend::request_lines() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lines_;
}

void RawBackend::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    threads_.emplace_back([this, fd] { serve(fd); });
  }
}

bool RawBackend::send_all(int fd, const char* p, size_t n) {
  // False once the proxy closed: it has seen enough.
  return send_all_until_stopped(fd, p, n, stop_, &written_);
}

void RawBackend::serve(int fd) {
  // Read the request head (the tests send no request bodies).
  std::string in;
  char buf[4096];
  while (!stop_ && in.find("\r\n\r\n") == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    int pr = ::poll(&p, 1, 50);
    if (pr < 0 && errno != EINTR) break;
    if (pr <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  RawResponse r;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (in.find("\r\n") != std::string::npos) lines_.push_back(in.substr(0, in.find("\r\n")));
    r = response_;
  }
  bool ok =
      in.find("\r\n\r\n") != std::string::npos && send_all(fd, r.prefix.data(), r.prefix.size());
  // Filler in 64 KiB pieces: a 256 MiB head costs the test no memory.
  std::string unit = r.filler_unit.empty() ? std::string(1, r.filler) : r.filler_unit;
  std::string piece;
  while (piece.size() < 65536) piece += unit;
  for (uint64_t left = r.filler_bytes; ok && left > 0;) {
    size_t n = left < piece.size() ? static_cast<size_t>(left) : piece.size();
    ok = send_all(fd, piece.data(), n);
    left -= n;
  }
  if (ok) ok = send_all(fd, r.suffix.data(), r.suffix.size());
  if (ok && !r.later.empty()) {
    while (!stop_ && !release_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    send_all(fd, r.later.data(), r.later.size());
  }
  // Let the proxy read what was sent before the close reaches it.
  ::shutdown(fd, SHUT_WR);
  while (!stop_) {
    pollfd p{fd, POLLIN, 0};
    int pr = ::poll(&p, 1, 50);
    if (pr < 0 && errno != EINTR) break;
    if (pr <= 0) continue;
    if (::recv(fd, buf, sizeof buf, 0) <= 0) break;
  }
  ::close(fd);
}

namespace {
uint64_t status_field_kib(int pid, const std::string& field) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.compare(0, field.size() + 1, field + ":") != 0) continue;
    std::istringstream s(line.substr(field.size() + 1));
    uint64_t kib = 0;
    s >> kib;
    return kib;
  }
  return 0;
}
}  // namespace

uint64_t process_rss_kib(int pid) { return status_field_kib(pid, "VmRSS"); }
uint64_t process_peak_rss_kib(int pid) { return status_field_kib(pid, "VmHWM"); }

}  // namespace gantry::itest
