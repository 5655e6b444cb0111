#include "loop/worker_barrier.h"

#include <atomic>
#include <memory>

#include "loop/main_thread.h"

namespace gantry::loop {

void after_workers(const std::vector<Worker*>& workers, std::function<void()> done) {
  if (workers.empty()) {
    run_on_main(std::move(done));
    return;
  }
  struct Pending {
    std::atomic<size_t> left;
    std::function<void()> done;
  };
  auto pending = std::make_shared<Pending>();
  pending->left = workers.size();
  pending->done = std::move(done);
  for (Worker* w : workers) {
    w->post([pending] {
      if (pending->left.fetch_sub(1) == 1) run_on_main(std::move(pending->done));
    });
  }
}

}  // namespace gantry::loop
