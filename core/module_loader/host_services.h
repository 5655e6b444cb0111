#pragma once
// The host function table is filled by the layers that own what it talks
// about: config nodes (module_loader), workers (loop), connections
// (downstream) and streams (exchange). The upper layers install their part
// at start-up, so this layer never includes them.
#include <cstdint>
#include <vector>

#include "gantry/module.h"

namespace gantry::loop {
class Worker;
}

namespace gantry::modules {

// module_loader/host_config.cc: log, alloc/free, error_*, cfg_*.
void fill_config_services(gantry_host_api_t* api);

// module_loader/host_workers.cc: worker_count, worker_index, post.
void fill_worker_services(gantry_host_api_t* api);
// The process owner tells the table about its workers: the count before
// module instances are built (modules size per-worker state from it), the
// workers once they exist.
void set_host_workers(std::vector<loop::Worker*>* workers);
void set_host_worker_count(uint32_t n);

// Upper layers add their services (main thread, before any worker runs).
using FillServices = void (*)(gantry_host_api_t* api);
void install_host_services(FillServices fill);

}  // namespace gantry::modules
