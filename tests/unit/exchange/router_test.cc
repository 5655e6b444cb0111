// exchange::route on hand-built configs, no loop: no rules sends everything
// to the first backend; rules match by path prefix and by host (without its
// port, case-insensitively), all matchers of a rule must match, the first
// matching rule wins, and a rule may answer locally instead.
#include "exchange/router.h"

#include <gtest/gtest.h>

#include <string>

namespace gantry::exchange {
namespace {

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    cfg_.backends.resize(3);
    cfg_.backends[0].name = "web";
    cfg_.backends[1].name = "api";
    cfg_.backends[2].name = "static";
    cfg_.routes.reserve(16);  // rule() hands out references into it
  }
  config::Route& rule(std::string prefix, std::string host, int backend) {
    config::Route r;
    r.path_prefix = std::move(prefix);
    r.host = std::move(host);
    r.backend = backend;
    cfg_.routes.push_back(std::move(r));
    return cfg_.routes.back();
  }
  config::Route& answer(std::string prefix, int status, std::string body) {
    config::Route& r = rule(std::move(prefix), {}, -1);
    r.has_respond = true;
    r.respond.status = status;
    r.respond.body = std::move(body);
    return r;
  }
  // The backend index a request for `host` + `path` goes to (-1: none).
  int backend_for(std::string_view host, std::string_view path) {
    http::Head req;
    req.method = "GET";
    req.target = path;
    if (!host.empty()) req.add(arena_, "Host", host);
    RouteResult r = route(cfg_, req, path);
    EXPECT_EQ(r.respond, nullptr);
    return r.backend;
  }

  config::Config cfg_;
  Arena arena_;
};

TEST_F(RouterTest, NoRulesGoToTheFirstBackend) {
  EXPECT_EQ(backend_for("a.example", "/anything"), 0);
  EXPECT_EQ(backend_for("", "/"), 0);
}

TEST_F(RouterTest, NoRulesAndNoBackendsGoNowhere) {
  cfg_.backends.clear();
  EXPECT_EQ(backend_for("a.example", "/"), -1);
}

TEST_F(RouterTest, PathPrefix) {
  rule("/api/", {}, 1);
  rule("/static", {}, 2);
  rule("/", {}, 0);
  EXPECT_EQ(backend_for("h", "/api/users"), 1);
  EXPECT_EQ(backend_for("h", "/api/"), 1);
  EXPECT_EQ(backend_for("h", "/api"), 0);  // shorter than the prefix
  EXPECT_EQ(backend_for("h", "/static/app.js"), 2);
  EXPECT_EQ(backend_for("h", "/staticfiles"), 2);  // a plain prefix, not a path segment
  EXPECT_EQ(backend_for("h", "/other"), 0);
}

TEST_F(RouterTest, PathPrefixIsCaseSensitive) {
  rule("/api", {}, 1);
  rule("", {}, 0);
  EXPECT_EQ(backend_for("h", "/API/x"), 0);
}

TEST_F(RouterTest, HostWithoutPortAndCaseInsensitive) {
  rule({}, "api.example.com", 1);
  rule({}, "[::1]", 2);
  rule({}, {}, 0);
  EXPECT_EQ(backend_for("api.example.com", "/"), 1);
  EXPECT_EQ(backend_for("API.Example.COM:8443", "/"), 1);
  EXPECT_EQ(backend_for("[::1]:8080", "/"), 2);
  EXPECT_EQ(backend_for("[::1]", "/"), 2);
  EXPECT_EQ(backend_for("www.example.com", "/"), 0);
  EXPECT_EQ(backend_for("api.example.com.evil", "/"), 0);
}

TEST_F(RouterTest, RequestWithoutHostMatchesNoHostRule) {
  rule({}, "api.example.com", 1);
  EXPECT_EQ(backend_for("", "/"), -1);
}

TEST_F(RouterTest, EveryMatcherOfARuleMustMatch) {
  rule("/v2", "api.example.com", 1);
  rule("/v2", {}, 2);
  EXPECT_EQ(backend_for("api.example.com", "/v2/x"), 1);
  EXPECT_EQ(backend_for("www.example.com", "/v2/x"), 2);
  EXPECT_EQ(backend_for("api.example.com", "/v1/x"), -1);
}

TEST_F(RouterTest, FirstMatchingRuleWins) {
  rule("/", {}, 0);
  rule("/api", {}, 1);  // never reached: the rule above matches everything
  EXPECT_EQ(backend_for("h", "/api/x"), 0);
}

TEST_F(RouterTest, NoMatchingRuleGoesNowhereEvenWithBackends) {
  rule("/api", {}, 1);
  EXPECT_EQ(backend_for("h", "/web"), -1);
}

TEST_F(RouterTest, RespondRuleAnswersLocally) {
  answer("/healthz", 204, "");
  config::Route& teapot = answer("/tea", 418, "short and stout\n");
  rule({}, {}, 0);
  http::Head req;
  req.add(arena_, "Host", "h");
  RouteResult r = route(cfg_, req, "/tea/pot");
  EXPECT_EQ(r.backend, -1);
  ASSERT_EQ(r.respond, &teapot.respond);
  EXPECT_EQ(r.respond->status, 418);
  r = route(cfg_, req, "/healthz");
  ASSERT_NE(r.respond, nullptr);
  EXPECT_EQ(r.respond->status, 204);
  EXPECT_EQ(backend_for("h", "/x"), 0);
}

TEST_F(RouterTest, MatchesThePathGivenNotTheTarget) {
  // The exchange passes the path without its query.
  rule("/search", {}, 1);
  http::Head req;
  req.target = "/other?next=/search";
  req.add(arena_, "Host", "h");
  EXPECT_EQ(route(cfg_, req, "/other").backend, -1);
  EXPECT_EQ(route(cfg_, req, "/search").backend, 1);
}

}  // namespace
}  // namespace gantry::exchange
