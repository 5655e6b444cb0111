#pragma once
#include <cstdint>
#include <vector>

namespace gantry::loop {
class Worker;
}

namespace gantry::proxy {
// The process owner tells the host table about its workers: the count before
// module instances are built (modules size per-worker state from it).
void set_host_workers(std::vector<loop::Worker*>* workers);
void set_host_worker_count(uint32_t n);
}  // namespace gantry::proxy
