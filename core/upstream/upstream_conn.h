#pragma once
// A connection to one backend server: used by one exchange at a time while
// active, kept by the worker's Pool while idle. It moves bytes only; the
// user parses them. Its life is a phase, never a set of flags.
#include <cstdint>
#include <string>

#include "loop/deadline_clock.h"
#include "net/conn.h"
#include "upstream/upstream_events.h"

namespace gantry::upstream {

class Pool;

class UpstreamConn final : public net::ConnHandler, private loop::DeadlineClock::Entry {
 public:
  enum class Phase : uint8_t {
    kConnecting,  // TCP/TLS connect in flight
    kActive,      // connected, attached to a user
    kIdle,        // in the pool, reading only to notice a server-side close
    kClosed,      // close() was called; on_conn_closed frees it
  };

  // How a connection may be kept idle: at most `cap` per pool key, for
  // `idle_timeout_ms`. Fixed when the connection is made.
  struct Keep {
    uint32_t cap = 0;
    uint64_t idle_timeout_ms = 0;
  };

  // `key` names the pool slot (server identity plus transport context).
  UpstreamConn(Pool* pool, std::string key, std::string server_name, Keep keep);
  UpstreamConn(const UpstreamConn&) = delete;
  UpstreamConn& operator=(const UpstreamConn&) = delete;

  net::Conn* conn() { return conn_; }
  const std::string& key() const { return key_; }
  const std::string& server_name() const { return server_name_; }
  Phase phase() const { return phase_; }
  bool connected() const { return phase_ == Phase::kActive || phase_ == Phase::kIdle; }
  // Served a request before the current one: the server may have closed it.
  bool reused() const { return uses_ > 1; }

  // A new user for the connection: each attach counts as one use.
  void attach(UpstreamEvents* user);
  // The same use goes on under another user (an exchange hands its
  // connection to the tunnel that follows a 101).
  void hand_over(UpstreamEvents* user) { user_ = user; }
  // Done with it: back to the pool if `reusable` (and the pool has room),
  // else closed. The user must not touch it afterwards.
  void release(bool reusable);
  void close();
  // The connection's one deadline (connect, or the server's silence), on the
  // worker's clock; it ends in UpstreamEvents::on_upstream_timeout. 0 disarms.
  void arm(uint64_t ms);
  void disarm() { arm(0); }

 private:
  friend class Pool;
  void enter_pool(uint64_t idle_timeout_ms);
  void leave_pool();

  void on_conn_data(net::Conn* c, const char* p, size_t n) override;
  void on_conn_eof(net::Conn* c) override;
  void on_conn_error(net::Conn* c, int err) override;
  void on_conn_timeout(net::Conn* c) override;
  void on_conn_connected(net::Conn* c, int status) override;
  void on_conn_drained(net::Conn* c) override;
  void on_conn_closed(net::Conn* c) override;
  static void on_deadline(loop::DeadlineClock::Entry* e);

  Pool* pool_;
  net::Conn* conn_;
  // Copied once per connection: a pooled connection outlives the config
  // generation it was made for.
  std::string key_;
  std::string server_name_;  // "host:port", for logs
  UpstreamEvents* user_ = nullptr;
  Keep keep_;
  uint32_t uses_ = 0;
  Phase phase_ = Phase::kConnecting;
};

}  // namespace gantry::upstream
