// Stickiness cookies, no libuv: take_cookie finds the proxy's cookie in any
// position of any Cookie field and removes it so the server never sees it;
// add_sticky_cookie tells the client its server.
#include "http/cookies.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "http/serializer.h"
#include "util/strings.h"

namespace gantry::http {
namespace {

class TakeCookieTest : public ::testing::Test {
 protected:
  void add(std::string_view name, std::string_view value) { req_.add(arena_, name, value); }
  std::string take(std::string_view name = "SRV") {
    return std::string(take_cookie(req_, arena_, name));
  }
  // The values of the Cookie fields still there, in order.
  std::vector<std::string> cookies() const {
    std::vector<std::string> v;
    for (const HeaderField& h : req_.headers)
      if (!h.name.empty() && iequals(h.name, "cookie")) v.emplace_back(h.value);
    return v;
  }
  using V = std::vector<std::string>;

  Arena arena_;
  Head req_;
};

TEST_F(TakeCookieTest, OnlyCookieRemovesTheWholeField) {
  add("Host", "h");
  add("Cookie", "SRV=s1");
  EXPECT_EQ(take(), "s1");
  EXPECT_EQ(cookies(), V{});
  EXPECT_EQ(req_.find("cookie"), nullptr);
  EXPECT_EQ(req_.live_headers, 1u);  // Host only
}

TEST_F(TakeCookieTest, FirstOfSeveral) {
  add("Cookie", "SRV=s1; a=1; b=2");
  EXPECT_EQ(take(), "s1");
  EXPECT_EQ(cookies(), V{"a=1; b=2"});
  EXPECT_EQ(req_.live_headers, 1u);
}

TEST_F(TakeCookieTest, InTheMiddle) {
  add("Cookie", "a=1; SRV=s1; b=2");
  EXPECT_EQ(take(), "s1");
  EXPECT_EQ(cookies(), V{"a=1; b=2"});
}

TEST_F(TakeCookieTest, Last) {
  add("Cookie", "a=1; b=2; SRV=s1");
  EXPECT_EQ(take(), "s1");
  EXPECT_EQ(cookies(), V{"a=1; b=2"});
}

TEST_F(TakeCookieTest, WithoutSpacesAfterSemicolons) {
  add("Cookie", "a=1;SRV=s1;b=2");
  EXPECT_EQ(take(), "s1");
  EXPECT_EQ(cookies(), V{"a=1; b=2"});
}

TEST_F(TakeCookieTest, AbsentLeavesTheFieldAlone) {
  add("Cookie", "a=1; b=2");
  const char* before = req_.headers[0].value.data();
  EXPECT_EQ(take(), "");
  EXPECT_EQ(cookies(), V{"a=1; b=2"});
  EXPECT_EQ(req_.headers[0].value.data(), before);
  EXPECT_EQ(req_.live_headers, 1u);
}

TEST_F(TakeCookieTest, NoCookieFieldAtAll) {
  add("Host", "h");
  EXPECT_EQ(take(), "");
  EXPECT_EQ(req_.live_headers, 1u);
}

TEST_F(TakeCookieTest, NamesMatchExactlyAndCaseSensitively) {
  // Cookie names are case-sensitive (RFC 6265 5.3); a longer or shorter name
  // that shares a prefix is another cookie.
  add("Cookie", "SRVX=x; XSRV=y; srv=z; SR=w");
  EXPECT_EQ(take(), "");
  EXPECT_EQ(cookies(), V{"SRVX=x; XSRV=y; srv=z; SR=w"});
}

TEST_F(TakeCookieTest, ValueMayContainEqualsSigns) {
  add("Cookie", "SRV=a=b==; c=d");
  EXPECT_EQ(take(), "a=b==");
  EXPECT_EQ(cookies(), V{"c=d"});
}

TEST_F(TakeCookieTest, SeveralCookieFields) {
  add("Cookie", "a=1");
  add("Host", "h");
  add("cookie", "b=2; SRV=s2; c=3");
  add("COOKIE", "d=4");
  EXPECT_EQ(take(), "s2");
  EXPECT_EQ(cookies(), (V{"a=1", "b=2; c=3", "d=4"}));
  EXPECT_EQ(req_.live_headers, 4u);
}

TEST_F(TakeCookieTest, FieldLeftEmptyIsRemovedOthersStay) {
  add("Cookie", "a=1");
  add("Cookie", "SRV=s1");
  add("Cookie", "b=2");
  EXPECT_EQ(take(), "s1");
  EXPECT_EQ(cookies(), (V{"a=1", "b=2"}));
  EXPECT_EQ(req_.live_headers, 2u);
  EXPECT_EQ(req_.count("cookie"), 2u);
}

TEST_F(TakeCookieTest, FieldWithOnlyEmptyPairsLeftIsRemoved) {
  add("Cookie", "SRV=s1; ;");
  EXPECT_EQ(take(), "s1");
  EXPECT_EQ(cookies(), V{});
  EXPECT_EQ(req_.live_headers, 0u);
}

TEST_F(TakeCookieTest, RepeatedCookieIsRemovedEverywhere) {
  add("Cookie", "SRV=s1; a=1");
  add("Cookie", "b=2; SRV=s2");
  std::string v = take();
  EXPECT_TRUE(v == "s1" || v == "s2") << v;
  EXPECT_EQ(cookies(), (V{"a=1", "b=2"}));
}

TEST_F(TakeCookieTest, EmptyValueStillRemovesTheCookie) {
  add("Cookie", "SRV=; a=1");
  EXPECT_EQ(take(), "");
  EXPECT_EQ(cookies(), V{"a=1"});
}

TEST_F(TakeCookieTest, ValueOutlivesLaterArenaUse) {
  add("Cookie", "a=1; SRV=server-seven; b=2");
  std::string_view v = take_cookie(req_, arena_, "SRV");
  for (int i = 0; i < 100; ++i) add("X-Filler", std::string(100, 'x'));
  EXPECT_EQ(v, "server-seven");
}

TEST_F(TakeCookieTest, TheServerNeverSeesTheTakenCookie) {
  add("Host", "h");
  add("Cookie", "SRV=s1");
  add("Cookie", "a=1; SRV=s1");
  take();
  ForwardOptions o;
  o.x_forwarded_for = o.x_forwarded_proto = false;
  std::string wire;
  req_.method = "GET";
  req_.target = "/";
  write_request_head(req_, o, RequestWire{}, &wire);
  EXPECT_EQ(wire, "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\n\r\n");
}

class StickyCookieTest : public ::testing::Test {
 protected:
  std::vector<std::string> values(std::string_view name) const {
    std::vector<std::string> v;
    for (const HeaderField& h : resp_.headers)
      if (!h.name.empty() && iequals(h.name, name)) v.emplace_back(h.value);
    return v;
  }
  using V = std::vector<std::string>;

