#include "metrics/series.h"

#include <map>
#include <mutex>

namespace gantry::metrics {
namespace {

struct Registry {
  std::mutex mu;  // taken when servers are made and at scrape, never per request
  std::map<std::pair<std::string, std::string>, uint32_t, std::less<>> ids;
  std::vector<std::pair<std::string, std::string>> names;
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

uint32_t series_id(std::string_view backend, std::string_view server) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::pair<std::string, std::string> key{std::string(backend), std::string(server)};
  auto it = r.ids.find(key);
  if (it != r.ids.end()) return it->second;
  if (r.names.size() + 1 >= kMaxSeries) {
    if (r.names.size() + 1 == kMaxSeries) r.names.emplace_back("_other", "_other");
    return kMaxSeries - 1;
  }
  auto id = static_cast<uint32_t>(r.names.size());
  r.names.push_back(key);
  r.ids.emplace(std::move(key), id);
  return id;
}

std::vector<std::pair<std::string, std::string>> series_names() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  return r.names;
}

}  // namespace gantry::metrics
