#pragma once
// The module's validated configuration: immutable after instance_new and
// shared by every worker.
#include <cstdint>
#include <string>
#include <vector>

#include "frame_tracker.h"
#include "gantry/module.h"

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

struct Instance {
  const gantry_host_api_t* host = nullptr;
  gantry_module_t* self = nullptr;
  Settings settings;
};

// The keys the module declares, ending with a NULL name.
extern const gantry_config_key_t kConfigKeys[];

// Reads [module.config]; reports errors through error_at with file:line.
gantry_status_t read_settings(const gantry_host_api_t* host, const gantry_cfg_t* config,
                              Settings* out, gantry_error_t* err);

}  // namespace gantry::websocket
