// upstream::choose and choose_other without a loop: a module's key names or
// hashes to a server, the stickiness cookie keeps a client on its server
// (and a miss, an unknown or a down server picks afresh and tells the
// client), the source hash follows the client's address.
#include "upstream/selector.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "backend_fixture.h"

namespace gantry::upstream {
namespace {

using config::Balance;

// A choice as the index of its server (-1: none).
struct Picked {
  int server = -1;
  bool insert_cookie = false;
};

Picked choose_with(BackendFixture& f, std::string_view module_key, std::string_view cookie,
                   std::string_view client) {
  Affinity a;
  a.module_key = module_key;
  a.cookie = cookie;
  a.client = client;
  Choice c = choose(*f.state, f.backend, a);
  return {f.index_of(c.server.get()), c.insert_cookie};
}

TEST(SelectorTest, ModuleKeyNamingAServerPicksIt) {
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}}, Balance::kRoundRobin);
  for (int i = 0; i < 5; ++i) {
    Picked c = choose_with(f, "c", {}, "10.0.0.1");
    EXPECT_EQ(c.server, 2);
    EXPECT_FALSE(c.insert_cookie);
  }
}

TEST(SelectorTest, ModuleKeyOverridesCookieBalancing) {
  BackendFixture f({{"a", 1}, {"b", 1}}, Balance::kCookie);
  Picked c = choose_with(f, "b", "a", {});
  EXPECT_EQ(c.server, 1);
  EXPECT_FALSE(c.insert_cookie);  // the module decided; the client's cookie is not rewritten
}

TEST(SelectorTest, ModuleKeyThatIsNoServerNameIsHashed) {
  // A key for a hashing balancer: it stands in for the client's address.
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}}, Balance::kSourceHash);
  int first = choose_with(f, "user-42", {}, "192.0.2.1").server;
  ASSERT_GE(first, 0);
  for (int i = 0; i < 10; ++i) {
    std::string client = "192.0.2." + std::to_string(i);
    EXPECT_EQ(choose_with(f, "user-42", {}, client).server, first);
  }
}

TEST(SelectorTest, ModuleKeyUnderCookieBalancingIsHashedWithoutACookie) {
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}}, Balance::kCookie);
  Picked first = choose_with(f, "user-42", {}, {});
  ASSERT_GE(first.server, 0);
  EXPECT_FALSE(first.insert_cookie);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(choose_with(f, "user-42", {}, {}).server, first.server);
}

TEST(SelectorTest, ModuleKeyThatIsNoServerNameDoesNotPinRoundRobin) {
  // set_balance_key is "a stable key for hashing balancers": round robin
  // goes on rotating.
  BackendFixture f({{"a", 1}, {"b", 1}}, Balance::kRoundRobin);
  EXPECT_EQ(choose_with(f, "user-42", {}, {}).server, 0);
  EXPECT_EQ(choose_with(f, "user-42", {}, {}).server, 1);
}

TEST(SelectorTest, ModuleKeyNamingADownServerFallsBackToHashing) {
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}}, Balance::kSourceHash);
  f.set_up(1, false);
  int first = choose_with(f, "b", {}, "192.0.2.1").server;
  EXPECT_NE(first, 1);
  EXPECT_GE(first, 0);
  EXPECT_EQ(choose_with(f, "b", {}, "192.0.2.2").server, first);
}

TEST(SelectorTest, CookieNamingAnUpServerKeepsTheClientThere) {
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}}, Balance::kCookie);
  for (int i = 0; i < 5; ++i) {
    Picked c = choose_with(f, {}, "b", "10.0.0.1");
    EXPECT_EQ(c.server, 1);
    EXPECT_FALSE(c.insert_cookie);
  }
}

TEST(SelectorTest, NoCookiePicksByRoundRobinAndInsertsOne) {
  BackendFixture f({{"a", 1}, {"b", 1}}, Balance::kCookie);
  Picked c1 = choose_with(f, {}, {}, "10.0.0.1");
  Picked c2 = choose_with(f, {}, {}, "10.0.0.1");
  EXPECT_EQ(c1.server, 0);
  EXPECT_EQ(c2.server, 1);  // new clients are spread, not hashed
  EXPECT_TRUE(c1.insert_cookie);
  EXPECT_TRUE(c2.insert_cookie);
}

