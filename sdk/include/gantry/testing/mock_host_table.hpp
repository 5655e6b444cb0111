/*
 * The function table of gantry::testing::MockHost. Included at the end of
 * gantry/mock_host.hpp; include that header, not this one.
 */
#ifndef GANTRY_TESTING_MOCK_HOST_TABLE_HPP
#define GANTRY_TESTING_MOCK_HOST_TABLE_HPP

namespace gantry::testing {

inline void MockHost::fill() {
  std::memset(&api_, 0, sizeof api_);
  api_.struct_size = sizeof api_;
  api_.abi_major = GANTRY_ABI_MAJOR;
  api_.abi_minor = GANTRY_ABI_MINOR;
  api_.host_version = "gantry mock";
  api_.log = [](gantry_module_t* self, int32_t level, const char* msg) {
    reinterpret_cast<MockHost*>(self)->logs.push_back({level, msg});
  };
  api_.alloc = [](size_t n) { return std::malloc(n); };
  api_.free = [](void* p) { std::free(p); };
  api_.error_set = [](gantry_error_t* e, gantry_status_t code, const char* msg) {
    reinterpret_cast<MockHost*>(e)->errors.push_back({code, msg, 0});
  };
  api_.error_at = [](gantry_error_t* e, const gantry_cfg_t* node, gantry_status_t code,
                     const char* msg) {
    if (node == nullptr) return reinterpret_cast<MockHost*>(e)->errors.push_back({code, msg, 0});
    reinterpret_cast<MockHost*>(e)->errors.push_back(
        {code, msg, nd(node)->line, nd(node)->file, nd(node)->column});
  };
  api_.worker_count = [] { return cur().workers; };
  api_.worker_index = [] { return cur().worker; };
  api_.post = [](int32_t, gantry_post_cb cb, void* arg) {
    cb(arg);
    return GANTRY_OK;
  };

  api_.cfg_type = [](const gantry_cfg_t* c) { return static_cast<uint32_t>(nd(c)->type); };
  api_.cfg_get = [](const gantry_cfg_t* c, const char* key) -> const gantry_cfg_t* {
    if (nd(c)->type != GANTRY_CFG_TABLE) return nullptr;
    for (const auto& kv : nd(c)->children)
      if (kv.first == key) return kv.second.raw();
    return nullptr;
  };
  api_.cfg_size = [](const gantry_cfg_t* c) { return nd(c)->children.size(); };
  api_.cfg_at = [](const gantry_cfg_t* c, size_t i, gantry_str_t* key) -> const gantry_cfg_t* {
    if (key != nullptr) *key = gantry_str_t{nullptr, 0};
    if (i >= nd(c)->children.size()) return nullptr;
    const auto& kv = nd(c)->children[i];
    if (key != nullptr && nd(c)->type == GANTRY_CFG_TABLE) *key = sl(kv.first);
    return kv.second.raw();
  };
  api_.cfg_string = [](const gantry_cfg_t* c, gantry_str_t* out) {
    if (nd(c)->type != GANTRY_CFG_STRING) return GANTRY_ERR_INVAL;
    *out = sl(nd(c)->text);
    return GANTRY_OK;
  };
  api_.cfg_int = [](const gantry_cfg_t* c, int64_t* out) {
    if (nd(c)->type != GANTRY_CFG_INT) return GANTRY_ERR_INVAL;
    *out = nd(c)->i;
    return GANTRY_OK;
  };
  api_.cfg_float = [](const gantry_cfg_t* c, double* out) {
    if (nd(c)->type == GANTRY_CFG_INT) return (*out = static_cast<double>(nd(c)->i)), GANTRY_OK;
    if (nd(c)->type != GANTRY_CFG_FLOAT) return GANTRY_ERR_INVAL;
    *out = nd(c)->f;
    return GANTRY_OK;
  };
  api_.cfg_bool = [](const gantry_cfg_t* c, int32_t* out) {
    if (nd(c)->type != GANTRY_CFG_BOOL) return GANTRY_ERR_INVAL;
    *out = nd(c)->b ? 1 : 0;
    return GANTRY_OK;
  };
  api_.cfg_duration_ms = [](const gantry_cfg_t* c, int64_t* out) {
    if (nd(c)->type == GANTRY_CFG_INT && nd(c)->i >= 0) return (*out = nd(c)->i), GANTRY_OK;
    if (nd(c)->type == GANTRY_CFG_STRING && units::duration_ms(nd(c)->text, out)) return GANTRY_OK;
    return GANTRY_ERR_INVAL;
  };
  api_.cfg_size_bytes = [](const gantry_cfg_t* c, int64_t* out) {
    if (nd(c)->type == GANTRY_CFG_INT && nd(c)->i >= 0) return (*out = nd(c)->i), GANTRY_OK;
    if (nd(c)->type == GANTRY_CFG_STRING && units::size_bytes(nd(c)->text, out)) return GANTRY_OK;
    return GANTRY_ERR_INVAL;
  };
  api_.cfg_where = [](const gantry_cfg_t* c, const char** file, uint32_t* line, uint32_t* col) {
    *file = nd(c)->file.c_str();
    *line = nd(c)->line;
    *col = nd(c)->column;
  };
  api_.cfg_dir = [] { return sl(cur().config_dir); };

  api_.conn_id = [](gantry_conn_t* c) { return cn(c).id; };
  api_.conn_addr = [](gantry_conn_t* c, int32_t which, void* sa, uint32_t* len) {
    const MockConn& m = cn(c);
    if (which != GANTRY_ADDR_PEER && which != GANTRY_ADDR_LOCAL) return GANTRY_ERR_INVAL;
    const sockaddr_storage& a = which == GANTRY_ADDR_PEER ? m.peer : m.local;
    socklen_t n = which == GANTRY_ADDR_PEER ? m.peer_len : m.local_len;
    if (n == 0) return GANTRY_ERR_NOENT;
    if (*len < n) return GANTRY_ERR_RANGE;
    std::memcpy(sa, &a, n);
    *len = n;
    return GANTRY_OK;
  };
  api_.conn_tls = [](gantry_conn_t* c, gantry_tls_info_t* out) { return tls_facts(cn(c), out); };
  api_.conn_listener = [](gantry_conn_t* c) { return sl(cn(c).listener); };

  api_.stream_conn = [](gantry_stream_t* x) { return st(x).connection().raw(); };
  api_.req_method = [](gantry_stream_t* x) { return sl(st(x).method); };
  api_.req_target = [](gantry_stream_t* x) { return sl(st(x).target); };
  api_.req_path = [](gantry_stream_t* x) { return sl(st(x).path_); };
  api_.req_query = [](gantry_stream_t* x) { return sl(st(x).query_); };
  api_.req_version = [](gantry_stream_t* x) { return st(x).version; };
  api_.req_header_count = [](gantry_stream_t* x) { return st(x).headers.size(); };
  api_.req_header_at = [](gantry_stream_t* x, size_t i, gantry_str_t* n, gantry_str_t* v) {
    if (i >= st(x).headers.size()) return GANTRY_ERR_RANGE;
    *n = sl(st(x).headers[i].first);
    *v = sl(st(x).headers[i].second);
    return GANTRY_OK;
  };
  api_.req_header_get = [](gantry_stream_t* x, gantry_str_t n, size_t idx, gantry_str_t* v) {
    return get_header(st(x).headers, n, idx, v);
  };
  api_.req_header_set = [](gantry_stream_t* x, gantry_str_t n, gantry_str_t v) {
    return set_header(st(x).headers, n, v);
  };
  api_.req_header_add = [](gantry_stream_t* x, gantry_str_t n, gantry_str_t v) {
    return add_header(st(x).headers, n, v);
  };
  api_.req_header_remove = [](gantry_stream_t* x, gantry_str_t n) {
    return remove_header(st(x).headers, n);
  };
  api_.req_set_target = [](gantry_stream_t* x, gantry_str_t t) {
    if (t.len == 0 || t.ptr[0] != '/') return GANTRY_ERR_INVAL;
    for (size_t i = 0; i < t.len; ++i)
      if (static_cast<unsigned char>(t.ptr[i]) <= 32 || t.ptr[i] == 127) return GANTRY_ERR_INVAL;
    st(x).set_target(s(t));
    return GANTRY_OK;
  };
  api_.route_to = [](gantry_stream_t* x, gantry_str_t b) {
    std::string name = s(b);
    if (cur().has_backend && !cur().has_backend(name)) return GANTRY_ERR_NOENT;
    st(x).backend = name;
    return GANTRY_OK;
  };
  api_.route_backend = [](gantry_stream_t* x) { return sl(st(x).backend); };
  api_.backend_index = [](gantry_str_t name) -> int32_t {
    const auto& list = cur().backends;
    if (list.empty()) return -2;
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i] == s(name)) return static_cast<int32_t>(i);
    return -1;
  };
  api_.route_to_index = [](gantry_stream_t* x, int32_t i) {
    const auto& list = cur().backends;
    if (i < 0 || static_cast<size_t>(i) >= list.size()) return GANTRY_ERR_RANGE;
    st(x).backend = list[static_cast<size_t>(i)];
    return GANTRY_OK;
  };
  api_.tunnel_send = [](gantry_stream_t* x, uint32_t dir, const uint8_t* p, size_t n) {
    st(x).tunnel_sent.emplace_back(dir, std::string(reinterpret_cast<const char*>(p), n));
    return GANTRY_OK;
  };
  api_.check_only = []() -> uint32_t { return cur().check_only ? 1u : 0u; };
  api_.metric_register = [](gantry_module_t*, gantry_str_t name, gantry_str_t help, uint32_t type,
                            gantry_str_t labels) -> int32_t {
    std::string n = s(name);
    bool ok = !n.empty() && type <= GANTRY_METRIC_GAUGE && !(n[0] >= '0' && n[0] <= '9');
    for (char c : n) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    if (!ok) return -1;
    auto& list = cur().metrics;
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i].name == n && list[i].labels == s(labels)) return static_cast<int32_t>(i);
    list.push_back({n, s(help), s(labels), type, 0});
    return static_cast<int32_t>(list.size() - 1);
  };
  api_.metric_add = [](int32_t id, int64_t delta) {
    auto& list = cur().metrics;
    if (id < 0 || static_cast<size_t>(id) >= list.size()) return GANTRY_ERR_RANGE;
    list[static_cast<size_t>(id)].value += delta;
    return GANTRY_OK;
  };
  api_.metric_set = [](int32_t id, int64_t value) {
    auto& list = cur().metrics;
    if (id < 0 || static_cast<size_t>(id) >= list.size()) return GANTRY_ERR_RANGE;
    auto& m = list[static_cast<size_t>(id)];
    if (m.type != GANTRY_METRIC_GAUGE) return GANTRY_ERR_INVAL;
    m.value += value - m.set;
    m.set = value;
    return GANTRY_OK;
  };
  api_.respond = [](gantry_stream_t* x, int32_t status, const gantry_header_t* h, size_t n,
                    gantry_str_t body) {
    for (size_t i = 0; i < n; ++i)
      if (!valid_field(h[i].name, h[i].value)) return GANTRY_ERR_INVAL;
    if (st(x).responded_status != 0) return GANTRY_ERR_BUSY;  // one answer per stream
    if (status < 100 || status > 599) return GANTRY_ERR_INVAL;
    st(x).responded_status = status;
    st(x).responded_headers.clear();
    for (size_t i = 0; i < n; ++i) st(x).responded_headers.emplace_back(s(h[i].name), s(h[i].value));
    st(x).responded_body = s(body);
    return GANTRY_OK;
  };
  api_.resp_status = [](gantry_stream_t* x) { return st(x).resp_status; };
  api_.resp_header_get = [](gantry_stream_t* x, gantry_str_t n, size_t idx, gantry_str_t* v) {
    return get_header(st(x).resp_headers, n, idx, v);
  };
  api_.resp_header_set = [](gantry_stream_t* x, gantry_str_t n, gantry_str_t v) {
    return set_header(st(x).resp_headers, n, v);
  };
  api_.resp_header_add = [](gantry_stream_t* x, gantry_str_t n, gantry_str_t v) {
    return add_header(st(x).resp_headers, n, v);
  };
  api_.resp_header_remove = [](gantry_stream_t* x, gantry_str_t n) {
    return remove_header(st(x).resp_headers, n);
  };
  api_.log_note = [](gantry_stream_t* x, gantry_str_t k, gantry_str_t v) {
    st(x).log_notes.emplace_back(s(k), s(v));
    return GANTRY_OK;
  };
  api_.resume = [](gantry_stream_t* x, int32_t action) {
    st(x).resumed_action = action;
    return GANTRY_OK;
  };
  api_.set_balance_key = [](gantry_stream_t* x, gantry_str_t k) {
    st(x).balance_key = s(k);
    return GANTRY_OK;
  };
}

}  // namespace gantry::testing

#endif /* GANTRY_TESTING_MOCK_HOST_TABLE_HPP */
