// BalancerState without a loop: smooth weighted round robin (nginx's
// sequence), rendezvous hashing (stable per key, and only the keys of a
// server that goes down move), and down servers skipped.
#include "upstream/balancer.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "backend_fixture.h"

namespace gantry::upstream {
namespace {

using config::Balance;

std::vector<const Server*> avoid(const BalancerState& b, int i) {
  if (i < 0) return {};
  return {b.set().servers[i].get()};
}

std::vector<int> picks(BalancerState& b, int n, int exclude = -1) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(b.pick({}, avoid(b, exclude)));
  return v;
}

bool is_up(const BalancerState& b, int i) { return b.set().servers[i]->takes_new(now_ms()); }

// Which server each of `n` keys hashes to.
std::vector<int> key_map(BalancerState& b, int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(b.pick("client-" + std::to_string(i), {}));
  return v;
}

TEST(BalancerTest, EqualWeightsRotate) {
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}}, Balance::kRoundRobin);
  EXPECT_EQ(picks(*f.state, 7), (std::vector<int>{0, 1, 2, 0, 1, 2, 0}));
}

TEST(BalancerTest, SmoothWeightedRoundRobinFollowsNginxSequence) {
  // nginx's documented example: weights 5, 1, 1 give a a b a c a a, with
  // the heavy server's turns spread out rather than bunched.
  BackendFixture f({{"a", 5}, {"b", 1}, {"c", 1}}, Balance::kRoundRobin);
  std::vector<int> cycle{0, 0, 1, 0, 2, 0, 0};
  EXPECT_EQ(picks(*f.state, 7), cycle);
  EXPECT_EQ(picks(*f.state, 7), cycle);  // and again, from the same state
}

TEST(BalancerTest, EachServerGetsItsWeightPerCycle) {
  BackendFixture f({{"a", 3}, {"b", 2}, {"c", 4}, {"d", 1}}, Balance::kRoundRobin);
  for (int cycle = 0; cycle < 3; ++cycle) {
    std::map<int, int> count;
    for (int p : picks(*f.state, 10)) ++count[p];
    EXPECT_EQ(count, (std::map<int, int>{{0, 3}, {1, 2}, {2, 4}, {3, 1}}));
  }
}

TEST(BalancerTest, DownServersAreSkipped) {
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}}, Balance::kRoundRobin);
  f.set_up(1, false);
  for (int p : picks(*f.state, 20)) EXPECT_NE(p, 1);
  f.set_up(0, false);
  EXPECT_EQ(picks(*f.state, 3), (std::vector<int>{2, 2, 2}));
  f.set_up(2, false);
  EXPECT_EQ(f.state->pick({}, {}), -1);
  f.set_up(1, true);
  EXPECT_EQ(f.state->pick({}, {}), 1);
}

TEST(BalancerTest, ExcludedServerIsNotPicked) {
  BackendFixture f({{"a", 5}, {"b", 1}}, Balance::kRoundRobin);
  for (int p : picks(*f.state, 10, 0)) EXPECT_EQ(p, 1);
  BackendFixture one({{"only", 1}}, Balance::kRoundRobin);
  EXPECT_EQ(one.state->pick({}, avoid(*one.state, 0)), -1);
}

TEST(BalancerTest, HashKeepsAKeyOnItsServer) {
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}}, Balance::kSourceHash);
  int first = f.state->pick("10.0.0.1", {});
  ASSERT_GE(first, 0);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(f.state->pick("10.0.0.1", {}), first);
  // Another balancer row (another worker) agrees: the hash has no state.
  BackendFixture g({{"a", 1}, {"b", 1}, {"c", 1}}, Balance::kSourceHash);
  EXPECT_EQ(g.state->pick("10.0.0.1", {}), first);
}

TEST(BalancerTest, HashSpreadsKeysOverEveryServer) {
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}}, Balance::kSourceHash);
  std::map<int, int> count;
  for (int s : key_map(*f.state, 4000)) ++count[s];
  ASSERT_EQ(count.size(), 4u);
  for (auto& [server, n] : count) EXPECT_GT(n, 4000 / 4 / 2) << "server " << server;
}

