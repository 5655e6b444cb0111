#pragma once
// Drives the websocket module without a proxy, on the SDK's mock host: the
// config is TOML in a scratch gantry.toml (so key and type errors are the
// host's, with file:line), and streams are gantry::testing::MockStream.
#include <gantry/mock_host.hpp>

#include <string>

#include "mock_module.h"
#include "temp_dir.h"
#include "ws_frame.h"

namespace gantry::websocket_test {

using testing::MockStream;

// A valid opening handshake (RFC 6455 section 1.3's example key).
MockStream valid_handshake();

// The value of response header `name` the module answered with, "" if none.
std::string resp_header(const MockStream& s, const std::string& name);

class WsModule {
 public:
  WsModule() : module_(WEBSOCKET_SO) {}
  // `module_config` is TOML for [module.config]. False with error() set
  // when the host or the module refuses it.
  bool load(const std::string& module_config = "");
  const std::string& error() const { return module_.error(); }

  gantry_action_t request(MockStream* s, void** ctx);
  gantry_action_t upgrade(MockStream* s, void* ctx, const std::string& protocol);
  gantry_action_t tunnel(MockStream* s, void* ctx, uint32_t dir, const std::string& bytes);
  void log(MockStream* s, void* ctx, bool upgraded);
  void end(MockStream* s, void* ctx);

 private:
  test::TempDir dir_{"ws-test"};
  test::MockModule module_;
};

using test::ws_frame;

}  // namespace gantry::websocket_test
