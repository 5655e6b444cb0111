#pragma once
// A point after which every worker has run what was posted to it before:
// the main thread learns when a new generation has been adopted everywhere.
#include <functional>
#include <vector>

#include "loop/worker.h"

namespace gantry::loop {

// Runs `done` on the main thread once each of `workers` has run everything
// posted to it before this call (a worker runs its posts in order). A worker
// that already stopped drops posts, so `done` then never runs; callers use
// it for notifications that shutdown makes moot.
void after_workers(const std::vector<Worker*>& workers, std::function<void()> done);

}  // namespace gantry::loop
