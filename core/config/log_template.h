#pragma once
// The access log's text template ([log] template): literal text and $name
// (or ${name}) variables, compiled once at load so a request only appends.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::config {

enum class LogField : uint8_t {
  kTime,         // 2026-12-04T18:00:00.123Z
  kClient,       // the client's address (a PROXY header's when one named it)
  kMethod,
  kTarget,
  kProtocol,     // HTTP/1.1
  kStatus,
  kBytesIn,      // request body bytes
  kBytesOut,     // bytes sent to the client
  kBackend,
  kServer,
  kTHead,        // milliseconds, "-" when not reached
  kTConnect,
  kTResponse,
  kTTotal,
  kTermination,
  kRetries,
  kUpgraded,     // 0 or 1
  kReused,       // 0 or 1
  kNotes,        // key=value pairs (modules, TLS, PROXY TLVs)
};

struct LogPiece {
  bool literal = true;
  LogField field = LogField::kTime;
  std::string text;  // with literal
};
using LogTemplate = std::vector<LogPiece>;

// false with *why naming the unknown variable or the bad ${...}.
bool compile_log_template(std::string_view text, LogTemplate* out, std::string* why);
// The variable names, for the docs.
std::vector<std::string_view> log_field_names();
std::string_view log_field_name(LogField f);

}  // namespace gantry::config
