// websocket: validates RFC 6455 opening handshakes before any backend is
// contacted, decides what happens to other upgrades, and optionally follows
// the frames of a tunnel (size limits, message counts) without copying them.
// Config parsing is in settings.cc, the handshake rules in handshake.cc, the
// frame reader in frame_tracker.cc; this file is the ABI surface.
#include <cstdio>
#include <cstring>
#include <new>

#include "frame_tracker.h"
#include "gantry/module.h"
#include "handshake.h"
#include "settings.h"
#include "tunnel_state.h"

namespace gantry::websocket {
namespace {

gantry_str_t lit(const char* s) { return {s, std::strlen(s)}; }

Instance* I(void* inst) { return static_cast<Instance*>(inst); }

// Any Upgrade header naming websocket makes the request a handshake to check,
// even one llhttp will not treat as an upgrade (no "Connection: upgrade"):
// otherwise the core would strip Upgrade and a backend would see a broken
// handshake as a plain GET.
bool wants_websocket(const gantry_host_api_t* host, gantry_stream_t* s) {
  return header_has_token(host, s, lit("upgrade"), lit("websocket"));
}

void note_number(const Instance& in, gantry_stream_t* s, const char* key, uint64_t v) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
  in.host->log_note(s, lit(key), {buf, static_cast<size_t>(n)});
}

void note_counts(const Instance& in, gantry_stream_t* s, TunnelState* t) {
  if (t->counts_noted || !in.settings.count_messages) return;
  t->counts_noted = true;
  note_number(in, s, "ws_msgs_in", t->to_server.messages());
  note_number(in, s, "ws_msgs_out", t->to_client.messages());
}

// The first Close frame names who closed and why; once both sides have sent
// one the handshake is over and the counts are final.
void note_close(const Instance& in, gantry_stream_t* s, TunnelState* t) {
  if (!t->close_noted) {
    const FrameTracker& first = t->to_server.close_seen() ? t->to_server : t->to_client;
    if (!first.close_seen()) return;
    t->close_noted = true;
    note_number(in, s, "ws_close", first.close_code());
    in.host->log_note(s, lit("ws_close_by"),
                      lit(&first == &t->to_server ? "client" : "server"));
  }
  if (t->to_server.close_seen() && t->to_client.close_seen()) note_counts(in, s, t);
}

const char* verdict_reason(FrameVerdict v) {
  switch (v) {
    case FrameVerdict::kFrameTooBig: return "frame_too_big";
    case FrameVerdict::kMessageTooBig: return "message_too_big";
    default: return "protocol_error";
  }
}

// ABI 1.0 gives a module no way to write to the client, so the tunnel is cut
// (both sockets closed) and the log carries the status code a Close frame
// would have had: 1009 "message too big" or 1002 "protocol error".
gantry_action_t cut_tunnel(const Instance& in, gantry_stream_t* s, TunnelState* t,
                           FrameVerdict v, uint32_t dir) {
  note_number(in, s, "ws_cut", v == FrameVerdict::kProtocolError ? 1002 : 1009);
  in.host->log_note(s, lit("ws_cut_reason"), lit(verdict_reason(v)));
  in.host->log_note(s, lit("ws_cut_dir"),
                    lit(dir == GANTRY_DIR_CLIENT_TO_SERVER ? "in" : "out"));
  note_counts(in, s, t);
  return GANTRY_CLOSE;
}

/* ---- hooks ------------------------------------------------------------ */

gantry_status_t instance_new(const gantry_host_api_t* host, gantry_module_t* self,
                             const gantry_cfg_t* config, void** inst, gantry_error_t* err) {
  auto* in = new (std::nothrow) Instance;
  if (in == nullptr) {
    host->error_set(err, GANTRY_ERR_NOMEM, "websocket: out of memory");
    return GANTRY_ERR_NOMEM;
  }
  in->host = host;
  in->self = self;
  gantry_status_t st = GANTRY_OK;
  try {
    st = read_settings(host, config, &in->settings, err);
  } catch (...) {  // std::bad_alloc from a string: nothing may unwind into the host
    host->error_set(err, GANTRY_ERR_NOMEM, "websocket: out of memory");
    st = GANTRY_ERR_NOMEM;
  }
  if (st != GANTRY_OK) {
    delete in;
    return st;
  }
  *inst = in;
  return GANTRY_OK;
}

void instance_free(void* inst) { delete I(inst); }

gantry_action_t on_request_headers(void* inst, gantry_stream_t* s, void* /*conn_ctx*/,
                                   void** stream_ctx) {
  const Instance& in = *I(inst);
  if (!wants_websocket(in.host, s)) return GANTRY_DECLINED;
  Refusal r = check_handshake(in.host, s, in.settings);
  if (r.status != 0) {
    send_refusal(in.host, s, r);
    return GANTRY_DONE;
  }
  if (in.settings.frame_aware() && *stream_ctx == nullptr) {
    *stream_ctx = new (std::nothrow) TunnelState;
    if (*stream_ctx == nullptr) return GANTRY_CLOSE;
  }
  return GANTRY_CONTINUE;
}

gantry_action_t on_upgrade(void* inst, gantry_stream_t* s, void* /*stream_ctx*/,
                           gantry_str_t protocol) {
  const Instance& in = *I(inst);
  if (wants_websocket(in.host, s)) {
    // Checked again: a module that paused the request chain may have kept
    // on_request_headers from running. It is a handful of header lookups.
    Refusal r = check_handshake(in.host, s, in.settings);
    if (r.status == 0) return GANTRY_CONTINUE;
    send_refusal(in.host, s, r);
    return GANTRY_DONE;
  }
  switch (in.settings.other_upgrades) {
    case OtherUpgrades::kPass:
      return GANTRY_CONTINUE;
    case OtherUpgrades::kReject: {
      static const char kBody[] = "upgrade not supported\n";
      gantry_header_t h[1] = {{lit("Content-Type"), lit("text/plain")}};
      in.host->log_note(s, lit("upgrade_refused"),
                        {protocol.ptr, protocol.len > 32 ? 32 : protocol.len});
      in.host->respond(s, 400, h, 1, {kBody, sizeof kBody - 1});
      return GANTRY_DONE;
    }
    case OtherUpgrades::kRefuse:
      break;
  }
  return GANTRY_DECLINED;
}

gantry_action_t on_tunnel_data(void* inst, gantry_stream_t* s, void* stream_ctx,
                               uint32_t direction, const uint8_t* p, size_t n) {
  auto* t = static_cast<TunnelState*>(stream_ctx);
  if (t == nullptr) return GANTRY_CONTINUE;  // not frame-aware, or not ours
  const Instance& in = *I(inst);
  FrameTracker& ft = direction == GANTRY_DIR_CLIENT_TO_SERVER ? t->to_server : t->to_client;
  bool had_close = ft.close_seen();
  FrameVerdict v = ft.feed(p, n, in.settings.limits);
  if (v != FrameVerdict::kOk) return cut_tunnel(in, s, t, v, direction);
  if (ft.close_seen() && !had_close) note_close(in, s, t);
  return GANTRY_CONTINUE;
}

void on_log(void* inst, gantry_stream_t* s, void* stream_ctx, const gantry_log_record_t* r) {
  auto* t = static_cast<TunnelState*>(stream_ctx);
  if (t == nullptr || r == nullptr || !r->upgraded) return;
  // A tunnel that ended without a close handshake (idle timeout, a side
  // vanished) still reports its counts where the host takes notes this late.
  note_counts(*I(inst), s, t);
}

void on_stream_end(void* /*inst*/, gantry_stream_t* /*s*/, void* stream_ctx) {
  delete static_cast<TunnelState*>(stream_ctx);
}

gantry_hooks_t make_hooks() {
  gantry_hooks_t h{};
  h.struct_size = sizeof h;
  h.instance_new = instance_new;
  h.instance_free = instance_free;
  h.on_request_headers = on_request_headers;
  h.on_upgrade = on_upgrade;
  h.on_tunnel_data = on_tunnel_data;
  h.on_log = on_log;
  h.on_stream_end = on_stream_end;
  return h;
}

const gantry_hooks_t kHooks = make_hooks();

const gantry_module_desc_t kDesc = {
    GANTRY_DESC_INIT,
    "websocket",
    "1.0.0",
    "RFC 6455 handshake validation, upgrade policy, optional frame limits and counts",
    GANTRY_CAP_UPGRADE | GANTRY_CAP_TUNNEL | GANTRY_CAP_LOG,
    kConfigKeys,
    &kHooks,
    nullptr,
};

}  // namespace
}  // namespace gantry::websocket

GANTRY_MODULE_ENTRY { return &gantry::websocket::kDesc; }
