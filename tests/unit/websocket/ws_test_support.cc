#include "ws_test_support.h"

#include <strings.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "config/loader.h"
#include "module_loader/generation.h"

namespace gantry::websocket_test {
namespace {

struct FakeError {
  std::string message;
};

FakeStream* F(gantry_stream_t* s) { return reinterpret_cast<FakeStream*>(s); }
gantry_stream_t* S(FakeStream* s) { return reinterpret_cast<gantry_stream_t*>(s); }
gantry_str_t str(const std::string& s) { return {s.data(), s.size()}; }
std::string text(gantry_str_t s) { return std::string(s.ptr != nullptr ? s.ptr : "", s.len); }

void fake_error_set(gantry_error_t* err, gantry_status_t, const char* msg) {
  reinterpret_cast<FakeError*>(err)->message = msg;
}
void fake_error_at(gantry_error_t* err, const gantry_cfg_t* node, gantry_status_t,
                   const char* msg) {
  const char* file = "?";
  uint32_t line = 0;
  uint32_t col = 0;
  modules::host_api()->cfg_where(node, &file, &line, &col);
  reinterpret_cast<FakeError*>(err)->message =
      std::string(file) + ":" + std::to_string(line) + ": " + msg;
}
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
    a.error_set = fake_error_set;
    a.error_at = fake_error_at;
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

WsModule::WsModule() {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && tmp[0] ? tmp : "/tmp") + "/ws-test-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) != nullptr) dir_ = buf.data();
}

WsModule::~WsModule() {
  unload();
  if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
}

void WsModule::unload() {
  if (inst_ != nullptr) hooks_.instance_free(inst_);
  inst_ = nullptr;
  generation_.reset();
  config_.reset();
}

bool WsModule::load(const std::string& module_config) {
  unload();
  error_.clear();
  std::string path = dir_ + "/gantry.toml";
  std::ofstream(path) << "modules_dir = \"" WEBSOCKET_MODULE_DIR "\"\n"
                      << "[[listener]]\nbind = \"127.0.0.1:0\"\n"
                      << "[[backend]]\nname = \"a\"\nservers = [\"127.0.0.1:9\"]\n"
                      << "[[module]]\nname = \"ws\"\npath = \"websocket\"\n"
                      << "[module.config]\n"
                      << module_config;
  auto cfg = config::load_config(path);
  if (!cfg.ok()) {
    error_ = cfg.error();
    return false;
  }
  config_ = *cfg;
  auto gen = modules::build_generation(*cfg);
  if (!gen.ok()) {
    error_ = gen.error();
    return false;
  }
  generation_ = *gen;
  hooks_ = (*gen)->instances.at(0).hooks;
  FakeError err;
  gantry_status_t rc =
      hooks_.instance_new(fake_host(), (*gen)->instances.at(0).self, (*cfg)->modules.at(0).config,
                          &inst_, reinterpret_cast<gantry_error_t*>(&err));
  if (rc != GANTRY_OK) {
    inst_ = nullptr;
    error_ = err.message;
    return false;
  }
  return true;
}

gantry_action_t WsModule::request(FakeStream* s, void** ctx) {
  return hooks_.on_request_headers(inst_, S(s), nullptr, ctx);
}
gantry_action_t WsModule::upgrade(FakeStream* s, void* ctx, const std::string& protocol) {
  return hooks_.on_upgrade(inst_, S(s), ctx, str(protocol));
}
gantry_action_t WsModule::tunnel(FakeStream* s, void* ctx, uint32_t dir, const std::string& b) {
  return hooks_.on_tunnel_data(inst_, S(s), ctx, dir,
                               reinterpret_cast<const uint8_t*>(b.data()), b.size());
}
void WsModule::log(FakeStream* s, void* ctx, bool upgraded) {
  gantry_log_record_t r{};
  r.struct_size = sizeof r;
  r.upgraded = upgraded;
  hooks_.on_log(inst_, S(s), ctx, &r);
}
void WsModule::end(FakeStream* s, void* ctx) { hooks_.on_stream_end(inst_, S(s), ctx); }

std::string frame(uint8_t opcode, const std::string& payload, bool fin, bool masked) {
  std::string f;
  f += static_cast<char>((fin ? 0x80 : 0) | opcode);
  uint8_t m = masked ? 0x80 : 0;
  uint64_t n = payload.size();
  if (n < 126) {
    f += static_cast<char>(m | n);
  } else if (n < 65536) {
    f += static_cast<char>(m | 126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n & 0xff);
  } else {
    f += static_cast<char>(m | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((n >> (8 * i)) & 0xff);
  }
  const char key[4] = {0x37, static_cast<char>(0xfa), 0x21, 0x3d};
  if (masked) f.append(key, 4);
  for (size_t i = 0; i < payload.size(); ++i)
    f += masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i];
  return f;
}

}  // namespace gantry::websocket_test
