#pragma once
// Passive outlier detection: servers whose responses keep failing leave
// rotation for a while, without waiting for an active check to notice.
// Workers report each attempt's outcome; a failure streak of
// `consecutive_5xx` (counted across workers) ejects the server for
// base_ejection_time x its number of ejections, capped at max_ejection_time,
// unless that would put more than max_ejection_percent of the backend out.
// The end of that time, or a passing active check, brings it back. Every
// ejection and return is logged with its reason.
#include <string_view>

#include "config/config.h"
#include "upstream/server.h"

namespace gantry::upstream {

enum class Outcome : uint8_t {
  kGood,           // a response head under 500
  kServerError,    // a 5xx head
  kGatewayError,   // connect failure, reset, close or bad head before a response
  kTimeout,        // connect or response timeout
};

// After each attempt at `s`, a server of `set` (the backend's servers).
void report_outcome(Server& s, const ServerSet& set, const config::Backend& backend, Outcome o,
                    std::string_view cause);

// `s` may take requests again (its time is over, or a check passed): logs the
// return once. Called by whoever notices first.
void note_return(Server& s, std::string_view backend, std::string_view why);

}  // namespace gantry::upstream
