// balance = "cookie": gantry inserts a cookie naming the server that answered
// a new client, pins later requests carrying it to that server, and removes
// it from what servers see ("insert indirect" in HAProxy's words).
//
// What the client receives is checked byte for byte: one Set-Cookie
// `NAME=SERVER; Path=/; HttpOnly`, plus `Cache-Control: private` when the
// server sent no Cache-Control of its own, so that a shared cache never
// hands one client's pin to another (HAProxy's `nocache` does the same).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

using std::chrono::milliseconds;

// Every value of header `name`, in order.
std::vector<std::string> values_of(const HttpMessage& m, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& h : m.headers)
    if (iequals(h.first, name)) out.push_back(h.second);
  return out;
}

class CookiePersistenceTest : public IntegrationTest {
 protected:
  void SetUp() override {
    for (const char* name : {"alpha", "beta", "gamma"}) {
      auto b = std::make_unique<RecordingBackend>(name);
      ASSERT_TRUE(b->start());
      servers_[name] = std::move(b);
    }
  }

  // One backend, balance = "cookie", over the named servers.
  std::string write(const std::vector<std::string>& names, const std::string& backend_extra = "") {
    std::string list;
    for (const std::string& n : names) {
      list += list.empty() ? "" : ", ";
      list += "{ address = \"" + servers_[n]->address() + "\", name = \"" + n + "\" }";
    }
    return write_config("workers = 1\n[log]\naccess = \"stdout\"\n"
                        "[[listener]]\nname = \"main\"\nbind = \"127.0.0.1:{{PORT}}\"\n"
                        "[[backend]]\nname = \"web\"\nbalance = \"cookie\"\nservers = [" + list +
                        "]\n" + backend_extra);
  }

  ReadResult get(const std::string& extra_headers = "") {
    return itest::exchange(port(), get_request("/page", "localhost", extra_headers));
  }

  // The Cookie header(s) the server `name` received with its last request.
  std::vector<std::string> cookies_seen_by(const std::string& name) {
    std::vector<RecordedRequest> reqs = servers_[name]->requests();
    std::vector<std::string> out;
    if (reqs.empty()) return out;
    for (const auto& h : reqs.back().headers)
      if (iequals(h.first, "Cookie")) out.push_back(h.second);
    return out;
  }

  // A response to a request without a valid cookie: 200 from one of
  // `servers`, with exactly one inserted cookie naming it. Returns the server.
  std::string expect_new_cookie(const ReadResult& r, const std::vector<std::string>& servers,
                                const std::string& cookie = "GANTRYSRV") {
    EXPECT_TRUE(r.ok()) << to_string(r.status);
    EXPECT_EQ(r.response.status, 200);
    const std::string& server = r.response.body;
    EXPECT_NE(std::find(servers.begin(), servers.end(), server), servers.end()) << server;
    EXPECT_EQ(values_of(r.response, "Set-Cookie"),
              std::vector<std::string>{cookie + "=" + server + "; Path=/; HttpOnly"})
        << r.response.raw_head;
    return server;
  }

  size_t total_requests() {
    size_t n = 0;
    for (auto& [name, b] : servers_) n += b->request_count();
    return n;
  }

  std::map<std::string, std::unique_ptr<RecordingBackend>> servers_;
};

TEST_F(CookiePersistenceTest, NewClientGetsOneCookieNamingTheServerThatAnswered) {
  ASSERT_TRUE(start_gantry(write({"alpha", "beta"})));
  for (int i = 0; i < 2; ++i) {  // round robin: both servers hand out their cookie
    ReadResult r = get();
    std::string server = expect_new_cookie(r, {"alpha", "beta"});
    EXPECT_EQ(values_of(r.response, "Cache-Control"), std::vector<std::string>{"private"})
        << r.response.raw_head;
    EXPECT_TRUE(cookies_seen_by(server).empty());
  }
  EXPECT_EQ(servers_["alpha"]->request_count(), 1u);
  EXPECT_EQ(servers_["beta"]->request_count(), 1u);
}

TEST_F(CookiePersistenceTest, CookiePinsTheServerAndNeverReachesIt) {
  ASSERT_TRUE(start_gantry(write({"alpha", "beta"})));
  for (const std::string server : {"alpha", "beta"}) {
    SCOPED_TRACE(server);
    size_t before = servers_[server]->request_count();
    for (int i = 0; i < 6; ++i) {
      ReadResult r = get("Cookie: GANTRYSRV=" + server + "\r\n");
      ASSERT_TRUE(r.ok()) << to_string(r.status);
      EXPECT_EQ(r.response.body, server) << "request " << i;
      // A client that already holds a valid cookie gets no new one.
      EXPECT_FALSE(r.response.has_header("Set-Cookie")) << r.response.raw_head;
      EXPECT_FALSE(r.response.has_header("Cache-Control")) << r.response.raw_head;
      EXPECT_TRUE(cookies_seen_by(server).empty()) << cookies_seen_by(server)[0];
    }
    EXPECT_EQ(servers_[server]->request_count(), before + 6);
  }
  EXPECT_EQ(total_requests(), 12u);
}

