#pragma once
// Loads socket_tuning on the SDK's mock host from a gantry config written as
// TOML, and gives tests its hooks and scope contexts, plus small socket
// helpers.
#include <memory>
#include <string>
#include <vector>

#include "gantry/module.h"
#include "mock_module.h"

namespace socket_tuning_test {

struct Loaded {
  std::shared_ptr<gantry::test::MockModule> module;
  std::vector<void*> listeners;  // scope context per [[listener]]
  std::vector<void*> backends;   // scope context per [[backend]]
  std::string error;             // non-empty when loading failed

  const gantry_hooks_t& hooks() const { return module->hooks(); }
  void* inst() const { return module->inst(); }
  void* listener_scope() const { return listeners.at(0); }
  void* backend_scope() const { return backends.at(0); }
  // What the module logged while loading, one line per message.
  std::string logs() const { return module->log_text(); }
};

// A config with one listener and one backend whose socket_tuning tables
// hold the given TOML lines; an empty string leaves the table out.
Loaded load(const std::string& listener_lines, const std::string& backend_lines);
// Any config text; "@SO@" stands for the module's path.
Loaded load_text(std::string text);

int get_int(int fd, int level, int name);

// A listening socket on 127.0.0.1:0 that on_listen has seen, then listen().
int listen_with_hooks(const Loaded& l);
// Connects to `listen_fd`, sends `first_bytes` (if any), accepts.
// Returns the accepted fd; *client gets the client fd.
int connect_and_accept(int listen_fd, const std::string& first_bytes, int* client);

}  // namespace socket_tuning_test
