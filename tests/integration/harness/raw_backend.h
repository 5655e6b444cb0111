#pragma once
// A backend that answers with exactly the bytes a test gives it, malformed
// or enormous ones included: the response side of what RawClient is for the
// request side. It reads each request head, records its request line, writes
// the scripted response (a prefix, then any amount of filler generated while
// sending, then a suffix) and closes the connection. Servers bind to
// 127.0.0.1:0; one thread per connection; accessors are thread-safe.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gantry::itest {

struct RawResponse {
  std::string prefix;
  uint64_t filler_bytes = 0;  // this many filler bytes after the prefix, never held in memory
  char filler = 'a';
  std::string filler_unit;  // when set, the filler repeats this string instead
  std::string suffix;
  // The rest of the bytes, written after the prefix only once the client has
  // seen something: lets a test break a response after it began.
  std::string later;
};

class RawBackend {
 public:
  RawBackend() = default;
  ~RawBackend();
  RawBackend(const RawBackend&) = delete;
  RawBackend& operator=(const RawBackend&) = delete;

  bool start();
  void stop();
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void set_response(RawResponse r);
  // Request lines seen so far ("GET /x HTTP/1.1").
  std::vector<std::string> request_lines() const;
  // Bytes of responses actually written (the proxy may close early).
  uint64_t bytes_written() const { return written_; }
  // Lets `later` go out (see RawResponse::later).
  void release_later() { release_ = true; }

 private:
  void accept_loop();
  void serve(int fd);
  bool send_all(int fd, const char* p, size_t n);

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> release_{false};
  std::atomic<uint64_t> written_{0};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<std::thread> threads_;
  std::vector<std::string> lines_;
  RawResponse response_;
};

// VmRSS and VmHWM (peak) of a process, in KiB, from /proc/PID/status; 0 if unknown.
uint64_t process_rss_kib(int pid);
uint64_t process_peak_rss_kib(int pid);

}  // namespace gantry::itest
