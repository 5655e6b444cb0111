#pragma once
// Names of metric series: one id per (backend, server) pair, and per backend
// (server ""). Ids are handed out on the main thread when servers are made
// and stay the same across reloads, so a worker counts into a plain vector
// slot and counters never restart because the config was reloaded.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gantry::metrics {

// More distinct names than this share the last id (labelled "_other"), so
// servers added and removed at run time cannot grow the tables forever.
constexpr uint32_t kMaxSeries = 4096;

uint32_t series_id(std::string_view backend, std::string_view server);
// A listener's series is ("", listener name): backend names are never empty.
inline uint32_t listener_series_id(std::string_view listener) { return series_id("", listener); }
// (backend, server) by id, for rendering.
std::vector<std::pair<std::string, std::string>> series_names();

}  // namespace gantry::metrics
