#pragma once
// Load-time warnings of one config generation: an option this kernel or
// this process refuses, or a sysctl that makes it ineffective, is logged
// once, however many listeners and backends set it.
#include <set>
#include <string>

#include "gantry/module.hpp"

namespace socket_tuning {

class LoadReports {
 public:
  explicit LoadReports(gantry::Host host) : host_(host) {}
  // Logs msg at WARN unless `option` was already reported. THREAD: MAIN
  // (scope_new), before any worker uses the scope.
  void report_once(const std::string& option, const std::string& msg) {
    if (reported_.insert(option).second) host_.warn(msg);
  }

 private:
  gantry::Host host_;
  std::set<std::string> reported_;
};

}  // namespace socket_tuning