TEST_F(CookiePersistenceTest, OtherCookiesReachTheServerUntouched) {
  ASSERT_TRUE(start_gantry(write({"alpha", "beta"})));
  struct Case {
    std::string sent;                   // Cookie header lines
    std::vector<std::string> expected;  // Cookie values beta sees
  };
  const Case cases[] = {
      {"Cookie: a=1; GANTRYSRV=beta; b=2\r\n", {"a=1; b=2"}},
      {"Cookie: GANTRYSRV=beta; theme=dark\r\n", {"theme=dark"}},
      {"Cookie: theme=dark; GANTRYSRV=beta\r\n", {"theme=dark"}},
      {"Cookie: a=1\r\nCookie: GANTRYSRV=beta\r\n", {"a=1"}},
      // Names that merely contain ours are other cookies.
      {"Cookie: XGANTRYSRV=alpha; GANTRYSRV=beta; GANTRYSRV2=alpha\r\n",
       {"XGANTRYSRV=alpha; GANTRYSRV2=alpha"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.sent);
    ReadResult r = get(c.sent);
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    EXPECT_EQ(r.response.body, "beta");
    EXPECT_EQ(cookies_seen_by("beta"), c.expected);
  }
}

TEST_F(CookiePersistenceTest, CookieNamingAnUnknownServerIsReplaced) {
  ASSERT_TRUE(start_gantry(write({"alpha", "beta"})));
  std::string server = expect_new_cookie(get("Cookie: GANTRYSRV=gone; a=1\r\n"), {"alpha", "beta"});
  EXPECT_EQ(cookies_seen_by(server), std::vector<std::string>{"a=1"});
}

TEST_F(CookiePersistenceTest, CookieOfAServerRemovedByReloadIsReplaced) {
  std::string cfg = write({"alpha", "beta"});
  ASSERT_TRUE(start_gantry(cfg));
  ReadResult pinned = get("Cookie: GANTRYSRV=beta\r\n");
  ASSERT_TRUE(pinned.ok());
  ASSERT_EQ(pinned.response.body, "beta");

  write({"alpha", "gamma"});
  ASSERT_TRUE(gantry().reload());
  ASSERT_TRUE(gantry().wait_for_output("reload complete")) << gantry().describe();
  size_t beta_before = servers_["beta"]->request_count();
  for (int i = 0; i < 4; ++i) {
    std::string server = expect_new_cookie(get("Cookie: GANTRYSRV=beta\r\n"), {"alpha", "gamma"});
    EXPECT_TRUE(cookies_seen_by(server).empty());
  }
  EXPECT_EQ(servers_["beta"]->request_count(), beta_before);
}

TEST_F(CookiePersistenceTest, ServerHeadersAreKeptNextToTheInsertedCookie) {
  ScriptedResponse own;
  own.body = "alpha";
  own.headers = {{"Set-Cookie", "session=s1; Path=/app; Secure"}, {"Cache-Control", "no-store"}};
  servers_["alpha"]->set_response(own);
  ASSERT_TRUE(start_gantry(write({"alpha"})));
  ReadResult r = get();
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  std::vector<std::string> set = values_of(r.response, "Set-Cookie");
  std::sort(set.begin(), set.end());
  EXPECT_EQ(set, (std::vector<std::string>{"GANTRYSRV=alpha; Path=/; HttpOnly",
                                           "session=s1; Path=/app; Secure"}))
      << r.response.raw_head;
  // The server's own cache policy stands, and is not contradicted by a second one.
  EXPECT_EQ(values_of(r.response, "Cache-Control"), std::vector<std::string>{"no-store"});
}

TEST_F(CookiePersistenceTest, CookieNameComesFromTheConfig) {
  ASSERT_TRUE(start_gantry(write({"alpha", "beta"}, "cookie_name = \"SRV\"\n")));
  // GANTRYSRV is not ours under this config.
  std::string server =
      expect_new_cookie(get("Cookie: GANTRYSRV=beta\r\n"), {"alpha", "beta"}, "SRV");
  EXPECT_EQ(cookies_seen_by(server), std::vector<std::string>{"GANTRYSRV=beta"});
  std::string other = server == "alpha" ? "beta" : "alpha";
  for (int i = 0; i < 3; ++i) {
    ReadResult p = get("Cookie: SRV=" + other + "\r\n");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p.response.body, other);
    EXPECT_TRUE(cookies_seen_by(other).empty());
  }
}

}  // namespace
}  // namespace gantry::itest
