#include "exchange/module_hooks.h"

namespace gantry::exchange {
namespace {

HookVerdict verdict_of(gantry_action_t a) {
  switch (a) {
    case GANTRY_CONTINUE:
    case GANTRY_DECLINED: return HookVerdict::kContinue;
    case GANTRY_DONE: return HookVerdict::kDone;
    case GANTRY_PAUSE: return HookVerdict::kPause;
    default: return HookVerdict::kClose;  // CLOSE, or a value this host does not know
  }
}

}  // namespace

HookVerdict ModuleHooks::request_headers(gantry_stream_t* s, std::vector<void*>* conn_ctx) {
  if (gen_.with_request_headers.empty()) return HookVerdict::kContinue;
  ensure_ctx();
  while (next_request_hook_ < gen_.with_request_headers.size()) {
    size_t i = gen_.with_request_headers[next_request_hook_++];
    const modules::Instance& m = gen_.instances[i];
    void* cctx = conn_ctx == nullptr || conn_ctx->empty() ? nullptr : (*conn_ctx)[i];
    HookVerdict v = verdict_of(m.hooks.on_request_headers(m.inst, s, cctx, &ctx_[i]));
    if (v != HookVerdict::kContinue) return v;
  }
  return HookVerdict::kContinue;
}

HookVerdict ModuleHooks::upgrade(gantry_stream_t* s, std::string_view protocol, bool* allowed) {
  *allowed = false;
  if (gen_.with_upgrade.empty()) return HookVerdict::kContinue;
  ensure_ctx();
  for (size_t i : gen_.with_upgrade) {
    const modules::Instance& m = gen_.instances[i];
    gantry_str_t proto{protocol.data(), protocol.size()};
    // A 1.1 module's on_upgrade2 may make the stream context the tunnel keeps.
    gantry_action_t a = m.hooks.on_upgrade2 ? m.hooks.on_upgrade2(m.inst, s, &ctx_[i], proto)
                                            : m.hooks.on_upgrade(m.inst, s, ctx_[i], proto);
    if (a == GANTRY_DECLINED) continue;
    if (a == GANTRY_CONTINUE) {
      *allowed = true;
      continue;
    }
    return HookVerdict::kDone;
  }
  return HookVerdict::kContinue;
}

bool ModuleHooks::response_headers(gantry_stream_t* s) {
  if (gen_.with_response_headers.empty()) return true;
  ensure_ctx();
  for (size_t i : gen_.with_response_headers) {
    const modules::Instance& m = gen_.instances[i];
    if (verdict_of(m.hooks.on_response_headers(m.inst, s, ctx_[i])) != HookVerdict::kContinue)
      return false;
  }
  return true;
}

bool ModuleHooks::tunnel_data(gantry_stream_t* s, uint32_t dir, const char* p, size_t n) {
  if (gen_.with_tunnel_data.empty()) return true;
  ensure_ctx();
  for (size_t i : gen_.with_tunnel_data) {
    const modules::Instance& m = gen_.instances[i];
    gantry_action_t a = m.hooks.on_tunnel_data(m.inst, s, ctx_[i], dir,
                                               reinterpret_cast<const uint8_t*>(p), n);
    if (verdict_of(a) != HookVerdict::kContinue) return false;
  }
  return true;
}

void ModuleHooks::log(gantry_stream_t* s, const gantry_log_record_t& rec) {
  for (size_t i : gen_.with_log) {
    const modules::Instance& m = gen_.instances[i];
    m.hooks.on_log(m.inst, s, ctx(i), &rec);
  }
}

// Only modules that got a stream hook call can hold a context to free.
void ModuleHooks::stream_end(gantry_stream_t* s) {
  if (ctx_.empty()) return;
  for (size_t i : gen_.with_stream_end) {
    const modules::Instance& m = gen_.instances[i];
    m.hooks.on_stream_end(m.inst, s, ctx_[i]);
  }
  ctx_.clear();
}

}  // namespace gantry::exchange
