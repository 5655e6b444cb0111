#include "upstream/retry_policy.h"

#include "config/config.h"

namespace gantry::upstream {
namespace {

uint32_t retry_on_bit(Failure f, int status) {
  switch (f) {
    case Failure::kConnect:
      return config::kRetryConnectFailure;
    case Failure::kReusedConnLost:
    case Failure::kEmptyResponse:
      return config::kRetryEmptyResponse;
    case Failure::kJunkResponse:
      return config::kRetryJunkResponse;
    case Failure::kResponseTimeout:
      return config::kRetryResponseTimeout;
    case Failure::kStatus:
      if (status == 502) return config::kRetry502;
      if (status == 503) return config::kRetry503;
      if (status == 504) return config::kRetry504;
      return 0;
  }
  return 0;
}

}  // namespace

bool spends_budget(Failure f) {
  return f == Failure::kJunkResponse || f == Failure::kResponseTimeout || f == Failure::kStatus;
}

RetryAction decide_retry(Failure f, const AttemptFacts& a) {
  if (!a.replayable || a.past_deadline || a.attempts > a.retries) return RetryAction::kGiveUp;
  // A pooled connection the server closed as it was reused is the keep-alive
  // race, not news about the server: always worth one more connection.
  if (f != Failure::kReusedConnLost && (a.retry_on & retry_on_bit(f, a.status)) == 0)
    return RetryAction::kGiveUp;
  // The budget holds back retries that add load to servers that are alive
  // but failing (bad heads, timeouts, 5xx). A refused connect or a connection
  // that died without a word is retried regardless: each request does it at
  // most `retries` times, and a crashed server's in-flight requests all fail
  // at once, which a budget would turn into errors.
  if (spends_budget(f) && !a.budget_ok) return RetryAction::kGiveUp;
  if (a.servers <= 1) return a.servers == 1 ? RetryAction::kSameServerFresh : RetryAction::kGiveUp;
  // Every server tried once: going back to one that just failed is not a
  // retry worth making, except after the keep-alive race.
  if (a.attempts >= a.servers)
    return f == Failure::kReusedConnLost ? RetryAction::kSameServerFresh : RetryAction::kGiveUp;
  return RetryAction::kOtherServer;
}

}  // namespace gantry::upstream
