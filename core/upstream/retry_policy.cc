#include "upstream/retry_policy.h"

namespace gantry::upstream {
namespace {
constexpr uint32_t kMaxAttempts = 3;
}

RetryAction decide_retry(Failure f, const AttemptFacts& a) {
  if (a.body_sent || a.attempts >= kMaxAttempts) return RetryAction::kGiveUp;
  switch (f) {
    case Failure::kConnect:
      // Every other server once at most: with all of them tried, give up
      // rather than go back to one that just refused.
      return a.attempts < a.servers ? RetryAction::kOtherServer : RetryAction::kGiveUp;
    case Failure::kReusedConnLost:
      // The server closed an idle connection just as it was reused: that says
      // nothing about the server, so a fresh connection to it is fine.
      return RetryAction::kSameServerFresh;
  }
  return RetryAction::kGiveUp;
}

}  // namespace gantry::upstream