TEST(BalancerTest, HashMovesOnlyTheKeysOfAServerThatGoesDown) {
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}}, Balance::kSourceHash);
  std::vector<int> before = key_map(*f.state, 2000);
  f.set_up(2, false);
  std::vector<int> during = key_map(*f.state, 2000);
  int moved = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_NE(during[i], 2);
    if (before[i] != 2) {
      EXPECT_EQ(during[i], before[i]) << "key " << i << " moved off a server that stayed up";
    } else {
      ++moved;
    }
  }
  EXPECT_GT(moved, 0);
  // Back up: every key returns to where it was.
  f.set_up(2, true);
  EXPECT_EQ(key_map(*f.state, 2000), before);
}

TEST(BalancerTest, HashDoesNotDependOnServerOrder) {
  // Rendezvous scores a key against each server's name, so listing the
  // servers in another order (or adding one) keeps the other keys put.
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}}, Balance::kSourceHash);
  BackendFixture g({{"c", 1}, {"x", 1}, {"a", 1}, {"b", 1}}, Balance::kSourceHash);
  std::vector<int> in_f = key_map(*f.state, 1000);
  std::vector<int> in_g = key_map(*g.state, 1000);
  for (size_t i = 0; i < in_f.size(); ++i) {
    if (g.name(in_g[i]) == "x") continue;  // taken by the new server
    EXPECT_EQ(g.name(in_g[i]), f.name(in_f[i])) << "key " << i;
  }
}

TEST(BalancerTest, HashFavoursHeavierServers) {
  BackendFixture f({{"light", 1}, {"heavy", 3}}, Balance::kSourceHash);
  std::map<int, int> count;
  for (int s : key_map(*f.state, 2000)) ++count[s];
  EXPECT_GT(count[1], count[0]);
  EXPECT_GT(count[0], 0);
}

TEST(BalancerTest, HashWithExcludeTakesTheNextBest) {
  BackendFixture f({{"a", 1}, {"b", 1}, {"c", 1}}, Balance::kSourceHash);
  int first = f.state->pick("k", {});
  int second = f.state->pick("k", avoid(*f.state, first));
  EXPECT_GE(second, 0);
  EXPECT_NE(second, first);
  // The same as if the first had gone down.
  f.set_up(first, false);
  EXPECT_EQ(f.state->pick("k", {}), second);
}

TEST(BalancerTest, HashingBalancerWithoutAKeyRotates) {
  BackendFixture f({{"a", 1}, {"b", 1}}, Balance::kSourceHash);
  EXPECT_EQ(picks(*f.state, 4), (std::vector<int>{0, 1, 0, 1}));
}

TEST(BalancerTest, FindUpByName) {
  BackendFixture f({{"a", 1}, {"b", 1}}, Balance::kCookie);
  EXPECT_EQ(f.state->find_pinned("b"), 1);
  EXPECT_EQ(f.state->find_pinned("z"), -1);
  EXPECT_EQ(f.state->find_pinned(""), -1);
  EXPECT_EQ(f.state->find_pinned("B"), -1);  // names are exact
  f.set_up(1, false);
  EXPECT_EQ(f.state->find_pinned("b"), -1);
  EXPECT_FALSE(is_up(*f.state, 1));
  EXPECT_TRUE(is_up(*f.state, 0));
}

TEST(BalancerTest, ANewSetIsEveryServerUp) {
  BackendFixture f({{"a", 1}, {"b", 1}}, Balance::kRoundRobin);
  EXPECT_TRUE(is_up(*f.state, 0));
  EXPECT_TRUE(is_up(*f.state, 1));
  EXPECT_EQ(picks(*f.state, 3), (std::vector<int>{0, 1, 0}));
}

}  // namespace
}  // namespace gantry::upstream
