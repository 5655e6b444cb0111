#pragma once
// Per-stream state of a frame-aware tunnel: one FrameTracker per direction
// and what has been written to the access log so far. Allocated only for
// valid WebSocket handshakes when a frame option is on, freed at stream end.
#include <cstdint>

#include "frame_tracker.h"

namespace gantry::websocket {

struct TunnelState {
  FrameTracker to_server;  // GANTRY_DIR_CLIENT_TO_SERVER
  FrameTracker to_client;  // GANTRY_DIR_SERVER_TO_CLIENT
  bool close_noted = false;   // ws_close= written
  bool counts_noted = false;  // ws_msgs_*= written
};

}  // namespace gantry::websocket
