#pragma once
// Where a generation's access-log lines go and in what shape: a file
// descriptor (stdout, stderr, a file) or a datagram socket to syslog, and the
// text line, a template or JSON. Made on the main thread with the snapshot,
// read by every worker.
#include <string>

#include "config/config.h"
#include "util/result.h"

namespace gantry::runtime {

struct AccessSink {
  enum class Format : uint8_t { kText, kTemplate, kJson };
  enum class Kind : uint8_t { kOff, kStream, kFile, kSyslog };
  Kind kind = Kind::kOff;
  Format format = Format::kText;
  int fd = -1;
  const config::LogTemplate* tmpl = nullptr;  // kTemplate: the config's
  // kSyslog: "<PRI>1 " before the timestamp and " HOST APP PROCID - - "
  // after it (RFC 5424 with no MSGID and no structured data).
  std::string syslog_pri, syslog_rest;

  bool on() const { return fd >= 0; }
  // Opens what [log] names; an error names the path or address.
  static Result<AccessSink> open(const config::Config& cfg);
  void close();
};

}  // namespace gantry::runtime
