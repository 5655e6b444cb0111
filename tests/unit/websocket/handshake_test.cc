// Handshake rules, upgrade policy and config keys, through the module's
// real hooks (on_request_headers, on_upgrade) on the mock host.
#include <gtest/gtest.h>

#include "ws_test_support.h"

namespace gantry::websocket_test {
namespace {

void set_header(MockStream* s, const std::string& name, const std::string& value) {
  for (auto& h : s->headers)
    if (h.first == name) {
      h.second = value;
      return;
    }
  s->headers.emplace_back(name, value);
}
void remove_header(MockStream* s, const std::string& name) {
  for (size_t i = s->headers.size(); i-- > 0;)
    if (s->headers[i].first == name) s->headers.erase(s->headers.begin() + static_cast<long>(i));
}

class HandshakeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(ws_.load()) << ws_.error(); }
  // Runs on_request_headers; returns the status answered (0 = allowed).
  int check(MockStream s, std::string* reason = nullptr) {
    void* ctx = nullptr;
    gantry_action_t a = ws_.request(&s, &ctx);
    ws_.end(&s, ctx);
    EXPECT_EQ(a == GANTRY_DONE, s.responded_status != 0) << "DONE exactly when the module answered";
    if (reason != nullptr) *reason = s.note("ws_refused");
    last_ = s;
    return s.responded_status;
  }
  WsModule ws_;
  MockStream last_;
};

TEST_F(HandshakeTest, ValidHandshakeContinues) {
  MockStream s = valid_handshake();
  void* ctx = nullptr;
  EXPECT_EQ(ws_.request(&s, &ctx), GANTRY_CONTINUE);
  EXPECT_EQ(ctx, nullptr) << "no per-stream state without frame options";
  EXPECT_EQ(ws_.upgrade(&s, ctx, "websocket"), GANTRY_CONTINUE);
  EXPECT_EQ(s.responded_status, 0);
}

TEST_F(HandshakeTest, PlainRequestIsNotTouched) {
  MockStream s;
  s.method = "POST";
  s.headers = {{"Host", "h"}, {"Connection", "keep-alive"}};
  void* ctx = nullptr;
  EXPECT_EQ(ws_.request(&s, &ctx), GANTRY_DECLINED);
  EXPECT_EQ(s.responded_status, 0);
  EXPECT_TRUE(s.log_notes.empty());
}

TEST_F(HandshakeTest, CaseAndListsAreAccepted) {
  MockStream s = valid_handshake();
  set_header(&s, "Upgrade", "WebSocket");
  set_header(&s, "Connection", "keep-alive, UPGRADE");
  EXPECT_EQ(check(s), 0);
  s.headers.emplace_back("Connection", "upgrade");
  set_header(&s, "Connection", "keep-alive");  // the second Connection line has it
  EXPECT_EQ(check(s), 0);
}

TEST_F(HandshakeTest, PostUpgradeIs400) {
  MockStream s = valid_handshake();
  s.method = "POST";
  std::string why;
  EXPECT_EQ(check(s, &why), 400);
  EXPECT_EQ(why, "method");
  s.method = "get";  // methods are case-sensitive
  EXPECT_EQ(check(s), 400);
}

TEST_F(HandshakeTest, Http10Is400) {
  MockStream s = valid_handshake();
  s.version = 10;
  std::string why;
  EXPECT_EQ(check(s, &why), 400);
  EXPECT_EQ(why, "http_version");
}

TEST_F(HandshakeTest, UpgradeWithoutConnectionUpgradeIs400) {
  // The core would not see an upgrade here and would strip Upgrade: without
  // this check a backend would get the handshake as a plain GET.
  MockStream s = valid_handshake();
  set_header(&s, "Connection", "keep-alive");
  std::string why;
  EXPECT_EQ(check(s, &why), 400);
  EXPECT_EQ(why, "connection");
}

TEST_F(HandshakeTest, KeyRules) {
  std::string why;
  MockStream s = valid_handshake();
  remove_header(&s, "Sec-WebSocket-Key");
  EXPECT_EQ(check(s, &why), 400);
  EXPECT_EQ(why, "key_missing");

  s = valid_handshake();
  s.headers.emplace_back("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA==");
  EXPECT_EQ(check(s, &why), 400);
  EXPECT_EQ(why, "key_missing") << "two keys";

  for (const char* bad : {"dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQ=", "c2hvcnQ=",
                          "dGhlIHNhbXBsZSBub25jZ!==", "dGhlIHNhbXBsZSBub25jZQ==AAAA", ""}) {
    s = valid_handshake();
    set_header(&s, "Sec-WebSocket-Key", bad);
    EXPECT_EQ(check(s, &why), 400) << bad;
    EXPECT_EQ(why, std::string(bad).empty() ? "key_invalid" : "key_invalid") << bad;
  }
  s = valid_handshake();
  set_header(&s, "Sec-WebSocket-Key", "  x3JJHMbDL1EzLkh9GBhXDw==  ");  // OWS around it
  EXPECT_EQ(check(s), 0);
}

TEST_F(HandshakeTest, WrongVersionIs426NamingThirteen) {
  for (const char* v : {"8", "12", "14", "13, 8", ""}) {
    MockStream s = valid_handshake();
    set_header(&s, "Sec-WebSocket-Version", v);
    std::string why;
    EXPECT_EQ(check(s, &why), 426) << v;
    EXPECT_EQ(why, "version");
    EXPECT_EQ(resp_header(last_, "Sec-WebSocket-Version"), "13");
    EXPECT_EQ(resp_header(last_, "Upgrade"), "websocket");
  }
  MockStream s = valid_handshake();
  remove_header(&s, "Sec-WebSocket-Version");
  EXPECT_EQ(check(s), 426);
}

