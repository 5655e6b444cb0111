#pragma once
// When a failed upstream attempt is tried again, and where. The exchange asks
// after every failure; the policy only decides.
#include <cstddef>
#include <cstdint>

namespace gantry::upstream {

enum class Failure : uint8_t {
  kConnect,        // the connection could not be made
  kReusedConnLost  // a pooled connection closed before any response byte
};

enum class RetryAction : uint8_t {
  kGiveUp,
  kSameServerFresh,  // a new connection to the same server
  kOtherServer,      // redispatch
};

struct AttemptFacts {
  uint32_t attempts = 0;     // connections tried so far, this one included
  size_t servers = 0;        // servers in the backend
  bool body_sent = false;    // request body bytes are on the wire: no replay
};

RetryAction decide_retry(Failure f, const AttemptFacts& a);

}  // namespace gantry::upstream
