// upstream::decide_retry as a table: which failure, after how many attempts
// on a backend of how many servers, with what retry_on, replayability,
// deadline and budget, gives which action.
#include "upstream/retry_policy.h"

#include <gtest/gtest.h>

#include <ostream>

#include "config/config.h"

namespace gantry::upstream {
namespace {

constexpr uint32_t kDefaultOn = config::kRetryConnectFailure | config::kRetryEmptyResponse;

struct Case {
  const char* what;
  Failure failure;
  uint32_t attempts;
  size_t servers;
  RetryAction expected;
  bool replayable = true;
  uint32_t retry_on = kDefaultOn;
  int status = 0;
  bool budget_ok = true;
  bool past_deadline = false;
  uint32_t retries = 2;
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.what; }

class RetryPolicyTest : public ::testing::TestWithParam<Case> {};

TEST_P(RetryPolicyTest, Decides) {
  const Case& c = GetParam();
  AttemptFacts facts;
  facts.attempts = c.attempts;
  facts.servers = c.servers;
  facts.replayable = c.replayable;
  facts.retry_on = c.retry_on;
  facts.status = c.status;
  facts.budget_ok = c.budget_ok;
  facts.past_deadline = c.past_deadline;
  facts.retries = c.retries;
  EXPECT_EQ(static_cast<int>(decide_retry(c.failure, facts)), static_cast<int>(c.expected));
}

constexpr Failure kConnect = Failure::kConnect;
constexpr Failure kLost = Failure::kReusedConnLost;
constexpr Failure kEmpty = Failure::kEmptyResponse;
constexpr Failure kJunk = Failure::kJunkResponse;
constexpr Failure kTimeout = Failure::kResponseTimeout;
constexpr Failure kStatus = Failure::kStatus;
constexpr RetryAction kGiveUp = RetryAction::kGiveUp;
constexpr RetryAction kFresh = RetryAction::kSameServerFresh;
constexpr RetryAction kOther = RetryAction::kOtherServer;

INSTANTIATE_TEST_SUITE_P(
    Table, RetryPolicyTest,
    ::testing::Values(
        // A failed connect goes to another server while retries allow.
        Case{"connect_first_of_two", kConnect, 1, 2, kOther},
        Case{"connect_second_of_three", kConnect, 2, 3, kOther},
        // The only server: it is tried again, on a new connection.
        Case{"connect_single_server", kConnect, 1, 1, kFresh},
        Case{"connect_every_server_tried", kConnect, 2, 2, kGiveUp},
        // `retries` extra attempts at most, however many servers.
        Case{"connect_third_of_ten", kConnect, 3, 10, kGiveUp},
        Case{"connect_retries_zero", kConnect, 1, 10, kGiveUp, true, kDefaultOn, 0, true, false,
             0},
        Case{"connect_retries_five", kConnect, 5, 10, kOther, true, kDefaultOn, 0, true, false, 5},
        // A reused connection lost before any response byte: another server,
        // or a fresh connection once every server was tried.
        Case{"lost_first_of_two", kLost, 1, 2, kOther},
        Case{"lost_single_server", kLost, 1, 1, kFresh},
        Case{"lost_every_server_tried", kLost, 2, 2, kFresh},
        Case{"lost_past_retries", kLost, 3, 5, kGiveUp},
        // A fresh connection that died without a response.
        Case{"empty_first_of_two", kEmpty, 1, 2, kOther},
        Case{"empty_not_in_retry_on", kEmpty, 1, 2, kGiveUp, true, config::kRetryConnectFailure},
        // Off by default, on when named.
        Case{"junk_default_off", kJunk, 1, 2, kGiveUp},
        Case{"junk_on", kJunk, 1, 2, kOther, true, config::kRetryJunkResponse},
        Case{"timeout_default_off", kTimeout, 1, 2, kGiveUp},
        Case{"timeout_on", kTimeout, 1, 2, kOther, true, config::kRetryResponseTimeout},
        Case{"status_503_on", kStatus, 1, 2, kOther, true, config::kRetry503, 503},
        Case{"status_502_not_named", kStatus, 1, 2, kGiveUp, true, config::kRetry503, 502},
        // A body that outgrew the replay buffer is never sent again.
        Case{"connect_body_not_replayable", kConnect, 1, 3, kGiveUp, false},
        Case{"lost_body_not_replayable", kLost, 1, 3, kGiveUp, false},
        // The budget holds back retries to servers alive but failing, not
        // those after a refused connect or a connection that died.
        Case{"empty_over_budget", kEmpty, 1, 2, kOther, true, kDefaultOn, 0, false},
        Case{"timeout_over_budget", kTimeout, 1, 2, kGiveUp, true, config::kRetryResponseTimeout,
             0, false},
        Case{"status_over_budget", kStatus, 1, 2, kGiveUp, true, config::kRetry503, 503, false},
        Case{"connect_over_budget", kConnect, 1, 2, kOther, true, kDefaultOn, 0, false},
        // Past the request deadline nothing starts.
        Case{"connect_past_deadline", kConnect, 1, 2, kGiveUp, true, kDefaultOn, 0, true, true},
        Case{"connect_no_servers", kConnect, 1, 0, kGiveUp}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.what); });

// Once a bug: with two servers a second failed connect still asked for
// another server, and a request tried A, B, then A again. With every server
// tried, the policy gives up.
TEST(RetryPolicyTest, SecondConnectFailureOfTwoServersGivesUp) {
  AttemptFacts facts;
  facts.attempts = 2;
  facts.servers = 2;
  facts.retries = 2;
  facts.retry_on = kDefaultOn;
  facts.replayable = true;
  facts.budget_ok = true;
  EXPECT_EQ(static_cast<int>(decide_retry(Failure::kConnect, facts)),
            static_cast<int>(RetryAction::kGiveUp));
}

TEST(RetryBudgetTest, AFewRetriesAlwaysThenAShareOfActive) {
  RetryBudget b;
  b.active = 1;
  b.retrying = 2;
  EXPECT_TRUE(b.allows(20));
  b.retrying = 3;
  EXPECT_FALSE(b.allows(20));
  b.active = 100;
  EXPECT_TRUE(b.allows(20));
  b.retrying = 20;
  EXPECT_FALSE(b.allows(20));
}

}  // namespace
}  // namespace gantry::upstream