TEST_F(HandshakeTest, AnyOriginWithoutAList) {
  MockStream s = valid_handshake();
  s.headers.emplace_back("Origin", "https://anything.example");
  EXPECT_EQ(check(s), 0);
}

TEST(HandshakeOriginTest, AllowedOrigins) {
  WsModule ws;
  ASSERT_TRUE(ws.load("allowed_origins = [\"https://app.example.com\", "
                      "\"https://*.example.org\", \"http://localhost:8080\"]\n"))
      << ws.error();
  auto status = [&](const char* origin) {
    MockStream s = valid_handshake();
    if (origin != nullptr) s.headers.emplace_back("Origin", origin);
    void* ctx = nullptr;
    ws.request(&s, &ctx);
    ws.end(&s, ctx);
    if (s.responded_status == 403) {
      EXPECT_EQ(s.note("ws_refused"), "origin");
    }
    return s.responded_status;
  };
  EXPECT_EQ(status("https://app.example.com"), 0);
  EXPECT_EQ(status("HTTPS://APP.EXAMPLE.COM"), 0) << "origins compare case-insensitively";
  EXPECT_EQ(status("https://a.example.org"), 0);
  EXPECT_EQ(status("https://a.b.example.org"), 0);
  EXPECT_EQ(status("http://localhost:8080"), 0);
  EXPECT_EQ(status(nullptr), 0) << "non-browser clients send no Origin";
  EXPECT_EQ(status("https://example.org"), 403) << "the wildcard needs a subdomain";
  EXPECT_EQ(status("http://app.example.com"), 403) << "scheme matters";
  EXPECT_EQ(status("https://app.example.com.evil.net"), 403);
  EXPECT_EQ(status("https://evilexample.org"), 403);
  EXPECT_EQ(status("http://localhost:8081"), 403);
  EXPECT_EQ(status("null"), 403);
}

TEST_F(HandshakeTest, OnUpgradeChecksAgain) {
  // If the request chain never reached this module, on_upgrade still refuses.
  MockStream s = valid_handshake();
  set_header(&s, "Sec-WebSocket-Version", "7");
  EXPECT_EQ(ws_.upgrade(&s, nullptr, "websocket"), GANTRY_DONE);
  EXPECT_EQ(s.responded_status, 426);
}

TEST_F(HandshakeTest, OtherUpgradesAreRefusedByDefault) {
  MockStream s;
  s.headers = {{"Host", "h"}, {"Upgrade", "h2c"}, {"Connection", "Upgrade, HTTP2-Settings"}};
  void* ctx = nullptr;
  EXPECT_EQ(ws_.request(&s, &ctx), GANTRY_DECLINED);
  EXPECT_EQ(ws_.upgrade(&s, ctx, "h2c"), GANTRY_DECLINED) << "the core then serves plain HTTP/1.1";
  EXPECT_EQ(s.responded_status, 0);
}

TEST(OtherUpgradesTest, RejectAndPass) {
  MockStream s;
  s.headers = {{"Host", "h"}, {"Upgrade", "h2c"}, {"Connection", "Upgrade"}};
  WsModule reject;
  ASSERT_TRUE(reject.load("other_upgrades = \"reject\"\n")) << reject.error();
  MockStream r = s;
  EXPECT_EQ(reject.upgrade(&r, nullptr, "h2c"), GANTRY_DONE);
  EXPECT_EQ(r.responded_status, 400);
  EXPECT_EQ(r.note("upgrade_refused"), "h2c");
  // WebSocket is still validated, not rejected.
  MockStream v = valid_handshake();
  EXPECT_EQ(reject.upgrade(&v, nullptr, "websocket"), GANTRY_CONTINUE);

  WsModule pass;
  ASSERT_TRUE(pass.load("other_upgrades = \"pass\"\n")) << pass.error();
  MockStream p = s;
  EXPECT_EQ(pass.upgrade(&p, nullptr, "h2c"), GANTRY_CONTINUE);
  EXPECT_EQ(p.responded_status, 0);
}

TEST(WebSocketConfigTest, Errors) {
  WsModule ws;
  EXPECT_FALSE(ws.load("other_upgrades = \"maybe\"\n"));
  EXPECT_NE(ws.error().find("other_upgrades"), std::string::npos) << ws.error();
  EXPECT_NE(ws.error().find("gantry.toml:"), std::string::npos) << ws.error();

  EXPECT_FALSE(ws.load("allowed_origins = [\"https://x.example/path\"]\n"));
  EXPECT_NE(ws.error().find("not an origin"), std::string::npos) << ws.error();
  EXPECT_FALSE(ws.load("allowed_origins = [42]\n"));
  EXPECT_FALSE(ws.load("max_frame_size = \"lots\"\n"));
  EXPECT_FALSE(ws.load("max_frame_size = true\n"));
  EXPECT_FALSE(ws.load("count_messages = \"yes\"\n"));
  EXPECT_FALSE(ws.load("max_frame = \"1m\"\n")) << "unknown keys are the host's error";
  EXPECT_NE(ws.error().find("max_frame"), std::string::npos) << ws.error();

  EXPECT_TRUE(ws.load("max_frame_size = \"64k\"\nmax_message_size = 1048576\n"
                      "count_messages = true\nother_upgrades = \"refuse\"\n"
                      "allowed_origins = []\n"))
      << ws.error();
}

}  // namespace
}  // namespace gantry::websocket_test
