#include "metrics/worker_metrics.h"

namespace gantry::metrics {

void Histogram::observe_us(int64_t us) {
  if (us < 0) return;
  double s = static_cast<double>(us) / 1e6;
  int i = 0;
  while (i < kBuckets && s > kBounds[i]) ++i;
  ++counts[i];
  ++count;
  sum_us += static_cast<uint64_t>(us);
}

void Histogram::add(const Histogram& o) {
  for (int i = 0; i <= kBuckets; ++i) counts[i] += o.counts[i];
  count += o.count;
  sum_us += o.sum_us;
}

void SeriesCounters::add(const SeriesCounters& o) {
  for (int i = 0; i < kClasses; ++i) requests[i] += o.requests[i];
  bytes_in += o.bytes_in;
  bytes_out += o.bytes_out;
  retries += o.retries;
  connect.add(o.connect);
  first_byte.add(o.first_byte);
  total.add(o.total);
}

const char* const TlsHandshakes::kProviderNames[kProviders] = {"openssl", "boringssl", "other"};
const char* const TlsHandshakes::kVersionNames[kVersions] = {"TLSv1", "TLSv1.1", "TLSv1.2",
                                                             "TLSv1.3", "other"};

void TlsHandshakes::note(std::string_view library, std::string_view version, bool resumed) {
  int p = library.rfind("OpenSSL", 0) == 0 ? 0 : library.rfind("BoringSSL", 0) == 0 ? 1 : 2;
  int v = kVersions - 1;
  for (int i = 0; i < kVersions - 1; ++i)
    if (version == kVersionNames[i]) v = i;
  ++count[p][v][resumed ? 1 : 0];
}

void TlsHandshakes::add(const TlsHandshakes& o) {
  for (int p = 0; p < kProviders; ++p)
    for (int v = 0; v < kVersions; ++v)
      for (int r = 0; r < 2; ++r) count[p][v][r] += o.count[p][v][r];
}

void WorkerMetrics::add(const WorkerMetrics& o) {
  if (o.series.size() > series.size()) series.resize(o.series.size());
  for (size_t i = 0; i < o.series.size(); ++i) series[i].add(o.series[i]);
  for (int i = 0; i < kClasses; ++i) requests[i] += o.requests[i];
  accept_failures += o.accept_failures;
  tunnels_opened += o.tunnels_opened;
  tunnels_closed += o.tunnels_closed;
  tls.add(o.tls);
  client_active += o.client_active;
  client_idle += o.client_idle;
  upstream_active += o.upstream_active;
  upstream_idle += o.upstream_idle;
}

namespace {

void count_into(SeriesCounters& s, int cls, const ExchangeFacts& f) {
  if (cls >= 0) ++s.requests[cls];
  s.bytes_in += f.bytes_in;
  s.bytes_out += f.bytes_out;
  s.connect.observe_us(f.t_connect);
  s.first_byte.observe_us(f.t_first_byte);
  s.total.observe_us(f.t_total);
}

}  // namespace

void count_exchange(WorkerMetrics& m, const ExchangeFacts& f) {
  int cls = status_class(f.status);
  if (cls >= 0) ++m.requests[cls];
  if (f.listener_series != kNoSeries) count_into(m.at(f.listener_series), cls, f);
  if (f.backend_series != kNoSeries) count_into(m.at(f.backend_series), cls, f);
  if (f.server_series != kNoSeries) count_into(m.at(f.server_series), cls, f);
}

}  // namespace gantry::metrics
