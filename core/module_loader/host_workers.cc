// Worker services of the host table: how many workers there are, which one
// runs the caller, posting work to one of them (or to the main loop), and
// the per-worker module metrics.
#include "loop/main_thread.h"
#include "loop/worker.h"
#include "metrics/module_metrics.h"
#include "module_loader/host_objects.h"
#include "module_loader/host_services.h"

namespace gantry::modules {
namespace {

std::vector<loop::Worker*>* g_workers = nullptr;
uint32_t g_worker_count = 1;

uint32_t worker_count() { return g_worker_count; }

int32_t worker_index() {
  loop::Worker* w = loop::Worker::current();
  return w ? static_cast<int32_t>(w->index()) : -1;
}

gantry_status_t post(int32_t worker, gantry_post_cb cb, void* arg) {
  if (cb == nullptr) return GANTRY_ERR_INVAL;
  if (worker < 0) {
    loop::run_on_main([cb, arg] { cb(arg); });
    return GANTRY_OK;
  }
  if (g_workers == nullptr || static_cast<size_t>(worker) >= g_workers->size())
    return GANTRY_ERR_RANGE;
  (*g_workers)[worker]->post([cb, arg] { cb(arg); });
  return GANTRY_OK;
}

int32_t metric_register(gantry_module_t* self, gantry_str_t name, gantry_str_t help, uint32_t type,
                        gantry_str_t labels) {
  if (self == nullptr || type > GANTRY_METRIC_GAUGE || (name.len > 0 && name.ptr == nullptr) ||
      (help.len > 0 && help.ptr == nullptr) || (labels.len > 0 && labels.ptr == nullptr))
    return -1;
  return metrics::module_metric_id(
      self->name, {name.ptr, name.len}, {help.ptr, help.len},
      type == GANTRY_METRIC_GAUGE ? metrics::ModuleMetricType::kGauge
                                  : metrics::ModuleMetricType::kCounter,
      {labels.ptr, labels.len});
}

gantry_status_t metric_add(int32_t id, int64_t delta) {
  loop::Worker* w = loop::Worker::current();
  if (w == nullptr) return GANTRY_ERR_BUSY;
  return metrics::module_metric_add(w->index(), id, delta) ? GANTRY_OK : GANTRY_ERR_RANGE;
}

gantry_status_t metric_set(int32_t id, int64_t value) {
  return metrics::module_metric_set(id, value) ? GANTRY_OK : GANTRY_ERR_INVAL;
}

}  // namespace

void set_host_workers(std::vector<loop::Worker*>* workers) { g_workers = workers; }
void set_host_worker_count(uint32_t n) {
  g_worker_count = n;
  metrics::module_metric_workers(n);
}

void fill_worker_services(gantry_host_api_t* a) {
  a->worker_count = worker_count;
  a->worker_index = worker_index;
  a->post = post;
  a->metric_register = metric_register;
  a->metric_add = metric_add;
  a->metric_set = metric_set;
}

}  // namespace gantry::modules
