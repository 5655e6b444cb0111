// Worker services of the host table: how many workers there are, which one
// runs the caller, and posting work to one of them (or to the main loop).
#include "loop/main_thread.h"
#include "loop/worker.h"
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

}  // namespace

void set_host_workers(std::vector<loop::Worker*>* workers) { g_workers = workers; }
void set_host_worker_count(uint32_t n) { g_worker_count = n; }

void fill_worker_services(gantry_host_api_t* a) {
  a->worker_count = worker_count;
  a->worker_index = worker_index;
  a->post = post;
}

}  // namespace gantry::modules
