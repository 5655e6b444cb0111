#pragma once
#include <uv.h>

namespace gantry::loop {
// Used by the process owner (main.cc) only.
void attach_main_queue(uv_loop_t* loop, uv_async_t* handle);
void detach_main_queue();  // runs whatever is still queued
void drain_main_queue();
}  // namespace gantry::loop
