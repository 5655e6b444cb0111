#pragma once
// The access log line and the module log record for one exchange.
#include <cstdint>
#include <string_view>

#include "gantry/module.h"
#include "runtime/access_sink.h"

namespace gantry::exchange {

struct AccessRecord {
  int status = 0;
  std::string_view method, target, backend, server, termination, client, notes;
  std::string_view protocol = "HTTP/1.1";
  uint64_t bytes_in = 0, bytes_out = 0;
  int64_t t_head = -1, t_connect = -1, t_response = -1, t_total = -1;
  bool upgraded = false;
  bool reused = false;
  uint32_t retries = 0;  // attempts after the first
};

// One record, one write(2) (or one datagram to syslog), in the sink's shape:
// - text: time client "METHOD target" status bytes_in bytes_out
//   backend/server timings(head/connect/response/total, ms) termination notes;
// - a template ([log] template) of the same fields;
// - JSON, one object per line ([log] format = "json"): time, client, method,
//   target, protocol, status, bytes_in, bytes_out, backend, server,
//   t_head_ms, t_connect_ms, t_response_ms, t_total_ms (null when not
//   reached), termination, retries, upgraded, reused, notes. Bytes that are
//   not UTF-8 become U+FFFD.
// Text from the network is escaped (\xNN) so a record stays one line.
void write_access(const runtime::AccessSink& sink, const AccessRecord& r);
gantry_log_record_t to_log_record(const AccessRecord& r);

}  // namespace gantry::exchange
