#pragma once
// The module instance (one per config generation) and the helpers every
// file of the module shares.
#include <set>
#include <string>

#include "gantry/module.h"

namespace socket_tuning {

struct Module {
  const gantry_host_api_t* host = nullptr;
  gantry_module_t* self = nullptr;
  // Option names already reported as unsupported or capped during this
  // generation's load, so two listeners with the same option give one line.
  // Written only from scope_new (MAIN, before any worker uses the scope).
  std::set<std::string> reported;

  void log(int32_t level, const std::string& msg) const {
    if (host != nullptr && host->log != nullptr) host->log(self, level, msg.c_str());
  }
  // Logs msg at WARN unless `option` was already reported.
  void report_once(const std::string& option, const std::string& msg) {
    if (reported.insert(option).second) log(GANTRY_LOG_WARN, msg);
  }
};

}  // namespace socket_tuning
