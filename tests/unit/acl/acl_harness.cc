#include "acl_harness.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "module_loader/generation.h"

namespace gantry::acl_test {
namespace {

// Where the fake log/cfg_dir calls, which get no context argument of their
// own, find the harness's state.
std::vector<std::string>* g_logs = nullptr;
std::string g_cfg_dir;

FakeRequest* req(gantry_stream_t* s) { return reinterpret_cast<FakeRequest*>(s); }
FakeRequest* req(gantry_conn_t* c) { return reinterpret_cast<FakeRequest*>(c); }
gantry_str_t str(const std::string& s) { return {s.data(), s.size()}; }
std::string text(gantry_str_t s) { return std::string(s.ptr != nullptr ? s.ptr : "", s.len); }
bool same_name(const std::string& a, gantry_str_t b) {
  return a.size() == b.len && strncasecmp(a.data(), b.ptr, b.len) == 0;
}

void split_target(FakeRequest* r) {
  size_t q = r->target.find('?');
  r->path_ = r->target.substr(0, q);
  r->query_ = q == std::string::npos ? "" : r->target.substr(q + 1);
}

void fake_log(gantry_module_t*, int32_t level, const char* msg) {
  if (g_logs != nullptr) g_logs->push_back(std::to_string(level) + " " + msg);
}
gantry_str_t fake_cfg_dir() { return str(g_cfg_dir); }
uint32_t fake_worker_count() { return 2; }
int32_t g_worker = 0;
int32_t fake_worker_index() { return g_worker; }

gantry_conn_t* fake_stream_conn(gantry_stream_t* s) { return reinterpret_cast<gantry_conn_t*>(s); }
gantry_str_t fake_method(gantry_stream_t* s) { return str(req(s)->method); }
gantry_str_t fake_target(gantry_stream_t* s) { return str(req(s)->target); }
gantry_str_t fake_path(gantry_stream_t* s) { return str(req(s)->path_); }
gantry_str_t fake_query(gantry_stream_t* s) { return str(req(s)->query_); }

gantry_status_t fake_header_get(gantry_stream_t* s, gantry_str_t name, size_t idx,
                                gantry_str_t* value) {
  for (const auto& h : req(s)->headers) {
    if (!same_name(h.first, name)) continue;
    if (idx-- == 0) {
      *value = str(h.second);
      return GANTRY_OK;
    }
  }
  return GANTRY_ERR_NOENT;
}
gantry_status_t fake_header_remove(gantry_stream_t* s, gantry_str_t name) {
  Headers& hs = req(s)->headers;
  for (size_t i = hs.size(); i-- > 0;)
    if (same_name(hs[i].first, name)) hs.erase(hs.begin() + static_cast<long>(i));
  return GANTRY_OK;
}
gantry_status_t fake_header_add(gantry_stream_t* s, gantry_str_t name, gantry_str_t value) {
  req(s)->headers.emplace_back(text(name), text(value));
  return GANTRY_OK;
}
gantry_status_t fake_header_set(gantry_stream_t* s, gantry_str_t name, gantry_str_t value) {
  fake_header_remove(s, name);
  return fake_header_add(s, name, value);
}
gantry_status_t fake_set_target(gantry_stream_t* s, gantry_str_t target) {
  req(s)->target = text(target);
  split_target(req(s));
  return GANTRY_OK;
}
// Every backend exists except those named "missing...".
gantry_status_t fake_route_to(gantry_stream_t* s, gantry_str_t backend) {
  std::string name = text(backend);
  if (name.rfind("missing", 0) == 0) return GANTRY_ERR_NOENT;
  req(s)->backend = name;
  return GANTRY_OK;
}
gantry_str_t fake_route_backend(gantry_stream_t* s) { return str(req(s)->backend); }
gantry_status_t fake_respond(gantry_stream_t* s, int32_t status, const gantry_header_t* headers,
                             size_t n, gantry_str_t body) {
  FakeRequest* r = req(s);
  r->status = status;
  for (size_t i = 0; i < n; ++i) r->resp_headers.emplace_back(text(headers[i].name), text(headers[i].value));
  r->body = text(body);
  return GANTRY_OK;
}
gantry_status_t fake_log_note(gantry_stream_t* s, gantry_str_t key, gantry_str_t value) {
  req(s)->notes.emplace_back(text(key), text(value));
  return GANTRY_OK;
}
gantry_status_t fake_conn_addr(gantry_conn_t* c, int32_t which, void* sa, uint32_t* len) {
  if (which != GANTRY_ADDR_PEER) return GANTRY_ERR_NOTSUP;
  const std::string& peer = req(c)->peer;
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  if (inet_pton(AF_INET, peer.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    if (*len < sizeof(v4)) return GANTRY_ERR_RANGE;
    std::memcpy(sa, &v4, sizeof(v4));
    *len = sizeof(v4);
    return GANTRY_OK;
  }
  if (inet_pton(AF_INET6, peer.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    if (*len < sizeof(v6)) return GANTRY_ERR_RANGE;
    std::memcpy(sa, &v6, sizeof(v6));
    *len = sizeof(v6);
    return GANTRY_OK;
  }
  return GANTRY_ERR_NOENT;
}
gantry_status_t fake_conn_tls(gantry_conn_t* c, gantry_tls_info_t* out) {
  FakeRequest* r = req(c);
  if (!r->tls) return GANTRY_ERR_NOENT;
  out->handshake_done = 1;
  out->sni = str(r->sni);
  return GANTRY_OK;
}

const gantry_host_api_t* fake_host() {
  static gantry_host_api_t api = [] {
    gantry_host_api_t a = *modules::host_api();
    a.log = fake_log;
    unit_test::use_error_sink(&a);
    a.cfg_dir = fake_cfg_dir;
    a.worker_count = fake_worker_count;
    a.worker_index = fake_worker_index;
    a.stream_conn = fake_stream_conn;
    a.req_method = fake_method;
    a.req_target = fake_target;
    a.req_path = fake_path;
    a.req_query = fake_query;
    a.req_header_get = fake_header_get;
    a.req_header_set = fake_header_set;
    a.req_header_add = fake_header_add;
    a.req_header_remove = fake_header_remove;
    a.req_set_target = fake_set_target;
    a.route_to = fake_route_to;
    a.route_backend = fake_route_backend;
    a.respond = fake_respond;
    a.log_note = fake_log_note;
    a.conn_addr = fake_conn_addr;
    a.conn_tls = fake_conn_tls;
    return a;
  }();
  return &api;
}

const gantry_module_desc_t* module_desc() {
  // Loaded once and never closed, as the core does.
  static const gantry_module_desc_t* desc = [] {
    void* h = dlopen(ACL_MODULE_DIR "/acl_hyperscan.so", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) return static_cast<const gantry_module_desc_t*>(nullptr);
    auto entry = reinterpret_cast<gantry_module_entry_fn>(dlsym(h, GANTRY_ENTRY_SYMBOL));
    return entry != nullptr ? entry() : nullptr;
  }();
  return desc;
}

}  // namespace

std::string FakeRequest::resp_header(const std::string& name) const {
  for (const auto& h : resp_headers)
    if (strcasecmp(h.first.c_str(), name.c_str()) == 0) return h.second;
  return "";
}
std::string FakeRequest::req_header(const std::string& name) const {
  for (const auto& h : headers)
    if (strcasecmp(h.first.c_str(), name.c_str()) == 0) return h.second;
  return "";
}
size_t FakeRequest::req_header_count(const std::string& name) const {
  size_t n = 0;
  for (const auto& h : headers) n += strcasecmp(h.first.c_str(), name.c_str()) == 0;
  return n;
}

std::string AclHarness::write_file(const std::string& name, const std::string& content) {
  return dir_.write(name, content);
}

bool AclHarness::load(const std::string& module_config, const std::string& cache_dir,
                      Mode mode) {
  module_.unload();
  logs_.clear();
  std::string toml = "modules_dir = \"" ACL_MODULE_DIR "\"\n"
                     "[[listener]]\nbind = \"127.0.0.1:0\"\n"
                     "[[backend]]\nname = \"a\"\nservers = [\"127.0.0.1:9\"]\n"
                     "[[module]]\nname = \"acl\"\npath = \"acl_hyperscan\"\n"
                     "[module.config]\ncache_dir = \"" + cache_dir + "\"\n" + module_config;
  write_file("gantry.toml", toml);
  const gantry_module_desc_t* direct = nullptr;
  if (mode == Mode::kFakeHostOnly) {
    direct = module_desc();
    if (direct == nullptr) {
      load_error_ = std::string("cannot load module: ") + dlerror();
      return false;
    }
  }
  load_error_.clear();
  g_logs = &logs_;
  g_cfg_dir = dir_.path();
  return module_.load(config_path(), fake_host(), direct);
}

bool AclHarness::logged(const std::string& needle) const {
  for (const std::string& l : logs_)
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

gantry_action_t AclHarness::run(FakeRequest* r, int32_t worker) {
  split_target(r);
  g_worker = worker;
  g_logs = &logs_;
  void* stream_ctx = nullptr;
  return module_.hooks().on_request_headers(module_.inst(), reinterpret_cast<gantry_stream_t*>(r),
                                           nullptr, &stream_ctx);
}

std::string AclHarness::route(const std::string& target, const Headers& headers) {
  FakeRequest r(target, headers);
  run(&r);
  if (r.status != 0) return "status:" + std::to_string(r.status);
  return r.backend;
}

}  // namespace gantry::acl_test
