#pragma once
// Work that must run on the main thread (module instance teardown, reload
// bookkeeping) is posted here from any thread.
#include <functional>

namespace gantry::loop {

// Thread-safe. Runs fn on the main loop's thread soon; if the main loop is
// not running (tests, `gantry -t`), runs fn immediately on the caller.
void run_on_main(std::function<void()> fn);

}  // namespace gantry::loop
