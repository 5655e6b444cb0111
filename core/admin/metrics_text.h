#pragma once
// /metrics: the workers' summed counters and the main thread's view of
// servers and reloads, in the Prometheus text format (version 0.0.4).
// docs/metrics.md lists every name.
#include <string>

#include "admin/controller.h"

namespace gantry::admin {

std::string render_metrics(const metrics::WorkerMetrics& sum, const runtime::Snapshot& snap,
                           const ReloadCounts& reloads);

// Prometheus label values escape backslash, double quote and newline.
std::string label_value(const std::string& v);

}  // namespace gantry::admin
