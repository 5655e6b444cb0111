// websocket: validates RFC 6455 opening handshakes before any backend is
// contacted, decides what happens to other upgrades, and optionally follows
// the frames of a tunnel (size limits, message counts) without copying them.
// Config parsing is in settings.cc, the handshake rules in handshake.cc, the
// frame reader in frame_tracker.cc; this file is the module class.
#include <cstdio>

#include "frame_tracker.h"
#include "gantry/module.hpp"
#include "handshake.h"
#include "settings.h"
#include "tunnel_state.h"

namespace gantry::websocket {
namespace {

class WebSocket : public gantry::Module {
 public:
  static constexpr const char* kName = "websocket";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "RFC 6455 handshake validation, upgrade policy, optional frame limits and counts";
  static constexpr uint64_t kCapabilities = GANTRY_CAP_UPGRADE | GANTRY_CAP_TUNNEL | GANTRY_CAP_LOG;
  static constexpr gantry_config_key_t kConfigKeys[] = {
      gantry::key("allowed_origins", GANTRY_CFG_ARRAY, false,
                  "Origin values accepted on WebSocket handshakes (\"https://*.example.com\" "
                  "allowed); default: any"),
      gantry::key("other_upgrades", GANTRY_CFG_STRING, false,
                  "non-WebSocket upgrades (h2c...): \"refuse\" (default), \"reject\" (400) or "
                  "\"pass\""),
      gantry::key("max_frame_size", GANTRY_CFG_SIZE, false,
                  "largest frame payload relayed; larger cuts the tunnel (1009). 0 = off (default)"),
      gantry::key("max_message_size", GANTRY_CFG_SIZE, false,
                  "largest message (sum of its frames) relayed; larger cuts the tunnel (1009). "
                  "0 = off"),
      gantry::key("count_messages", GANTRY_CFG_BOOL, false,
                  "count messages per direction for the access log (default false)"),
      gantry::keys_end()};
  // Per-stream state of a frame-aware tunnel; the layer frees it at stream end.
  using StreamContext = TunnelState;

  WebSocket(gantry::Host host, gantry::Config config)
      : Module(host), settings_(read_settings(config)) {}

  gantry_action_t on_request_headers(gantry::Request& req, gantry::Slot<TunnelState> state) {
    if (!wants_websocket(req)) return GANTRY_DECLINED;
    Refusal r = check_handshake(req, settings_);
    if (r.status != 0) {
      send_refusal(req, r);
      return GANTRY_DONE;
    }
    if (settings_.frame_aware() && !state) state.emplace();
    return GANTRY_CONTINUE;
  }

  gantry_action_t on_upgrade(gantry::Request& req, std::string_view protocol) {
    if (wants_websocket(req)) {
      // Checked again: a module that paused the request chain may have kept
      // on_request_headers from running. It is a handful of header lookups.
      Refusal r = check_handshake(req, settings_);
      if (r.status == 0) return GANTRY_CONTINUE;
      send_refusal(req, r);
      return GANTRY_DONE;
    }
    switch (settings_.other_upgrades) {
      case OtherUpgrades::kPass:
        return GANTRY_CONTINUE;
      case OtherUpgrades::kReject:
        req.log_note("upgrade_refused", protocol.substr(0, 32));
        req.respond(400, {{"Content-Type", "text/plain"}}, "upgrade not supported\n");
        return GANTRY_DONE;
      case OtherUpgrades::kRefuse:
        break;
    }
    return GANTRY_DECLINED;
  }

  gantry_action_t on_tunnel_data(gantry::Request& req, TunnelState* t, uint32_t direction,
                                 const uint8_t* p, size_t n) {
    if (t == nullptr) return GANTRY_CONTINUE;  // not frame-aware, or not ours
    FrameTracker& ft = direction == GANTRY_DIR_CLIENT_TO_SERVER ? t->to_server : t->to_client;
    bool had_close = ft.close_seen();
    FrameVerdict v = ft.feed(p, n, settings_.limits);
    if (v != FrameVerdict::kOk) return cut_tunnel(req, t, v, direction);
    if (ft.close_seen() && !had_close) note_close(req, t);
    return GANTRY_CONTINUE;
  }

  void on_log(gantry::Request& req, TunnelState* t, const gantry_log_record_t& r) {
    if (t == nullptr || !r.upgraded) return;
    // A tunnel that ended without a close handshake (idle timeout, a side
    // vanished) still reports its counts where the host takes notes this late.
    note_counts(req, t);
  }

