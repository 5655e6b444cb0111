// Connection services of the host table: a gantry_conn_t is a ClientConn.
#include <cstring>

#include "downstream/client_conn.h"
#include "downstream/host_conn.h"

namespace gantry::downstream {
namespace {

ClientConn* C(gantry_conn_t* c) { return static_cast<ClientConn*>(c); }

uint64_t conn_id(gantry_conn_t* c) { return C(c)->conn()->id(); }

gantry_status_t conn_addr(gantry_conn_t* c, int32_t which, void* sa, uint32_t* len) {
  if (sa == nullptr || len == nullptr) return GANTRY_ERR_INVAL;
  sockaddr_storage ss;
  socklen_t l = 0;
  if (C(c)->client_addr(which, &ss, &l) != 0) return GANTRY_ERR_GENERIC;
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
  uint32_t theirs = out->struct_size;
  std::memcpy(out, &mine, theirs < sizeof mine ? theirs : sizeof mine);
  out->struct_size = theirs;
  return GANTRY_OK;
}

gantry_str_t conn_listener(gantry_conn_t* c) {
  const std::string& name = C(c)->snap().cfg->listeners[C(c)->listener()].name;
  return {name.data(), name.size()};
}

}  // namespace

void fill_conn_services(gantry_host_api_t* a) {
  a->conn_id = conn_id;
  a->conn_addr = conn_addr;
  a->conn_tls = conn_tls;
  a->conn_listener = conn_listener;
}

}  // namespace gantry::downstream
