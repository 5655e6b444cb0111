#include "ws_test_support.h"

namespace gantry::websocket_test {

MockStream valid_handshake() {
  return MockStream("GET", "/", {{"Host", "server.example.com"},
                                 {"Upgrade", "websocket"},
                                 {"Connection", "Upgrade"},
                                 {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                 {"Sec-WebSocket-Version", "13"}});
}

std::string resp_header(const MockStream& s, const std::string& name) {
  const std::string* v = s.responded_header(name);
  return v != nullptr ? *v : std::string();
}

bool WsModule::load(const std::string& module_config) {
  std::string path = dir_.write("gantry.toml",
                                "[[listener]]\nbind = \"127.0.0.1:0\"\n"
                                "[[backend]]\nname = \"a\"\nservers = [\"127.0.0.1:9\"]\n"
                                "[[module]]\nname = \"ws\"\npath = \"websocket\"\n"
                                "[module.config]\n" + module_config);
  return module_.load(path);
}

gantry_action_t WsModule::request(MockStream* s, void** ctx) {
  return module_.hooks().on_request_headers(module_.inst(), s->raw(), nullptr, ctx);
}
gantry_action_t WsModule::upgrade(MockStream* s, void* ctx, const std::string& protocol) {
  return module_.hooks().on_upgrade(module_.inst(), s->raw(), ctx,
                                    gantry_str_t{protocol.data(), protocol.size()});
}
gantry_action_t WsModule::tunnel(MockStream* s, void* ctx, uint32_t dir, const std::string& b) {
  return module_.hooks().on_tunnel_data(module_.inst(), s->raw(), ctx, dir,
                                        reinterpret_cast<const uint8_t*>(b.data()), b.size());
}
void WsModule::log(MockStream* s, void* ctx, bool upgraded) {
  gantry_log_record_t r{};
  r.struct_size = sizeof r;
  r.upgraded = upgraded;
  module_.hooks().on_log(module_.inst(), s->raw(), ctx, &r);
}
void WsModule::end(MockStream* s, void* ctx) {
  module_.hooks().on_stream_end(module_.inst(), s->raw(), ctx);
}

}  // namespace gantry::websocket_test