 private:
  // Any Upgrade header naming websocket makes the request a handshake to
  // check, even one llhttp will not treat as an upgrade (no "Connection:
  // upgrade"): otherwise the core would strip Upgrade and a backend would see
  // a broken handshake as a plain GET.
  static bool wants_websocket(const gantry::Request& req) {
    return header_has_token(req, "upgrade", "websocket");
  }

  static void note_number(const gantry::Request& req, const char* key, uint64_t v) {
    char buf[24];
    int n = std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
    req.log_note(key, std::string_view(buf, static_cast<size_t>(n)));
  }

  void note_counts(const gantry::Request& req, TunnelState* t) const {
    if (t->counts_noted || !settings_.count_messages) return;
    t->counts_noted = true;
    note_number(req, "ws_msgs_in", t->to_server.messages());
    note_number(req, "ws_msgs_out", t->to_client.messages());
  }

  // The first Close frame names who closed and why; once both sides have
  // sent one the handshake is over and the counts are final.
  void note_close(const gantry::Request& req, TunnelState* t) const {
    if (!t->close_noted) {
      const FrameTracker& first = t->to_server.close_seen() ? t->to_server : t->to_client;
      if (!first.close_seen()) return;
      t->close_noted = true;
      note_number(req, "ws_close", first.close_code());
      req.log_note("ws_close_by", &first == &t->to_server ? "client" : "server");
    }
    if (t->to_server.close_seen() && t->to_client.close_seen()) note_counts(req, t);
  }

  static const char* verdict_reason(FrameVerdict v) {
    switch (v) {
      case FrameVerdict::kFrameTooBig: return "frame_too_big";
      case FrameVerdict::kMessageTooBig: return "message_too_big";
      default: return "protocol_error";
    }
  }

  // The peer that sent the offending frame gets a Close frame with the code
  // (1009 "message too big", 1002 "protocol error"), written into the tunnel
  // (ABI 1.1) when the direction toward it sits between frames; the host
  // then shuts both directions down after it. The other peer sees the
  // connection end: the offending frame is never relayed, so its stream may
  // stop mid-frame and cannot take a frame of ours. On a host of ABI 1.0, or
  // mid-frame, both sockets are cut. The log carries the code either way.
  gantry_action_t cut_tunnel(const gantry::Request& req, TunnelState* t, FrameVerdict v,
                             uint32_t dir) const {
    const uint16_t code = v == FrameVerdict::kProtocolError ? 1002 : 1009;
    note_number(req, "ws_cut", code);
    req.log_note("ws_cut_reason", verdict_reason(v));
    req.log_note("ws_cut_dir", dir == GANTRY_DIR_CLIENT_TO_SERVER ? "in" : "out");
    note_counts(req, t);
    const bool to_client = dir == GANTRY_DIR_CLIENT_TO_SERVER;
    const FrameTracker& toward_sender = to_client ? t->to_client : t->to_server;
    if (toward_sender.at_boundary() && send_close(req, to_client, code))
      req.log_note("ws_close_sent", "1");
    return GANTRY_CLOSE;
  }

  // A Close frame with `code`; frames toward a server are masked (RFC 6455
  // 5.3), with a key from the stream's address bits: masking protects
  // intermediaries from chosen plaintext, not a secret.
  static bool send_close(const gantry::Request& req, bool to_client, uint16_t code) {
    uint8_t f[8];
    size_t n = 0;
    f[n++] = 0x88;  // FIN + Close
    if (to_client) {
      f[n++] = 0x02;
      f[n++] = static_cast<uint8_t>(code >> 8);
      f[n++] = static_cast<uint8_t>(code & 0xff);
    } else {
      const uintptr_t bits = reinterpret_cast<uintptr_t>(req.raw()) ^ 0x5a3c96e1u;
      const uint8_t mask[4] = {static_cast<uint8_t>(bits), static_cast<uint8_t>(bits >> 8),
                               static_cast<uint8_t>(bits >> 16), static_cast<uint8_t>(bits >> 24)};
      f[n++] = 0x82;
      for (uint8_t m : mask) f[n++] = m;
      f[n++] = static_cast<uint8_t>((code >> 8) ^ mask[0]);
      f[n++] = static_cast<uint8_t>((code & 0xff) ^ mask[1]);
    }
    const uint32_t toward = to_client ? GANTRY_DIR_SERVER_TO_CLIENT : GANTRY_DIR_CLIENT_TO_SERVER;
    return req.tunnel_send(toward, f, n) == GANTRY_OK;
  }

  const Settings settings_;
};

}  // namespace
}  // namespace gantry::websocket

GANTRY_CPP_MODULE(gantry::websocket::WebSocket)
