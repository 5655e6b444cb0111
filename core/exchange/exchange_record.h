#pragma once
// What the log says of one exchange, gathered as it runs: status, cause,
// timings, bytes, the server used, notes modules added.
#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "exchange/downstream.h"
#include "exchange/module_hooks.h"
#include "runtime/access_sink.h"
#include "metrics/worker_metrics.h"

namespace gantry::exchange {

struct ExchangeRecord {
  explicit ExchangeRecord(uint64_t bytes_out_before)
      : start_us(uv_hrtime() / 1000), bytes_out_start(bytes_out_before) {}

  int64_t since_start() const { return static_cast<int64_t>(uv_hrtime() / 1000 - start_us); }
  void note(std::string_view key, std::string_view value);

  uint64_t start_us;
  uint64_t bytes_out_start;  // the downstream's bytes_sent() when the exchange began
  int64_t bytes_in = 0;
  int64_t t_head = -1, t_connect = -1, t_response = -1;  // microseconds since start
  int64_t t_attempt = -1;  // the last attempt began (connect time = t_connect - t_attempt)
  int status = 0;
  const char* termination = "ok";
  bool reused = false;    // the upstream connection came from the pool
  bool upgraded = false;  // the exchange became a tunnel
  uint32_t server_series = UINT32_MAX;  // metric series of the server used
  uint32_t retries = 0;   // attempts after the first (retry policy)
  std::string server;     // "host:port" of the server used
  std::string notes;      // key=value pairs added by modules
};

// Everything a log line needs besides the record.
struct LogContext {
  std::string_view method, target, backend;
  const Downstream* down = nullptr;
  std::string_view protocol = "HTTP/1.1";
  const runtime::AccessSink* access = nullptr;
  ModuleHooks* hooks = nullptr;
  gantry_stream_t* stream = nullptr;
  metrics::WorkerMetrics* metrics = nullptr;
  uint32_t backend_series = UINT32_MAX;
  uint32_t listener_series = UINT32_MAX;
};

// Runs the modules' log hooks, then writes the access-log line (if on).
void emit_log(const ExchangeRecord& r, const LogContext& c);

}  // namespace gantry::exchange