TEST(SelectorTest, CookieNamingAnUnknownServerPicksAfresh) {
  BackendFixture f({{"a", 1}, {"b", 1}}, Balance::kCookie);
  Picked c = choose_with(f, {}, "retired-server", {});
  EXPECT_GE(c.server, 0);
  EXPECT_TRUE(c.insert_cookie);
}

TEST(SelectorTest, CookieNamingADownServerPicksAnotherAndTellsTheClient) {
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}}, Balance::kCookie);
  f.set_up(0, false);
  for (int i = 0; i < 6; ++i) {
    Picked c = choose_with(f, {}, "a", {});
    EXPECT_NE(c.server, 0);
    EXPECT_GE(c.server, 0);
    EXPECT_TRUE(c.insert_cookie);
  }
  // Once it is back, its clients return to it.
  f.set_up(0, true);
  Picked c = choose_with(f, {}, "a", {});
  EXPECT_EQ(c.server, 0);
  EXPECT_FALSE(c.insert_cookie);
}

TEST(SelectorTest, NothingUpMeansNoServerAndNoCookie) {
  BackendFixture f({{"a", 1}, {"b", 1}}, Balance::kCookie);
  f.set_up(0, false);
  f.set_up(1, false);
  Picked c = choose_with(f, {}, "a", {});
  EXPECT_EQ(c.server, -1);
  EXPECT_FALSE(c.insert_cookie);
  EXPECT_EQ(choose_with(f, {}, {}, {}).server, -1);
}

TEST(SelectorTest, SourceHashFollowsTheClientAddress) {
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}}, Balance::kSourceHash);
  int s = choose_with(f, {}, {}, "192.0.2.10").server;
  ASSERT_GE(s, 0);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(choose_with(f, {}, {}, "192.0.2.10").server, s);
  std::set<int> seen;
  for (int i = 0; i < 64; ++i)
    seen.insert(choose_with(f, {}, {}, "192.0.2." + std::to_string(i)).server);
  EXPECT_EQ(seen.size(), 3u);
}

TEST(SelectorTest, SourceHashIgnoresTheCookie) {
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}}, Balance::kSourceHash);
  int s = choose_with(f, {}, {}, "192.0.2.10").server;
  for (const char* cookie : {"a", "b", "c"}) {
    Picked c = choose_with(f, {}, cookie, "192.0.2.10");
    EXPECT_EQ(c.server, s);
    EXPECT_FALSE(c.insert_cookie);
  }
}

TEST(SelectorTest, RoundRobinIgnoresClientAndCookie) {
  BackendFixture f({{"a", 1}, {"b", 1}}, Balance::kRoundRobin);
  EXPECT_EQ(choose_with(f, {}, "b", "192.0.2.10").server, 0);
  EXPECT_EQ(choose_with(f, {}, "b", "192.0.2.10").server, 1);
  EXPECT_EQ(choose_with(f, {}, "b", "192.0.2.10").server, 0);
}

TEST(SelectorTest, ChooseOtherNeverReturnsTheFailedServer) {
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}}, Balance::kRoundRobin);
  for (int failed = 0; failed < 3; ++failed) {
    for (int i = 0; i < 6; ++i) {
      int next = f.index_of(choose_other(*f.state, f.avoid(failed)).get());
      EXPECT_NE(next, failed);
      EXPECT_GE(next, 0);
    }
  }
}

TEST(SelectorTest, ChooseOtherAvoidsEveryServerTried) {
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}}, Balance::kRoundRobin);
  std::vector<const Server*> tried = {f.set->servers[0].get(), f.set->servers[2].get()};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(f.index_of(choose_other(*f.state, tried).get()), 1);
  tried.push_back(f.set->servers[1].get());
  EXPECT_EQ(choose_other(*f.state, tried), nullptr);
}

TEST(SelectorTest, ChooseOtherSkipsDownServersAndMayFindNone) {
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}}, Balance::kRoundRobin);
  f.set_up(2, false);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(f.index_of(choose_other(*f.state, f.avoid(0)).get()), 1);
  f.set_up(1, false);
  EXPECT_EQ(f.index_of(choose_other(*f.state, f.avoid(0)).get()), -1);
  BackendFixture one({{"only", 1}}, Balance::kRoundRobin);
  EXPECT_EQ(one.index_of(choose_other(*one.state, one.avoid(0)).get()), -1);
}

}  // namespace
}  // namespace gantry::upstream
