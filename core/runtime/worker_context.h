#pragma once
// What one worker keeps for every exchange it runs: the loop, the upstream
// pool, the coarse clocks. Owned by the worker's state, borrowed by sessions
// and exchanges on that worker's thread only; no lock anywhere.
#include <string>

#include "loop/deadline_clock.h"
#include "loop/worker.h"
#include "metrics/worker_metrics.h"
#include "upstream/pool.h"

namespace gantry::runtime {

struct WorkerContext {
  explicit WorkerContext(loop::Worker* w) : worker(w), clock(w->loop()), pool(w, &clock) {}
  WorkerContext(const WorkerContext&) = delete;
  WorkerContext& operator=(const WorkerContext&) = delete;

  uint32_t index() const { return worker->index(); }

  loop::Worker* worker;
  // Client, upstream and tunnel deadlines: one timer for the worker, no
  // timer start and stop per request.
  loop::DeadlineClock clock;
  upstream::Pool pool;
  // Serialization scratch: a head built here is written out before the
  // callback that built it returns, so one buffer serves every connection.
  std::string scratch;
  // HTTP/2 frames gathered for one write (the socket copies what it cannot
  // send at once), so an idle HTTP/2 connection keeps no batch buffer.
  std::string h2_batch;
  // Set once when the worker starts draining: responses then close their
  // connections.
  bool draining = false;
  // This worker's counters; only its thread writes them.
  metrics::WorkerMetrics metrics;
};

}  // namespace gantry::runtime
