#pragma once
// Error log: one line per event on stderr, written with a single write(2) so
// lines from several threads never interleave.
#include <cstdarg>

namespace gantry::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void set_level(Level level);
bool parse_level(const char* text, Level* out);
bool enabled(Level level);
void write(Level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void vwrite(Level level, const char* fmt, va_list ap);

}  // namespace gantry::log

#define GLOG_DEBUG(...) \
  do { if (::gantry::log::enabled(::gantry::log::Level::kDebug)) ::gantry::log::write(::gantry::log::Level::kDebug, __VA_ARGS__); } while (0)
#define GLOG_INFO(...) ::gantry::log::write(::gantry::log::Level::kInfo, __VA_ARGS__)
#define GLOG_WARN(...) ::gantry::log::write(::gantry::log::Level::kWarn, __VA_ARGS__)
#define GLOG_ERROR(...) ::gantry::log::write(::gantry::log::Level::kError, __VA_ARGS__)
