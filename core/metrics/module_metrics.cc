#include "metrics/module_metrics.h"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

namespace gantry::metrics {
namespace {

using Slots = std::unique_ptr<std::atomic<int64_t>[]>;

struct Registry {
  std::mutex mu;  // registration and scrape only, never metric_add
  std::map<std::tuple<std::string, std::string, std::string>, int32_t, std::less<>> ids;
  std::vector<ModuleMetric> list;
  // One array of kMaxModuleSeries slots per worker, made before workers run
  // and never moved, so metric_add reads it without the lock.
  std::vector<Slots> slots;
  std::atomic<uint32_t> workers{0};
  // What metric_set gave each gauge; made once, never moved.
  Slots set{new std::atomic<int64_t>[kMaxModuleSeries]()};
};

Registry& registry() {
  static Registry* r = new Registry();  // outlives workers at exit
  return *r;
}

bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || c == '_' || (!first && c >= '0' && c <= '9');
}

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 128) return false;
  for (size_t i = 0; i < n.size(); ++i)
    if (!name_char(n[i], i == 0)) return false;
  return true;
}

}  // namespace

bool valid_label_pairs(std::string_view s) {
  if (s.size() > 512) return false;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    auto label_char = [&](char c, bool first) {
      return name_char(c, first) || (c >= 'A' && c <= 'Z');
    };
    while (i < s.size() && label_char(s[i], i == start)) ++i;
    if (i == start || s.substr(start, i - start) == "module") return false;
    if (s.substr(i, 2) != "=\"") return false;
    i += 2;
    for (;;) {
      if (i >= s.size() || s[i] == '\n') return false;
      if (s[i] == '"') break;
      if (s[i] == '\\') {
        if (i + 1 >= s.size() || (s[i + 1] != '\\' && s[i + 1] != '"' && s[i + 1] != 'n'))
          return false;
        ++i;
      }
      ++i;
    }
    ++i;  // the closing quote
    if (i == s.size()) return true;
    if (s[i] != ',') return false;
    ++i;
    if (i == s.size()) return false;
  }
  return true;  // empty
}

int32_t module_metric_id(std::string_view module, std::string_view name, std::string_view help,
                         ModuleMetricType type, std::string_view labels) {
  if (!valid_name(name) || !valid_label_pairs(labels)) return -1;
  if (type == ModuleMetricType::kCounter &&
      (name.size() < 6 || name.substr(name.size() - 6) != "_total"))
    return -1;
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (const ModuleMetric& m : r.list)  // one family, one type; modules tell apart by label
    if (m.name == name && m.type != type) return -1;
  auto key = std::make_tuple(std::string(module), std::string(name), std::string(labels));
  auto it = r.ids.find(key);
  if (it != r.ids.end()) return it->second;
  if (r.list.size() >= static_cast<size_t>(kMaxModuleSeries)) return -1;
  auto id = static_cast<int32_t>(r.list.size());
  std::string text;  // HELP escapes: a module's text cannot break the exposition
  for (char c : help.substr(0, 512)) {
    if (c == '\\') text += "\\\\";
    else if (c == '\n') text += "\\n";
    else text += c;
  }
  r.list.push_back({std::string(module), std::string(name), std::move(text), std::string(labels),
                    type});
  r.ids.emplace(std::move(key), id);
  return id;
}

void module_metric_workers(uint32_t workers) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  while (r.slots.size() < workers) {
    Slots s(new std::atomic<int64_t>[kMaxModuleSeries]);
    for (int32_t i = 0; i < kMaxModuleSeries; ++i) s[i].store(0, std::memory_order_relaxed);
    r.slots.push_back(std::move(s));
  }
  if (r.slots.size() > r.workers.load(std::memory_order_relaxed))
    r.workers.store(static_cast<uint32_t>(r.slots.size()), std::memory_order_release);
}

bool module_metric_add(uint32_t worker, int32_t id, int64_t delta) {
  Registry& r = registry();
  if (id < 0 || id >= kMaxModuleSeries || worker >= r.workers.load(std::memory_order_acquire))
    return false;
  std::atomic<int64_t>& v = r.slots[worker][id];
  // This worker is the slot's only writer: no read-modify-write needed.
  v.store(v.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  return true;
}

bool module_metric_set(int32_t id, int64_t value) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);  // a fact set now and then, not a hot path
  if (id < 0 || static_cast<size_t>(id) >= r.list.size() ||
      r.list[static_cast<size_t>(id)].type != ModuleMetricType::kGauge)
    return false;
  r.set[id].store(value, std::memory_order_relaxed);
  return true;
}

std::vector<ModuleMetric> module_metric_list() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  return r.list;
}

int64_t module_metric_sum(int32_t id) {
  Registry& r = registry();
  if (id < 0 || id >= kMaxModuleSeries) return 0;
  uint32_t n = r.workers.load(std::memory_order_acquire);
  int64_t sum = r.set[id].load(std::memory_order_relaxed);
  for (uint32_t w = 0; w < n; ++w) sum += r.slots[w][id].load(std::memory_order_relaxed);
  return sum;
}

}  // namespace gantry::metrics
