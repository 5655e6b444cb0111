#pragma once
// Drives the websocket module without a proxy. The config goes through the
// real TOML loader and module loader (so key and type errors are the core's
// own), then a second instance is made on the same config node with a copy
// of the real host table whose request functions read a FakeStream.
#include <string>
#include <utility>
#include <vector>

#include "gantry/module.h"
#include "module_under_test.h"
#include "ws_frame.h"

namespace gantry::websocket_test {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct FakeStream {
  std::string method = "GET";
  uint32_t version = 11;
  Headers headers;

  // What the module did.
  int status = 0;  // respond() status, 0 if it did not answer
  Headers resp_headers;
  std::string body;
  Headers notes;  // log_note pairs in order

  std::string resp_header(const std::string& name) const;  // "" if absent
  std::string note(const std::string& key) const;          // last value, "" if absent
  size_t note_count(const std::string& key) const;
};

// A valid opening handshake (RFC 6455 section 1.3's example key).
FakeStream valid_handshake();

class WsModule {
 public:
  // `module_config` is TOML for [module.config]. False with error() set
  // when the loader or the module refuses it.
  bool load(const std::string& module_config = "");
  const std::string& error() const { return module_.error(); }

  gantry_action_t request(FakeStream* s, void** ctx);
  gantry_action_t upgrade(FakeStream* s, void* ctx, const std::string& protocol);
  gantry_action_t tunnel(FakeStream* s, void* ctx, uint32_t dir, const std::string& bytes);
  void log(FakeStream* s, void* ctx, bool upgraded);
  void end(FakeStream* s, void* ctx);

 private:
  unit_test::TempDir dir_{"ws-test"};
  unit_test::ModuleUnderTest module_;
};

using test::ws_frame;

}  // namespace gantry::websocket_test
