// The runtime half of the host function table: workers, connections,
// streams. Each call runs on the loop that owns its object (see module.h).
#include <cstring>

#include "loop/main_thread.h"
#include "loop/worker.h"
#include "module_loader/host_services.h"
#include "proxy/client_session.h"
#include "proxy/exchange.h"
#include "proxy/worker_state.h"

namespace gantry::proxy {
namespace {

std::vector<loop::Worker*>* g_workers = nullptr;
uint32_t g_worker_count = 1;

gantry_str_t S(std::string_view v) { return {v.data(), v.size()}; }
std::string_view V(gantry_str_t s) { return {s.ptr ? s.ptr : "", s.len}; }
ClientSession* C(gantry_conn_t* c) { return static_cast<ClientSession*>(c); }
Exchange* X(gantry_stream_t* s) { return static_cast<Exchange*>(s); }

uint32_t worker_count() { return g_worker_count; }

int32_t worker_index() {
  loop::Worker* w = loop::Worker::current();
  return w ? static_cast<int32_t>(w->index()) : -1;
}

gantry_status_t post(int32_t worker, gantry_post_cb cb, void* arg) {
  if (cb == nullptr) return GANTRY_ERR_INVAL;
  if (worker < 0) {
    loop::run_on_main([cb, arg] { cb(arg); });
    return GANTRY_OK;
  }
  if (g_workers == nullptr || static_cast<size_t>(worker) >= g_workers->size())
    return GANTRY_ERR_RANGE;
  (*g_workers)[worker]->post([cb, arg] { cb(arg); });
  return GANTRY_OK;
}

uint64_t conn_id(gantry_conn_t* c) { return C(c)->conn()->id(); }

gantry_status_t conn_addr(gantry_conn_t* c, int32_t which, void* sa, uint32_t* len) {
  if (sa == nullptr || len == nullptr) return GANTRY_ERR_INVAL;
  sockaddr_storage ss;
  socklen_t l = 0;
  if (C(c)->conn()->addr(which, &ss, &l) != 0) return GANTRY_ERR_GENERIC;
  if (*len < l) return GANTRY_ERR_RANGE;
  std::memcpy(sa, &ss, l);
  *len = l;
  return GANTRY_OK;
}

gantry_status_t conn_tls(gantry_conn_t* c, gantry_tls_info_t* out) {
  if (out == nullptr) return GANTRY_ERR_INVAL;
  // Fill only what the caller's struct can hold.
  gantry_tls_info_t mine{};
  mine.struct_size = sizeof mine;
  gantry_status_t st = C(c)->conn()->transport_info(&mine);
  if (st != GANTRY_OK) return st;
  uint32_t n = out->struct_size < sizeof mine ? out->struct_size : sizeof mine;
  uint32_t theirs = out->struct_size;
  std::memcpy(out, &mine, n);
  out->struct_size = theirs;
  return GANTRY_OK;
}

gantry_str_t conn_listener(gantry_conn_t* c) {
  ClientSession* s = C(c);
  return S(s->snap().cfg->listeners[s->listener()].name);
}

gantry_conn_t* stream_conn(gantry_stream_t* s) { return X(s)->session(); }
gantry_str_t req_method(gantry_stream_t* s) { return S(X(s)->method()); }
gantry_str_t req_target(gantry_stream_t* s) { return S(X(s)->target()); }
gantry_str_t req_path(gantry_stream_t* s) { return S(X(s)->path()); }
gantry_str_t req_query(gantry_stream_t* s) { return S(X(s)->query()); }
uint32_t req_version(gantry_stream_t* s) {
  if (X(s)->heads_released()) return 11;  // only HTTP/1.1 requests become tunnels
  const http::Head& h = X(s)->req();
  return h.version_major * 10u + h.version_minor;
}

// In a tunnel the heads are gone: no headers, and nothing to change.
size_t req_header_count(gantry_stream_t* s) {
  return X(s)->heads_released() ? 0 : X(s)->req().live_headers;
}

gantry_status_t req_header_at(gantry_stream_t* s, size_t i, gantry_str_t* name,
                              gantry_str_t* value) {
  if (X(s)->heads_released()) return GANTRY_ERR_NOENT;
  for (const http::HeaderField& h : X(s)->req().headers) {
    if (h.name.empty()) continue;
    if (i-- == 0) {
      if (name) *name = S(h.name);
      if (value) *value = S(h.value);
      return GANTRY_OK;
    }
  }
  return GANTRY_ERR_NOENT;
}

gantry_status_t header_get(const http::Head& h, gantry_str_t name, size_t idx, gantry_str_t* v) {
  const http::HeaderField* f = h.find(V(name), idx);
  if (f == nullptr) return GANTRY_ERR_NOENT;
  if (v) *v = S(f->value);
  return GANTRY_OK;
}

bool valid_field(gantry_str_t name, gantry_str_t value) {
  if (name.len == 0) return false;
  for (size_t i = 0; i < name.len; ++i) {
    char c = name.ptr[i];
    if (c <= 32 || c == ':' || c == 127) return false;
  }
  for (size_t i = 0; i < value.len; ++i)
    if (value.ptr[i] == '\r' || value.ptr[i] == '\n' || value.ptr[i] == '\0') return false;
  return true;
}

gantry_status_t req_header_get(gantry_stream_t* s, gantry_str_t n, size_t i, gantry_str_t* v) {
  if (X(s)->heads_released()) return GANTRY_ERR_NOENT;
  return header_get(X(s)->req(), n, i, v);
}
gantry_status_t req_header_set(gantry_stream_t* s, gantry_str_t n, gantry_str_t v) {
  if (!valid_field(n, v)) return GANTRY_ERR_INVAL;
  if (X(s)->heads_released()) return GANTRY_ERR_BUSY;
  X(s)->req().set(X(s)->arena(), V(n), V(v));
  return GANTRY_OK;
}
gantry_status_t req_header_add(gantry_stream_t* s, gantry_str_t n, gantry_str_t v) {
  if (!valid_field(n, v)) return GANTRY_ERR_INVAL;
  if (X(s)->heads_released()) return GANTRY_ERR_BUSY;
  X(s)->req().add(X(s)->arena(), V(n), V(v));
  return GANTRY_OK;
}
gantry_status_t req_header_remove(gantry_stream_t* s, gantry_str_t n) {
  if (X(s)->heads_released()) return GANTRY_ERR_BUSY;
  return X(s)->req().remove(V(n)) ? GANTRY_OK : GANTRY_ERR_NOENT;
}
gantry_status_t req_set_target(gantry_stream_t* s, gantry_str_t t) {
  if (t.len == 0 || t.ptr[0] != '/') return GANTRY_ERR_INVAL;
  for (size_t i = 0; i < t.len; ++i)
    if (static_cast<unsigned char>(t.ptr[i]) <= 32 || t.ptr[i] == 127) return GANTRY_ERR_INVAL;
  if (X(s)->heads_released()) return GANTRY_ERR_BUSY;
  X(s)->req().target = {X(s)->arena().copy(t.ptr, t.len), t.len};
  return GANTRY_OK;
}
gantry_status_t route_to(gantry_stream_t* s, gantry_str_t b) { return X(s)->route_to(V(b)); }
gantry_str_t route_backend(gantry_stream_t* s) { return S(X(s)->route_backend()); }
gantry_status_t respond(gantry_stream_t* s, int32_t status, const gantry_header_t* h, size_t n,
                        gantry_str_t body) {
  for (size_t i = 0; i < n; ++i)
    if (!valid_field(h[i].name, h[i].value)) return GANTRY_ERR_INVAL;
  return X(s)->respond_from_module(status, h, n, V(body));
}
int32_t resp_status(gantry_stream_t* s) {
  return X(s)->heads_released() ? X(s)->status() : X(s)->resp().status;
}
gantry_status_t resp_header_get(gantry_stream_t* s, gantry_str_t n, size_t i, gantry_str_t* v) {
  if (X(s)->heads_released()) return GANTRY_ERR_NOENT;
  return header_get(X(s)->resp(), n, i, v);
}
gantry_status_t resp_header_set(gantry_stream_t* s, gantry_str_t n, gantry_str_t v) {
  if (!valid_field(n, v)) return GANTRY_ERR_INVAL;
  if (X(s)->response_started()) return GANTRY_ERR_BUSY;
  X(s)->resp().set(X(s)->arena(), V(n), V(v));
  return GANTRY_OK;
}
gantry_status_t resp_header_add(gantry_stream_t* s, gantry_str_t n, gantry_str_t v) {
  if (!valid_field(n, v)) return GANTRY_ERR_INVAL;
  if (X(s)->response_started()) return GANTRY_ERR_BUSY;
  X(s)->resp().add(X(s)->arena(), V(n), V(v));
  return GANTRY_OK;
}
gantry_status_t resp_header_remove(gantry_stream_t* s, gantry_str_t n) {
  if (X(s)->response_started()) return GANTRY_ERR_BUSY;
  return X(s)->resp().remove(V(n)) ? GANTRY_OK : GANTRY_ERR_NOENT;
}
gantry_status_t log_note(gantry_stream_t* s, gantry_str_t k, gantry_str_t v) {
  X(s)->log_note(V(k), V(v));
  return GANTRY_OK;
}
gantry_status_t resume(gantry_stream_t* s, int32_t action) { return X(s)->resume(action); }
gantry_status_t set_balance_key(gantry_stream_t* s, gantry_str_t k) {
  X(s)->set_balance_key(V(k));
  return GANTRY_OK;
}

}  // namespace

void set_host_workers(std::vector<loop::Worker*>* workers) { g_workers = workers; }
void set_host_worker_count(uint32_t n) { g_worker_count = n; }

}  // namespace gantry::proxy

