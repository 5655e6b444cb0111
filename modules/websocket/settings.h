#pragma once
// The module's validated configuration: immutable after construction and
// shared by every worker.
#include <cstdint>
#include <string>
#include <vector>

#include "frame_tracker.h"
#include "gantry/module.hpp"

namespace gantry::websocket {

// What to do with an upgrade to anything but WebSocket (h2c, TLS/1.0, ...).
enum class OtherUpgrades : uint8_t {
  kRefuse,  // not allowed here: the core drops Upgrade and serves plain HTTP/1.1
  kReject,  // answered 400 before any backend is contacted
  kPass,    // allowed: forwarded, tunnelled if the backend answers 101
};

struct Settings {
  std::vector<std::string> allowed_origins;  // lower-case; empty = any origin
  OtherUpgrades other_upgrades = OtherUpgrades::kRefuse;
  FrameLimits limits;           // zero members are off
  bool count_messages = false;  // message counts in the access log
  // Any frame option is on: tunnels get per-stream state and are parsed.
  bool frame_aware() const {
    return count_messages || limits.max_frame != 0 || limits.max_message != 0;
  }
};

// Reads [module.config]. The host has already rejected unknown keys and
// wrong types; a bad value throws gantry::ConfigError at its node.
Settings read_settings(const gantry::Config& config);

}  // namespace gantry::websocket
