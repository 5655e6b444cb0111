#pragma once
// Asynchronous name resolution with c-ares, driven by a libuv loop (the main
// thread's): one uv_poll per c-ares socket and one uv_timer for its
// retransmissions, so a slow or dead name server never blocks a loop.
// A and AAAA records of a name become socket addresses with the given port.
#include <ares.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"

namespace gantry::discovery {

struct ResolverOptions {
  // "ip:port" or "ip" (port 53); empty: the system's /etc/resolv.conf.
  std::vector<std::string> nameservers;
  uint64_t timeout_ms = 2000;  // per attempt
  uint32_t attempts = 2;
};

enum class ResolveStatus : uint8_t { kOk, kNoRecords, kFailed };

struct ResolveResult {
  ResolveStatus status = ResolveStatus::kFailed;
  std::vector<config::Address> addresses;  // text "ip:port" / "[ip]:port", sorted
  std::string why;                          // set unless kOk
};

class DnsResolver {
 public:
  using Done = std::function<void(ResolveResult)>;

  explicit DnsResolver(uv_loop_t* loop);
  ~DnsResolver();
  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;

  // False (and *why) if c-ares cannot start with these options.
  bool start(const ResolverOptions& opts, std::string* why);
  // Resolves `host` (A and AAAA); `done` runs later on the loop, exactly
  // once, also when the resolver is stopped first (with kFailed).
  void resolve(const std::string& host, uint16_t port, Done done);
  // Cancels what is pending and closes the loop handles.
  void stop();

 private:
  struct Query;
  struct Poll;
  static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable);
  static void on_addrinfo(void* arg, int status, int timeouts, ares_addrinfo* res);
  void arm_timer();

  uv_loop_t* loop_;
  ares_channel channel_ = nullptr;
  uv_timer_t* timer_ = nullptr;  // heap: closed asynchronously
  std::map<ares_socket_t, Poll*> polls_;
};

}  // namespace gantry::discovery
