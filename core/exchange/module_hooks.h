#pragma once
// The module hook chains of one exchange, in config order; the first module
// that does not CONTINUE (or DECLINE) ends a chain. Stream contexts live here
// until the stream-end hooks free them.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gantry/module.h"
#include "module_loader/generation.h"

namespace gantry::exchange {

enum class HookVerdict : uint8_t {
  kContinue,  // every module let the request go on
  kDone,      // a module answered (or should have)
  kPause,     // a module will call resume()
  kClose,     // a module wants the connection closed
};

class ModuleHooks {
 public:
  explicit ModuleHooks(const modules::Generation& gen) : gen_(gen) {}

  // Request headers, starting where a paused chain stopped.
  HookVerdict request_headers(gantry_stream_t* s, std::vector<void*>* conn_ctx);
  // An upgrade to `protocol`: kContinue if a module allowed it, kDone if one
  // refused, kPause never. `allowed` tells whether any module said yes.
  HookVerdict upgrade(gantry_stream_t* s, std::string_view protocol, bool* allowed);
  bool response_headers(gantry_stream_t* s);  // false: a module refused it
  bool tunnel_data(gantry_stream_t* s, uint32_t dir, const char* p, size_t n);
  void log(gantry_stream_t* s, const gantry_log_record_t& rec);
  void stream_end(gantry_stream_t* s);
  bool any_log() const { return !gen_.with_log.empty(); }

 private:
  void* ctx(size_t i) { return ctx_.empty() ? nullptr : ctx_[i]; }
  void ensure_ctx() {
    if (ctx_.empty()) ctx_.assign(gen_.instances.size(), nullptr);
  }

  const modules::Generation& gen_;
  std::vector<void*> ctx_;  // per instance; empty until a hook needs it
  size_t next_request_hook_ = 0;
};

}  // namespace gantry::exchange
