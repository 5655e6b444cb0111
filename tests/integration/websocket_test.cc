// WebSocket through the real gantry binary with the websocket module: a raw
// socket client on one side, an in-process RFC 6455 echo server on the other.
// Covers valid upgrades, handshakes refused before any backend contact, a
// non-101 answer staying HTTP, tunnel timers, half-close both ways, the
// frame size limit and the message counts in the access log.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness/harness.h"
#include "harness/websocket_peers.h"

namespace gantry::itest {
namespace {

using namespace std::chrono_literals;

/* ---- fixture --------------------------------------------------------- */

class WebSocketTest : public IntegrationTest {
 protected:
  void SetUp() override { ASSERT_TRUE(backend_.start()); }
  // gantry with the websocket module; `module_config` goes under
  // [module.config], `extra` at the top level (timeouts...).
  void start(const std::string& module_config = "", const std::string& extra = "") {
    ASSERT_TRUE(start_gantry(
        write_config(websocket_proxy_config(backend_.address(), module_config, extra))));
  }
  // Connects and completes the upgrade: a tunnel through gantry.
  void open_tunnel(WsClient* c) {
    ASSERT_TRUE(c->connect(port()));
    ASSERT_EQ(c->handshake().status, 101);
  }

  WsEchoServer backend_;
};

TEST_F(WebSocketTest, ValidUpgradeTunnelsAndEchoes) {
  ASSERT_NO_FATAL_FAILURE(start());
  WsClient c;
  ASSERT_TRUE(c.connect(port()));
  HttpMessage r = c.handshake();
  ASSERT_EQ(r.status, 101) << r.raw_head;
  EXPECT_EQ(r.header("Sec-WebSocket-Accept"), kWsAccept) << "the backend saw the client's key";
  EXPECT_TRUE(iequals(r.header("Upgrade"), "websocket"));

  auto heads = backend_.heads();
  ASSERT_EQ(heads.size(), 1u);
  std::string h = to_lower(heads[0]);
  EXPECT_NE(h.find("connection: upgrade"), std::string::npos) << heads[0];
  EXPECT_NE(h.find("upgrade: websocket"), std::string::npos) << heads[0];
  EXPECT_NE(h.find("sec-websocket-version: 13"), std::string::npos) << heads[0];

  // Many messages of assorted sizes, then a 1 MiB binary one.
  for (int i = 0; i < 50; ++i) {
    std::string msg = "message " + std::to_string(i) + " " + std::string(i * 37, 'a' + i % 26);
    ASSERT_TRUE(c.send_frame(1, msg));
    WsFrame f = c.next();
    ASSERT_EQ(f.opcode, 1);
    ASSERT_EQ(f.payload, msg);
  }
  std::string big = pattern_bytes(0, 1 << 20);
  ASSERT_TRUE(c.send_frame(2, big));
  WsFrame f = c.next(30s);
  ASSERT_EQ(f.opcode, 2);
  EXPECT_EQ(sha256_hex(f.payload), sha256_hex(big));

  // Client-initiated close: the echo server answers Close and hangs up.
  ASSERT_TRUE(c.send_frame(8, ws_close_payload(1000)));
  f = c.next();
  EXPECT_EQ(f.opcode, 8);
  EXPECT_EQ(f.payload, ws_close_payload(1000));
  EXPECT_TRUE(c.wait_eof());
  c.close();  // as a client does once the close handshake is over
  std::string line = access_log_line("/chat");
  EXPECT_NE(line.find(" 101 "), std::string::npos) << line;
  EXPECT_NE(line.find("upgraded"), std::string::npos) << line;
}

struct BrokenCase {
  const char* name;
  std::string request;
  int status;
  const char* reason;
};

TEST_F(WebSocketTest, BrokenHandshakesAreAnsweredBeforeAnyBackend) {
  ASSERT_NO_FATAL_FAILURE(start("allowed_origins = [\"https://app.example.com\"]\n"));
  const std::string host = "Host: h\r\n";
  const std::string up = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
  const std::string key = std::string("Sec-WebSocket-Key: ") + kWsKey + "\r\n";
  const std::string v13 = "Sec-WebSocket-Version: 13\r\n";
  std::vector<BrokenCase> cases = {
      {"missing key", "GET /ws HTTP/1.1\r\n" + host + up + v13 + "\r\n", 400, "key_missing"},
      {"short key", "GET /ws HTTP/1.1\r\n" + host + up + "Sec-WebSocket-Key: c2hvcnQ=\r\n" + v13 +
                        "\r\n", 400, "key_invalid"},
      {"wrong version", "GET /ws HTTP/1.1\r\n" + host + up + key +
                            "Sec-WebSocket-Version: 8\r\n\r\n", 426, "version"},
      {"no version", "GET /ws HTTP/1.1\r\n" + host + up + key + "\r\n", 426, "version"},
      {"POST upgrade", "POST /ws HTTP/1.1\r\n" + host + up + key + v13 +
                           "Content-Length: 0\r\n\r\n", 400, "method"},
      {"HTTP/1.0", "GET /ws HTTP/1.0\r\n" + host + up + key + v13 + "\r\n", 400, "http_version"},
      {"no Connection: upgrade", "GET /ws HTTP/1.1\r\n" + host + "Upgrade: websocket\r\n" + key +
                                     v13 + "\r\n", 400, "connection"},
      {"foreign origin", "GET /ws HTTP/1.1\r\n" + host + up + key + v13 +
                             "Origin: https://evil.example\r\n\r\n", 403, "origin"},
  };
  for (const BrokenCase& bc : cases) {
    ReadResult r = itest::exchange(port(), bc.request);
    ASSERT_TRUE(r.ok()) << bc.name << ": " << to_string(r.status) << " " << r.error;
    EXPECT_EQ(r.response.status, bc.status) << bc.name;
    if (bc.status == 426) {
      EXPECT_EQ(r.response.header("Sec-WebSocket-Version"), "13") << bc.name;
    }
  }
  EXPECT_TRUE(gantry().wait_for_output("ws_refused=origin", 10s));
  for (const BrokenCase& bc : cases)
    EXPECT_NE(gantry().stdout_text().find(std::string("ws_refused=") + bc.reason),
              std::string::npos)
        << bc.name;
  EXPECT_EQ(backend_.connections(), 0u) << "a broken handshake reached the backend";

  // The same listener still tunnels a good one with an allowed Origin.
  WsClient c;
  ASSERT_TRUE(c.connect(port()));
  EXPECT_EQ(c.handshake("Origin: https://app.example.com\r\n").status, 101);
}

TEST_F(WebSocketTest, NonSwitchingAnswerStaysHttp) {
  backend_.refuse_with("HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n"
                       "Content-Length: 10\r\n\r\nforbidden\n");
  ASSERT_NO_FATAL_FAILURE(start());
  WsClient c;
  ASSERT_TRUE(c.connect(port()));
  HttpMessage r = c.handshake();
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(backend_.connections(), 1u);
  std::string line = access_log_line("/chat");
  EXPECT_NE(line.find(" 403 "), std::string::npos) << line;
  EXPECT_EQ(line.find("upgraded"), std::string::npos) << line;
}

TEST_F(WebSocketTest, TunnelIdleTimeoutClosesAndIsLogged) {
  ASSERT_NO_FATAL_FAILURE(start("", "[timeouts]\ntunnel = \"300ms\"\n"));
  WsClient c;
  ASSERT_NO_FATAL_FAILURE(open_tunnel(&c));
  ASSERT_TRUE(c.send_frame(1, "one"));
  ASSERT_EQ(c.next().payload, "one");
  EXPECT_TRUE(c.wait_eof(30s)) << "the idle tunnel stayed open";
  EXPECT_NE(access_log_line("/chat").find("tunnel_idle_timeout"), std::string::npos)
      << gantry().stdout_text();
}

TEST_F(WebSocketTest, ClientTimersDoNotCutTunnels) {
  // No tunnel timeout configured: the HTTP idle timer must not apply to a tunnel.
  ASSERT_NO_FATAL_FAILURE(start("", "[timeouts]\nclient_idle = \"200ms\"\nserver = \"200ms\"\n"));
  WsClient c;
  ASSERT_NO_FATAL_FAILURE(open_tunnel(&c));
  std::this_thread::sleep_for(1500ms);  // several client_idle periods, no traffic
  ASSERT_TRUE(c.send_frame(1, "still here"));
  EXPECT_EQ(c.next().payload, "still here");
}

TEST_F(WebSocketTest, ClientHalfCloseKeepsServerDirectionOpen) {
  ASSERT_NO_FATAL_FAILURE(start());
  WsClient c;
  ASSERT_NO_FATAL_FAILURE(open_tunnel(&c));
  ASSERT_TRUE(c.send_frame(1, "before fin"));
  ASSERT_EQ(c.next().payload, "before fin");
  c.shutdown_write();
  // The server sees our FIN and can still talk to us.
  WsFrame f = c.next();
  EXPECT_EQ(f.payload, "eof-seen");
  EXPECT_TRUE(c.wait_eof());
  EXPECT_TRUE(backend_.saw_eof());
  EXPECT_NE(access_log_line("/chat").find(" closed"), std::string::npos) << gantry().stdout_text();
}

TEST_F(WebSocketTest, ServerHalfCloseKeepsClientDirectionOpen) {
  ASSERT_NO_FATAL_FAILURE(start());
  WsClient c;
  ASSERT_NO_FATAL_FAILURE(open_tunnel(&c));
  ASSERT_TRUE(c.send_frame(1, "server-fin"));
  EXPECT_EQ(c.next().payload, "fin-coming");
  EXPECT_TRUE(c.wait_eof()) << "the server's FIN was not passed on";
  // Our direction still reaches the server.
  ASSERT_TRUE(c.send_frame(1, "after the server's fin"));
  bool arrived = false;
  for (int i = 0; i < 200 && !arrived; ++i) {
    for (const WsFrame& f : backend_.frames()) arrived |= f.payload == "after the server's fin";
    if (!arrived) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(arrived);
}

TEST_F(WebSocketTest, HalfClosedTunnelEndsAfterClientFin) {
  // The server finished; the client neither sends nor closes: client_fin
  // ends the tunnel and the log names the side it waited for.
  ASSERT_NO_FATAL_FAILURE(start("", "[timeouts]\nclient_fin = \"300ms\"\n"));
  WsClient c;
  ASSERT_NO_FATAL_FAILURE(open_tunnel(&c));
  ASSERT_TRUE(c.send_frame(1, "server-fin"));
  EXPECT_EQ(c.next().payload, "fin-coming");
  EXPECT_TRUE(c.wait_eof()) << "the server's FIN was not passed on";
  std::string line = access_log_line("/chat", 30s);
  EXPECT_NE(line.find("client_fin_timeout"), std::string::npos) << gantry().stdout_text();
}

TEST_F(WebSocketTest, FrameSizeLimitCutsTheTunnel) {
  ASSERT_NO_FATAL_FAILURE(start("max_frame_size = \"64k\"\n"));
  WsClient c;
  ASSERT_NO_FATAL_FAILURE(open_tunnel(&c));
  std::string ok(64 * 1024, 'k');
  ASSERT_TRUE(c.send_frame(2, ok));
  ASSERT_EQ(c.next(30s).payload.size(), ok.size());
  size_t before = backend_.payload_bytes();
  c.send_frame(2, std::string(100 * 1024, 'x'));
  EXPECT_TRUE(c.wait_eof()) << "the oversized frame did not close the tunnel";
  std::string line = access_log_line("/chat");
  EXPECT_NE(line.find("module_closed"), std::string::npos) << line;
  EXPECT_NE(line.find("ws_cut=1009"), std::string::npos) << line;
  EXPECT_NE(line.find("ws_cut_reason=frame_too_big"), std::string::npos) << line;
  EXPECT_EQ(backend_.payload_bytes(), before) << "the oversized frame reached the backend";
}

TEST_F(WebSocketTest, MessageCountsAndCloseCodeInTheLog) {
  ASSERT_NO_FATAL_FAILURE(start("count_messages = true\n"));
  WsClient c;
  ASSERT_NO_FATAL_FAILURE(open_tunnel(&c));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send_frame(1, "m" + std::to_string(i)));
    ASSERT_EQ(c.next().opcode, 1);
  }
  ASSERT_TRUE(c.send_frame(9, "ping"));  // control frames are not messages
  ASSERT_EQ(c.next().opcode, 9);
  ASSERT_TRUE(c.send_frame(8, ws_close_payload(4000)));
  EXPECT_EQ(c.next().opcode, 8);
  EXPECT_TRUE(c.wait_eof());
  c.close();
  std::string line = access_log_line("/chat");
  EXPECT_NE(line.find("ws_close=4000 ws_close_by=client"), std::string::npos) << line;
  EXPECT_NE(line.find("ws_msgs_in=3 ws_msgs_out=3"), std::string::npos) << line;
}

TEST_F(WebSocketTest, OtherUpgradesAreDroppedByDefault) {
  ASSERT_NO_FATAL_FAILURE(start());
  ReadResult r = itest::exchange(port(), "GET /h2 HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n"
                                         "Connection: Upgrade, HTTP2-Settings\r\n"
                                         "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.body, "plain\n");
  auto heads = backend_.heads();
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_EQ(to_lower(heads[0]).find("upgrade: h2c"), std::string::npos) << heads[0];
}

TEST_F(WebSocketTest, OtherUpgradesRejected) {
  ASSERT_NO_FATAL_FAILURE(start("other_upgrades = \"reject\"\n"));
  ReadResult r = itest::exchange(port(), "GET /h2 HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n"
                                         "Connection: Upgrade\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.response.status, 400);
  EXPECT_EQ(backend_.connections(), 0u);
}

TEST_F(WebSocketTest, ManyTunnelsHeldOpenAtOnce) {
  // Every tunnel is opened before any is used, so they are all open at once;
  // then each echoes a message of its own, with frame awareness on.
  ASSERT_NO_FATAL_FAILURE(start("count_messages = true\n"));
  constexpr int kTunnels = 400;
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < kTunnels; ++i) {
    clients.push_back(std::make_unique<WsClient>());
    ASSERT_TRUE(clients.back()->connect(port())) << i;
    ASSERT_EQ(clients.back()->handshake().status, 101) << i;
  }
  EXPECT_EQ(backend_.connections(), static_cast<size_t>(kTunnels));
  for (int i = 0; i < kTunnels; ++i) ASSERT_TRUE(clients[i]->send_frame(1, "t" + std::to_string(i)));
  for (int i = 0; i < kTunnels; ++i) ASSERT_EQ(clients[i]->next().payload, "t" + std::to_string(i));
  EXPECT_TRUE(gantry().running());
}

TEST_F(WebSocketTest, BackendGoneMidTunnelClosesTheClient) {
  ASSERT_NO_FATAL_FAILURE(start());
  WsClient c;
  ASSERT_NO_FATAL_FAILURE(open_tunnel(&c));
  ASSERT_TRUE(c.send_frame(1, "hello"));
  ASSERT_EQ(c.next().payload, "hello");
  backend_.stop();
  EXPECT_TRUE(c.wait_eof());
  EXPECT_TRUE(gantry().running());
  // gantry still answers (the backend is gone: a 502/503, not a hang).
  ReadResult r = itest::exchange(port(), get_request("/after"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_GE(r.response.status, 500);
}

}  // namespace
}  // namespace gantry::itest
