#pragma once
// When a failed upstream attempt is tried again, and where. The exchange asks
// after every failure that came before any response byte reached the client;
// the policy only decides.
#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace gantry::upstream {

enum class Failure : uint8_t {
  kConnect,          // the connection could not be made (refused, timed out)
  kReusedConnLost,   // a pooled connection closed before any response byte
  kEmptyResponse,    // a fresh connection closed or reset before any response byte
  kJunkResponse,     // the response head was malformed
  kResponseTimeout,  // no response head within the per-try timeout
  kStatus,           // a whole response head with a status retry_on names
};

enum class RetryAction : uint8_t {
  kGiveUp,
  kSameServerFresh,  // a new connection to the same server (it is the only one)
  kOtherServer,      // redispatch to a server not tried yet for this request
};

struct AttemptFacts {
  uint32_t attempts = 0;      // attempts so far, the failed one included
  uint32_t retries = 0;       // the backend's `retries`
  uint32_t retry_on = 0;      // config::RetryOn bits
  int status = 0;             // for kStatus
  size_t servers = 0;         // servers in the backend
  bool replayable = false;    // the request can be sent again whole (body within retry_buffer)
  bool past_deadline = false; // timeouts.request is over
  bool budget_ok = false;     // the retry budget has room
};

RetryAction decide_retry(Failure f, const AttemptFacts& a);
// Whether retrying `f` counts against the retry budget.
bool spends_budget(Failure f);

// Retries in flight against requests in flight, for one backend on one
// worker, so retries cannot multiply the load of an outage.
struct RetryBudget {
  uint32_t active = 0;    // requests of the backend with a leg
  uint32_t retrying = 0;  // of those, the ones on a retry
  // A few retries are always allowed so that a quiet worker can retry at all.
  static constexpr uint32_t kMinRetries = 3;
  bool allows(uint32_t percent) const {
    return retrying < std::max<uint32_t>(kMinRetries, active * percent / 100);
  }
};

}  // namespace gantry::upstream
