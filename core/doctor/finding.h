#pragma once
// What one check found.
#include <string>
#include <vector>

namespace gantry::doctor {

enum class Severity { kOk, kInfo, kWarn };

struct Finding {
  std::string key;          // sysctl name ("net.ipv4.tcp_tw_reuse"), or a label
  std::string value;        // as read; "unreadable" if the file is missing
  std::string recommended;  // for this config
  std::string why;
  std::string fix;          // exact command, e.g. "sysctl -w net.ipv4.tcp_tw_reuse=1"
  bool is_sysctl = false;   // goes into the --write-sysctl drop-in when to fix
  Severity severity = Severity::kOk;
};

using Findings = std::vector<Finding>;

const char* severity_name(Severity s);

}  // namespace gantry::doctor
