#pragma once
// What one worker counts: plain integers its thread alone writes. Nothing
// here is shared: a scrape posts a copy request to every worker and sums
// the copies on the main thread (admin/), so the request path takes no lock
// and makes no atomic read-modify-write.
#include <cstdint>
#include <string_view>
#include <vector>

#include "metrics/series.h"

namespace gantry::metrics {

// Status classes 1xx..5xx; index = status / 100 - 1.
constexpr int kClasses = 5;
inline int status_class(int status) {
  int c = status / 100 - 1;
  return c < 0 || c >= kClasses ? -1 : c;
}

// Fixed buckets in seconds (Prometheus' own default set).
struct Histogram {
  static constexpr int kBuckets = 11;
  static constexpr double kBounds[kBuckets] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                               0.5,   1,    2.5,   5,    10};
  uint64_t counts[kBuckets + 1] = {};  // not cumulative; the last is +Inf
  uint64_t count = 0;
  uint64_t sum_us = 0;

  void observe_us(int64_t us);
  void add(const Histogram& o);
};

struct SeriesCounters {
  uint64_t requests[kClasses] = {};
  uint64_t bytes_in = 0, bytes_out = 0;
  uint64_t retries = 0;
  Histogram connect, first_byte, total;
  void add(const SeriesCounters& o);
};

// TLS handshakes done, by provider, protocol version and resumption: a
// fixed table, so no client can grow it.
struct TlsHandshakes {
  static constexpr int kProviders = 3;  // OpenSSL, BoringSSL, other
  static constexpr int kVersions = 5;   // TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, other
  static const char* const kProviderNames[kProviders];
  static const char* const kVersionNames[kVersions];
  uint64_t count[kProviders][kVersions][2] = {};  // [..][..][resumed]
  // `library` and `version` as gantry_tls_info_t gives them.
  void note(std::string_view library, std::string_view version, bool resumed);
  void add(const TlsHandshakes& o);
};

struct WorkerMetrics {
  std::vector<SeriesCounters> series;  // by series id, grown on first use
  uint64_t requests[kClasses] = {};    // every exchange, routed or answered locally
  uint64_t accept_failures = 0;
  uint64_t tunnels_opened = 0;
  uint64_t tunnels_closed = 0;
  TlsHandshakes tls;
  // Gauges, filled in by the worker when it is asked for a copy.
  uint64_t client_active = 0, client_idle = 0, upstream_active = 0, upstream_idle = 0;

  SeriesCounters& at(uint32_t id) {
    if (id >= series.size()) series.resize(id + 1);
    return series[id];
  }
  void add(const WorkerMetrics& o);
};

// One finished exchange. Ids are kNoSeries when the exchange had no
// backend or never reached a server.
constexpr uint32_t kNoSeries = UINT32_MAX;
struct ExchangeFacts {
  int status = 0;
  uint32_t listener_series = kNoSeries, backend_series = kNoSeries, server_series = kNoSeries;
  uint64_t bytes_in = 0, bytes_out = 0;
  int64_t t_connect = -1, t_first_byte = -1, t_total = -1;  // microseconds
};
void count_exchange(WorkerMetrics& m, const ExchangeFacts& f);

}  // namespace gantry::metrics
