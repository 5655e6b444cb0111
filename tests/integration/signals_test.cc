// Process control: SIGTERM drains in-flight requests, SIGHUP swaps configs
// without failing a request and keeps the old config when the new one is bad.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

using std::chrono::milliseconds;

class SignalsTest : public IntegrationTest {};

TEST_F(SignalsTest, SigtermCompletesInFlightRequestsThenExitsZero) {
  RecordingBackend backend("drained");
  ScriptedResponse slow;
  slow.body = "drained";
  slow.delay = milliseconds(1500);
  backend.set_response(slow);
  ASSERT_TRUE(backend.start());
  ASSERT_TRUE(start_gantry(write_proxy_config({backend.address()}, "")));

  const int kClients = 3;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RawClient>());
    ASSERT_TRUE(clients.back()->connect(port()));
    ASSERT_TRUE(clients.back()->send(get_request("/slow" + std::to_string(i))));
  }
  ASSERT_TRUE(backend.wait_for_requests(kClients, milliseconds(30000)));
  ASSERT_TRUE(gantry().signal(SIGTERM));
  for (int i = 0; i < kClients; ++i) {
    auto r = clients[i]->read_response(milliseconds(30000));
    ASSERT_TRUE(r.ok()) << "client " << i << ": " << to_string(r.status);
    EXPECT_EQ(r.response.status, 200);
    EXPECT_EQ(r.response.body, "drained");
  }
  auto st = gantry().wait_exit(milliseconds(60000));
  ASSERT_TRUE(st.has_value()) << "gantry did not exit after SIGTERM";
  EXPECT_TRUE(st->ok()) << st->str();
}

TEST_F(SignalsTest, SigtermWithNothingInFlightExitsZero) {
  RecordingBackend backend;
  ASSERT_TRUE(backend.start());
  ASSERT_TRUE(start_gantry(write_proxy_config({backend.address()})));
  ASSERT_TRUE(exchange(port(), get_request("/")).ok());
  ASSERT_TRUE(gantry().signal(SIGTERM));
  auto st = gantry().wait_exit(milliseconds(60000));
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->ok()) << st->str();
}

// Sends requests in a loop (a new connection each time) and records who answered.
class RequestLoop {
 public:
  explicit RequestLoop(uint16_t port) : port_(port), thread_([this] { run(); }) {}
  ~RequestLoop() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  size_t count(const std::string& body) {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (const auto& b : bodies_) n += b == body;
    return n;
  }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  std::vector<std::string> failures() {
    std::lock_guard<std::mutex> lock(mu_);
    return failures_;
  }

 private:
  void run() {
    while (!stop_) {
      auto r = itest::exchange(port_, get_request("/loop"));
      std::lock_guard<std::mutex> lock(mu_);
      if (r.ok() && r.response.status == 200) {
        bodies_.push_back(r.response.body);
      } else {
        failures_.push_back(std::string(to_string(r.status)) + " " +
                            std::to_string(r.response.status) + " " + r.error);
      }
    }
  }
  uint16_t port_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::vector<std::string> failures_;
  std::thread thread_;
};

bool wait_until(const std::function<bool()>& cond, milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

TEST_F(SignalsTest, SighupSwitchesBackendWithoutFailedRequests) {
  RecordingBackend a("A"), b("B");
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(b.start());
  std::string config = write_proxy_config({a.address()});
  ASSERT_TRUE(start_gantry(config));

  // A keep-alive connection opened under the old config.
  RawClient kept;
  ASSERT_TRUE(kept.connect(port()));
  ASSERT_TRUE(kept.send(get_request("/kept")));
  ASSERT_TRUE(kept.read_response().ok());

  RequestLoop loop(port());
  ASSERT_TRUE(wait_until([&] { return loop.count("A") >= 5; }, milliseconds(30000)));
  write_proxy_config({b.address()});
  ASSERT_TRUE(gantry().reload());
  ASSERT_TRUE(wait_until([&] { return loop.count("B") >= 1; }, milliseconds(30000)))
      << "no request reached the new backend";
  size_t b_seen = loop.count("B");
  ASSERT_TRUE(wait_until([&] { return loop.count("B") >= b_seen + 20; }, milliseconds(30000)));
  loop.stop();

  EXPECT_TRUE(loop.failures().empty()) << loop.failures().size() << " failed, first: "
                                       << loop.failures()[0];
  // workers = 1: once a new connection got B, every later one does too.
  auto bodies = loop.bodies();
  auto first_b = std::find(bodies.begin(), bodies.end(), "B");
  EXPECT_EQ(std::count(first_b, bodies.end(), "A"), 0) << "old backend used after the switch";

  // The connection from before the reload still serves requests.
  ASSERT_TRUE(kept.send(get_request("/kept-again")));
  auto r = kept.read_response();
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.response.status, 200);
  EXPECT_TRUE(gantry().running());
}

TEST_F(SignalsTest, SighupWithBrokenConfigKeepsOldConfig) {
  RecordingBackend a("A");
  ASSERT_TRUE(a.start());
  std::string good = proxy_config_template({a.address()}, "");
  ASSERT_TRUE(start_gantry(write_config(good)));
  ASSERT_EQ(exchange(port(), get_request("/")).response.body, "A");

  // Break it on a known line: a route naming a backend that does not exist.
  std::string broken = good + "\n[[route]]\nbackend = \"missing\"\n";
  size_t bad_line = static_cast<size_t>(std::count(broken.begin(), broken.end(), '\n'));
  write_config(broken);
  ASSERT_TRUE(gantry().reload());
  std::string where = "gantry.toml:" + std::to_string(bad_line);
  EXPECT_TRUE(gantry().wait_for_output(where)) << "the log should name " << where;

  for (int i = 0; i < 5; ++i) {
    auto r = exchange(port(), get_request("/still"));
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    EXPECT_EQ(r.response.status, 200);
    EXPECT_EQ(r.response.body, "A");
  }
  EXPECT_TRUE(gantry().running());

  // Fixing the file and reloading again works.
  RecordingBackend b("B");
  ASSERT_TRUE(b.start());
  write_proxy_config({b.address()});
  ASSERT_TRUE(gantry().reload());
  EXPECT_TRUE(wait_until([&] { return exchange(port(), get_request("/")).response.body == "B"; },
                         milliseconds(30000)));
}

}  // namespace
}  // namespace gantry::itest
