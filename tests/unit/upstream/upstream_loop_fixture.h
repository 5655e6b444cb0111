#pragma once
// The upstream room on a real loop: a worker's Pool, one server (a loopback
// listener whose accepted connections record what they get), the connect
// target the connector needs, and users that record what UpstreamConn
// reports to them.
#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "loop_fixture.h"
#include "module_loader/generation.h"
#include "module_loader/handles.h"
#include "upstream/connector.h"
#include "upstream/pool.h"
#include "upstream/upstream_conn.h"

namespace gantry::upstream {

class RecordingUser final : public UpstreamEvents {
 public:
  int ready = 0;
  std::vector<int> connect_failed;
  std::string data;
  int eofs = 0;
  std::vector<int> errors;
  int timeouts = 0;
  int drained = 0;

  void on_upstream_ready() override { ++ready; }
  void on_upstream_connect_failed(int err) override { connect_failed.push_back(err); }
  void on_upstream_data(const char* p, size_t n) override { data.append(p, n); }
  void on_upstream_eof() override { ++eofs; }
  void on_upstream_error(int err) override { errors.push_back(err); }
  void on_upstream_timeout() override { ++timeouts; }
  void on_upstream_drained() override { ++drained; }
  int events() const {
    return ready + static_cast<int>(connect_failed.size() + data.size() + errors.size()) + eofs +
           timeouts + drained;
  }
};

class UpstreamLoopTest : public ::testing::Test {
 protected:
  UpstreamLoopTest() {
    server_addr_.address.text = "127.0.0.1:" + std::to_string(server_.port());
    const sockaddr_in& sa = server_.address();
    std::memcpy(&server_addr_.address.sa, &sa, sizeof sa);
    server_addr_.address.len = sizeof sa;
    server_addr_.name = server_addr_.address.text;
  }

  void TearDown() override {
    // Whatever a test left idle goes; anything still active is the test's
    // own leak, and uv_loop_close() reports it.
    pool_.drain({});
    loop_.run_until([&] { return pool_.open() == 0; });
    EXPECT_EQ(pool_.open(), 0u);
    server_.close();
    clock_.close();
    EXPECT_EQ(loop_.close(), 0);
  }

  // What the connector needs to reach the server under pool key `key`.
  ConnectTarget target(const std::string& key, uint32_t cap = 8, uint64_t idle_ms = 60000,
                       const config::Server* server = nullptr) {
    ConnectTarget t;
    t.address = server != nullptr ? &server->address : &server_addr_.address;
    t.pool_key = &keys_.emplace_back(key);
    t.gen = &gen_;
    t.scope = &scope_;
    t.tls_server_name = &sni_;
    t.keep.cap = cap;
    t.keep.idle_timeout_ms = idle_ms;
    t.connect_timeout_ms = 10000;
    return t;
  }

  Acquired acquire(const ConnectTarget& t, RecordingUser* user, size_t pending = 0) {
    return upstream::acquire(pool_, t, user, &stream_, pending);
  }

  // A connection to the server, connected and attached to `user`.
  UpstreamConn* connected(const ConnectTarget& t, RecordingUser* user) {
    size_t before = server_.accepted();
    Acquired a = acquire(t, user);
    EXPECT_EQ(static_cast<int>(a.how), static_cast<int>(Acquired::How::kConnecting));
    if (a.conn == nullptr) return nullptr;
    EXPECT_TRUE(loop_.run_until([&] { return user->ready == 1 && server_.accepted() > before; }));
    a.conn->conn()->start_read();  // as the exchange does once it is ready
    return a.conn;
  }

  // The server's end of the n-th connection it accepted.
  unit_test::RecordingConn& server_side(size_t n) { return server_.peer(n); }
  bool run_until(const std::function<bool()>& done) { return loop_.run_until(done); }

  unit_test::TestLoop loop_;
  loop::DeadlineClock clock_{loop_.worker().loop()};
  Pool pool_{&loop_.worker(), &clock_};
  unit_test::LoopbackServer server_{&loop_.worker()};
  config::Server server_addr_;
  modules::Generation gen_;
  modules::ScopeState scope_;
  std::string sni_;
  std::deque<std::string> keys_;  // pool keys outlive the targets that point at them
  gantry_stream stream_;
};

}  // namespace gantry::upstream