namespace gantry::modules {

void fill_runtime_services(gantry_host_api_t* a) {
  using namespace gantry::proxy;
  a->worker_count = worker_count;
  a->worker_index = worker_index;
  a->post = post;
  a->conn_id = conn_id;
  a->conn_addr = conn_addr;
  a->conn_tls = conn_tls;
  a->conn_listener = conn_listener;
  a->stream_conn = stream_conn;
  a->req_method = req_method;
  a->req_target = req_target;
  a->req_path = req_path;
  a->req_query = req_query;
  a->req_version = req_version;
  a->req_header_count = req_header_count;
  a->req_header_at = req_header_at;
  a->req_header_get = req_header_get;
  a->req_header_set = req_header_set;
  a->req_header_add = req_header_add;
  a->req_header_remove = req_header_remove;
  a->req_set_target = req_set_target;
  a->route_to = route_to;
  a->route_backend = route_backend;
  a->respond = respond;
  a->resp_status = resp_status;
  a->resp_header_get = resp_header_get;
  a->resp_header_set = resp_header_set;
  a->resp_header_add = resp_header_add;
  a->resp_header_remove = resp_header_remove;
  a->log_note = log_note;
  a->resume = resume;
  a->set_balance_key = set_balance_key;
}

}  // namespace gantry::modules
