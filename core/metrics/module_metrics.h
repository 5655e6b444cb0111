#pragma once
// Counters and gauges that modules declare through the host table
// (metric_register / metric_add). Each worker owns one slot per series and
// alone writes it (a relaxed load and store, no read-modify-write), so a
// module counting on its request path takes no lock and shares no cache
// line write with another worker; a scrape sums the slots.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::metrics {

enum class ModuleMetricType : uint8_t { kCounter, kGauge };

struct ModuleMetric {
  std::string module, name, help, labels;  // name without the gantry_ prefix
  ModuleMetricType type = ModuleMetricType::kCounter;
};

// At most this many module series; a later registration gets -1.
constexpr int32_t kMaxModuleSeries = 4096;

// MAIN: the id of (module, name, labels), made on first use and the same in
// every later generation. -1 for a bad name or labels, a type that differs
// from the name's first registration, or no room.
int32_t module_metric_id(std::string_view module, std::string_view name, std::string_view help,
                         ModuleMetricType type, std::string_view labels);
// MAIN, before any worker counts: room for `workers` workers' slots.
void module_metric_workers(uint32_t workers);
// A worker's loop: add to its own slot. false for an unknown id or worker.
bool module_metric_add(uint32_t worker, int32_t id, int64_t delta);
// Any thread: a gauge's own value (metric_set), added to what workers add.
// false for an unknown id or a counter.
bool module_metric_set(int32_t id, int64_t value);
// Scrape: the series in id order and their sums over the workers.
std::vector<ModuleMetric> module_metric_list();
int64_t module_metric_sum(int32_t id);

// `rule="3",action="deny"`: Prometheus label pairs, none named `module`.
bool valid_label_pairs(std::string_view labels);

}  // namespace gantry::metrics
