// Stream services of the host table: a gantry_stream_t is an Exchange. Each
// call runs on the loop that owns the stream (see module.h).
#include "exchange/host_stream.h"

#include "exchange/exchange.h"

namespace gantry::exchange {
namespace {

gantry_str_t S(std::string_view v) { return {v.data(), v.size()}; }
std::string_view V(gantry_str_t s) { return {s.ptr ? s.ptr : "", s.len}; }
Exchange* X(gantry_stream_t* s) { return static_cast<Exchange*>(s); }

gantry_conn_t* stream_conn(gantry_stream_t* s) { return X(s)->conn_handle(); }
gantry_str_t req_method(gantry_stream_t* s) { return S(X(s)->method()); }
gantry_str_t req_target(gantry_stream_t* s) { return S(X(s)->target()); }
gantry_str_t req_path(gantry_stream_t* s) { return S(X(s)->path()); }
gantry_str_t req_query(gantry_stream_t* s) { return S(X(s)->query()); }
uint32_t req_version(gantry_stream_t* s) {
  if (X(s)->heads_released()) return 11;  // only HTTP/1.1 requests become tunnels
  const http::Head& h = X(s)->request();
  return h.version_major * 10u + h.version_minor;
}

// In a tunnel the heads are gone: no headers, and nothing to change.
size_t req_header_count(gantry_stream_t* s) {
  return X(s)->heads_released() ? 0 : X(s)->request().live_headers;
}

gantry_status_t req_header_at(gantry_stream_t* s, size_t i, gantry_str_t* name,
                              gantry_str_t* value) {
  if (X(s)->heads_released()) return GANTRY_ERR_NOENT;
  for (const http::HeaderField& h : X(s)->request().headers) {
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
  return header_get(X(s)->request(), n, i, v);
}
gantry_status_t req_header_set(gantry_stream_t* s, gantry_str_t n, gantry_str_t v) {
  if (!valid_field(n, v)) return GANTRY_ERR_INVAL;
  if (X(s)->heads_released()) return GANTRY_ERR_BUSY;
  X(s)->request().set(X(s)->arena(), V(n), V(v));
  return GANTRY_OK;
}
gantry_status_t req_header_add(gantry_stream_t* s, gantry_str_t n, gantry_str_t v) {
  if (!valid_field(n, v)) return GANTRY_ERR_INVAL;
  if (X(s)->heads_released()) return GANTRY_ERR_BUSY;
  X(s)->request().add(X(s)->arena(), V(n), V(v));
  return GANTRY_OK;
}
gantry_status_t req_header_remove(gantry_stream_t* s, gantry_str_t n) {
  if (X(s)->heads_released()) return GANTRY_ERR_BUSY;
  return X(s)->request().remove(V(n)) ? GANTRY_OK : GANTRY_ERR_NOENT;
}
gantry_status_t req_set_target(gantry_stream_t* s, gantry_str_t t) {
  if (t.len == 0 || t.ptr[0] != '/') return GANTRY_ERR_INVAL;
  for (size_t i = 0; i < t.len; ++i)
    if (static_cast<unsigned char>(t.ptr[i]) <= 32 || t.ptr[i] == 127) return GANTRY_ERR_INVAL;
  if (X(s)->heads_released()) return GANTRY_ERR_BUSY;
  X(s)->request().target = {X(s)->arena().copy(t.ptr, t.len), t.len};
  return GANTRY_OK;
}
gantry_status_t route_to(gantry_stream_t* s, gantry_str_t b) { return X(s)->route_to(V(b)); }
gantry_str_t route_backend(gantry_stream_t* s) { return S(X(s)->route_backend()); }
gantry_status_t route_to_index(gantry_stream_t* s, int32_t b) { return X(s)->route_to_index(b); }
gantry_status_t tunnel_send(gantry_stream_t* s, uint32_t dir, const uint8_t* p, size_t n) {
  if (p == nullptr && n != 0) return GANTRY_ERR_INVAL;
  return X(s)->tunnel_send(dir, reinterpret_cast<const char*>(p), n);
}
gantry_status_t respond(gantry_stream_t* s, int32_t status, const gantry_header_t* h, size_t n,
                        gantry_str_t body) {
  for (size_t i = 0; i < n; ++i)
    if (!valid_field(h[i].name, h[i].value)) return GANTRY_ERR_INVAL;
  return X(s)->respond(status, h, n, V(body));
}
int32_t resp_status(gantry_stream_t* s) {
  return X(s)->heads_released() ? X(s)->status() : X(s)->response().status;
}
gantry_status_t resp_header_get(gantry_stream_t* s, gantry_str_t n, size_t i, gantry_str_t* v) {
  if (X(s)->heads_released()) return GANTRY_ERR_NOENT;
  return header_get(X(s)->response(), n, i, v);
}
gantry_status_t resp_header_set(gantry_stream_t* s, gantry_str_t n, gantry_str_t v) {
  if (!valid_field(n, v)) return GANTRY_ERR_INVAL;
  if (X(s)->answered() || X(s)->heads_released()) return GANTRY_ERR_BUSY;
  X(s)->response().set(X(s)->arena(), V(n), V(v));
  return GANTRY_OK;
}
gantry_status_t resp_header_add(gantry_stream_t* s, gantry_str_t n, gantry_str_t v) {
  if (!valid_field(n, v)) return GANTRY_ERR_INVAL;
  if (X(s)->answered() || X(s)->heads_released()) return GANTRY_ERR_BUSY;
  X(s)->response().add(X(s)->arena(), V(n), V(v));
  return GANTRY_OK;
}
gantry_status_t resp_header_remove(gantry_stream_t* s, gantry_str_t n) {
  if (X(s)->answered() || X(s)->heads_released()) return GANTRY_ERR_BUSY;
  return X(s)->response().remove(V(n)) ? GANTRY_OK : GANTRY_ERR_NOENT;
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

void fill_stream_services(gantry_host_api_t* a) {
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
  a->route_to_index = route_to_index;
  a->tunnel_send = tunnel_send;
}

}  // namespace gantry::exchange
