#pragma once
// The opaque handle types of the module ABI are bases of the core classes
// behind them, so the host API casts with static_cast, never reinterpret.
struct gantry_conn {};
struct gantry_stream {};
struct gantry_listener {};
