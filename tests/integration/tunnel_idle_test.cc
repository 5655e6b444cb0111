// The tunnel idle timeout ([timeouts] tunnel) counts quiet time, not age: a
// byte in either direction pushes the deadline back. So a tunnel whose
// traffic flows one way only stays open for many timeouts, and the same
// tunnel closes once both sides fall silent.
//
// The timeout is 1 s and traffic comes every 100 ms for 4 s: a timer that
// one direction fails to re-arm cuts the tunnel after about a second, while
// a loaded machine has ten times the slack it needs.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "harness/harness.h"
#include "harness/websocket_peers.h"
#include "ws_frame.h"

namespace gantry::itest {
namespace {

using namespace std::chrono_literals;

constexpr auto kBusyFor = 4000ms;
constexpr auto kGap = 100ms;

class TunnelIdleTest : public IntegrationTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(backend_.start());
    ASSERT_TRUE(start_gantry(write_config(
        websocket_proxy_config(backend_.address(), "", "[timeouts]\ntunnel = \"1s\"\n"))));
    ASSERT_TRUE(client_.connect(port()));
    ASSERT_EQ(client_.handshake().status, 101);
  }

  // Once traffic stops, the quiet tunnel must close, logged as idle.
  void expect_idle_close() {
    EXPECT_TRUE(client_.wait_eof(15s)) << "the tunnel stayed open with no traffic";
    EXPECT_TRUE(backend_.wait_eof(15s));
    std::string line = gantry().access_line("/chat");
    EXPECT_NE(line.find("tunnel_idle_timeout"), std::string::npos) << gantry().stdout_text();
  }

  WsRawBackend backend_;
  WsClient client_;
};

TEST_F(TunnelIdleTest, ClientTrafficAloneKeepsTheTunnelOpen) {
  std::string sent;
  auto until = std::chrono::steady_clock::now() + kBusyFor;
  int frames = 0;
  while (std::chrono::steady_clock::now() < until) {
    std::string frame = test::ws_frame(2, "client " + std::to_string(frames++), true, true);
    ASSERT_TRUE(client_.send_raw(frame)) << "frame " << frames;
    sent += frame;
    // The pause between frames doubles as the check that nothing closed.
    ASSERT_FALSE(client_.wait_eof(kGap)) << "the tunnel closed after " << frames << " frames";
  }
  EXPECT_TRUE(backend_.wait_received(sent.size(), 10s));
  EXPECT_EQ(backend_.received(), sent);
  EXPECT_FALSE(backend_.saw_eof());
  EXPECT_EQ(client_.buffered(), "") << "the backend sent nothing";
  expect_idle_close();
}

TEST_F(TunnelIdleTest, ServerTrafficAloneKeepsTheTunnelOpen) {
  std::string sent;
  auto until = std::chrono::steady_clock::now() + kBusyFor;
  int frames = 0;
  while (std::chrono::steady_clock::now() < until) {
    std::string frame = test::ws_frame(2, "server " + std::to_string(frames++));
    ASSERT_TRUE(backend_.send(frame)) << "frame " << frames;
    sent += frame;
    ASSERT_FALSE(client_.wait_eof(kGap)) << "the tunnel closed after " << frames << " frames";
  }
  for (int i = 0; i < 100 && client_.buffered().size() < sent.size(); ++i) client_.wait_eof(kGap);
  EXPECT_EQ(client_.buffered(), sent);
  EXPECT_EQ(backend_.received(), "") << "the client sent nothing";
  expect_idle_close();
}

}  // namespace
}  // namespace gantry::itest