  Arena arena_;
  Head resp_;
};

TEST_F(StickyCookieTest, SetsTheCookieAndMakesTheResponsePrivate) {
  resp_.status = 200;
  add_sticky_cookie(&resp_, arena_, "SRV", "app-2");
  EXPECT_EQ(values("set-cookie"), V{"SRV=app-2; Path=/; HttpOnly"});
  EXPECT_EQ(values("cache-control"), V{"private"});
  EXPECT_EQ(resp_.live_headers, 2u);
}

TEST_F(StickyCookieTest, KeepsTheServersOwnCookiesAndPrivateCacheControl) {
  resp_.add(arena_, "Set-Cookie", "session=abc");
  resp_.add(arena_, "Cache-Control", "no-store");
  add_sticky_cookie(&resp_, arena_, "SRV", "app-1");
  EXPECT_EQ(values("set-cookie"), (V{"session=abc", "SRV=app-1; Path=/; HttpOnly"}));
  EXPECT_EQ(values("cache-control"), V{"no-store"});
}

// Once a bug: add_sticky_cookie promises that shared caches never hand the sticky
// cookie to anyone else, but it adds "Cache-Control: private" only when the
// server sent no Cache-Control at all. A response the server marked
// "public, max-age=600" keeps that, so a shared cache may store the response
// with its Set-Cookie and give one client's server to every other client.
TEST_F(StickyCookieTest, CacheableResponseIsMadePrivateToo) {
  resp_.add(arena_, "Cache-Control", "public, max-age=600");
  add_sticky_cookie(&resp_, arena_, "SRV", "app-1");
  bool private_or_no_store = false;
  for (const std::string& v : values("cache-control"))
    private_or_no_store |= list_has_token(v, "private") || list_has_token(v, "no-store");
  EXPECT_TRUE(private_or_no_store);
}

}  // namespace
}  // namespace gantry::http
