#include "ws_test_support.h"

#include <strings.h>

#include "module_loader/generation.h"

namespace gantry::websocket_test {
namespace {

FakeStream* F(gantry_stream_t* s) { return reinterpret_cast<FakeStream*>(s); }
gantry_stream_t* S(FakeStream* s) { return reinterpret_cast<gantry_stream_t*>(s); }
gantry_str_t str(const std::string& s) { return {s.data(), s.size()}; }
std::string text(gantry_str_t s) { return std::string(s.ptr != nullptr ? s.ptr : "", s.len); }

gantry_str_t fake_method(gantry_stream_t* s) { return str(F(s)->method); }
uint32_t fake_version(gantry_stream_t* s) { return F(s)->version; }
gantry_status_t fake_header_get(gantry_stream_t* s, gantry_str_t name, size_t idx,
                                gantry_str_t* value) {
  for (const auto& h : F(s)->headers) {
    if (h.first.size() != name.len || strncasecmp(h.first.data(), name.ptr, name.len) != 0)
      continue;
    if (idx-- == 0) {
      *value = str(h.second);
      return GANTRY_OK;
    }
  }
  return GANTRY_ERR_NOENT;
}
gantry_status_t fake_respond(gantry_stream_t* s, int32_t status, const gantry_header_t* h,
                             size_t n, gantry_str_t body) {
  FakeStream* f = F(s);
  if (f->status != 0) return GANTRY_ERR_BUSY;  // as the core: one answer per stream
  f->status = status;
  for (size_t i = 0; i < n; ++i) f->resp_headers.emplace_back(text(h[i].name), text(h[i].value));
  f->body = text(body);
  return GANTRY_OK;
}
gantry_status_t fake_log_note(gantry_stream_t* s, gantry_str_t k, gantry_str_t v) {
  F(s)->notes.emplace_back(text(k), text(v));
  return GANTRY_OK;
}

const gantry_host_api_t* fake_host() {
  static gantry_host_api_t api = [] {
    gantry_host_api_t a = *modules::host_api();
    unit_test::use_error_sink(&a);
    a.req_method = fake_method;
    a.req_version = fake_version;
    a.req_header_get = fake_header_get;
    a.respond = fake_respond;
    a.log_note = fake_log_note;
    return a;
  }();
  return &api;
}

}  // namespace

std::string FakeStream::resp_header(const std::string& name) const {
  for (const auto& h : resp_headers)
    if (strcasecmp(h.first.c_str(), name.c_str()) == 0) return h.second;
  return "";
}
std::string FakeStream::note(const std::string& key) const {
  std::string v;
  for (const auto& n : notes)
    if (n.first == key) v = n.second;
  return v;
}
size_t FakeStream::note_count(const std::string& key) const {
  size_t c = 0;
  for (const auto& n : notes) c += n.first == key;
  return c;
}

FakeStream valid_handshake() {
  FakeStream s;
  s.headers = {{"Host", "server.example.com"},
               {"Upgrade", "websocket"},
               {"Connection", "Upgrade"},
               {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
               {"Sec-WebSocket-Version", "13"}};
  return s;
}

bool WsModule::load(const std::string& module_config) {
  std::string path = dir_.write("gantry.toml",
                                "modules_dir = \"" WEBSOCKET_MODULE_DIR "\"\n"
                                "[[listener]]\nbind = \"127.0.0.1:0\"\n"
                                "[[backend]]\nname = \"a\"\nservers = [\"127.0.0.1:9\"]\n"
                                "[[module]]\nname = \"ws\"\npath = \"websocket\"\n"
                                "[module.config]\n" + module_config);
  return module_.load(path, fake_host());
}

gantry_action_t WsModule::request(FakeStream* s, void** ctx) {
  return module_.hooks().on_request_headers(module_.inst(), S(s), nullptr, ctx);
}
gantry_action_t WsModule::upgrade(FakeStream* s, void* ctx, const std::string& protocol) {
  return module_.hooks().on_upgrade(module_.inst(), S(s), ctx, str(protocol));
}
gantry_action_t WsModule::tunnel(FakeStream* s, void* ctx, uint32_t dir, const std::string& b) {
  return module_.hooks().on_tunnel_data(module_.inst(), S(s), ctx, dir,
                               reinterpret_cast<const uint8_t*>(b.data()), b.size());
}
void WsModule::log(FakeStream* s, void* ctx, bool upgraded) {
  gantry_log_record_t r{};
  r.struct_size = sizeof r;
  r.upgraded = upgraded;
  module_.hooks().on_log(module_.inst(), S(s), ctx, &r);
}
void WsModule::end(FakeStream* s, void* ctx) { module_.hooks().on_stream_end(module_.inst(), S(s), ctx); }

}  // namespace gantry::websocket_test
