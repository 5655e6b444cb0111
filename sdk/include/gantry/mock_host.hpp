/*
 * gantry::testing: an in-memory host for unit-testing modules without the
 * gantry core. C++17, header-only; usable for C and C++ modules alike.
 *
 *   gantry::testing::MockHost host;                     // the host table
 *   auto mod = gantry::testing::LoadedModule::open("./my_module.so");
 *   auto cfg = MockCfg::table({{"rate", MockCfg::integer(5)}});
 *   void* inst = nullptr;
 *   host.instance_new(*mod.desc, cfg, &inst);           // -> status, host.errors
 *   MockStream s("GET", "/x", {{"host", "a"}});
 *   mod.desc->hooks->on_request_headers(inst, s.raw(), nullptr, &ctx);
 *   s.header("host"), s.responded_status, host.logs ...
 *
 * It implements every host call of ABI 1.0 the way the core documents it
 * (case-insensitive header names, copying setters, config values by type,
 * durations "250ms"/"30s"/"5m"/"1h", sizes "16k"/"1m"). Only one MockHost
 * may exist at a time: the host calls that take no object (worker_index,
 * cfg_dir) read it from a static pointer. Not thread-safe.
 */
#ifndef GANTRY_MOCK_HOST_HPP
#define GANTRY_MOCK_HOST_HPP

#if !defined(__cplusplus) || __cplusplus < 201703L
#error "gantry/mock_host.hpp needs C++17"
#endif

#include <dlfcn.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gantry/module.h"

namespace gantry::testing {

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Config nodes
// ---------------------------------------------------------------------------

// A config value. Cheap to copy (shared node); `raw()` is what a module sees.
class MockCfg {
 public:
  struct Node {
    gantry_cfg_type_t type = GANTRY_CFG_TABLE;
    std::string text;  // strings
    int64_t i = 0;
    double f = 0;
    bool b = false;
    std::vector<std::pair<std::string, MockCfg>> children;  // table (keyed) or array
    uint32_t line = 1;
  };

  MockCfg() : node_(std::make_shared<Node>()) {}
  static MockCfg table(std::initializer_list<std::pair<std::string, MockCfg>> kv = {}) {
    MockCfg c;
    for (const auto& p : kv) c.node_->children.push_back(p);
    return c;
  }
  static MockCfg array(std::initializer_list<MockCfg> items) {
    MockCfg c = make(GANTRY_CFG_ARRAY);
    for (const auto& it : items) c.node_->children.emplace_back(std::string(), it);
    return c;
  }
  static MockCfg string(std::string s) {
    MockCfg c = make(GANTRY_CFG_STRING);
    c.node_->text = std::move(s);
    return c;
  }
  static MockCfg integer(int64_t v) {
    MockCfg c = make(GANTRY_CFG_INT);
    c.node_->i = v;
    return c;
  }
  static MockCfg number(double v) {
    MockCfg c = make(GANTRY_CFG_FLOAT);
    c.node_->f = v;
    return c;
  }
  static MockCfg boolean(bool v) {
    MockCfg c = make(GANTRY_CFG_BOOL);
    c.node_->b = v;
    return c;
  }
  // The line cfg_where() reports (file "mock.toml").
  MockCfg& at_line(uint32_t line) {
    node_->line = line;
    return *this;
  }

  const gantry_cfg_t* raw() const { return reinterpret_cast<const gantry_cfg_t*>(node_.get()); }
  static const Node* node(const gantry_cfg_t* c) { return reinterpret_cast<const Node*>(c); }

 private:
  static MockCfg make(gantry_cfg_type_t t) {
    MockCfg c;
    c.node_->type = t;
    return c;
  }
  std::shared_ptr<Node> node_;
};

// ---------------------------------------------------------------------------
// Connections and streams
// ---------------------------------------------------------------------------

struct MockConn {
  uint64_t id = 1;
  std::string listener = "test";
  sockaddr_storage peer{};
  socklen_t peer_len = 0;

  explicit MockConn(const std::string& ip = "192.0.2.1", uint16_t port = 40000) { set_peer(ip, port); }
  void set_peer(const std::string& ip, uint16_t port) {
    std::memset(&peer, 0, sizeof peer);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&peer);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&peer);
    if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
      peer_len = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
      peer_len = sizeof(sockaddr_in6);
    } else {
      throw std::invalid_argument("MockConn: bad address " + ip);
    }
  }
  gantry_conn_t* raw() { return reinterpret_cast<gantry_conn_t*>(this); }
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct MockStream {
  MockConn* conn = nullptr;
  std::string method = "GET";
  std::string target = "/";
  std::string path_, query_;  // derived from target
  uint32_t version = 11;
  HeaderList headers;
  // Response side (from the "backend"), for on_response_headers.
  int32_t resp_status = 0;
  HeaderList resp_headers;
  // What the module did.
  int32_t responded_status = 0;  // 0: respond() not called
  HeaderList responded_headers;
  std::string responded_body;
  std::string backend;
  std::string balance_key;
  HeaderList log_notes;
  int32_t resumed_action = -1;

  MockStream(std::string m = "GET", std::string t = "/", HeaderList h = {}, MockConn* c = nullptr)
      : conn(c), method(std::move(m)), headers(std::move(h)) {
    set_target(std::move(t));
  }
  void set_target(std::string t) {
    target = std::move(t);
    size_t q = target.find('?');
    path_ = target.substr(0, q);
    query_ = q == std::string::npos ? std::string() : target.substr(q + 1);
  }
  // idx-th request header named `name`, or nullptr.
  const std::string* header(std::string_view name, size_t idx = 0) const {
    return find(headers, name, idx);
  }
  size_t header_count(std::string_view name) const {
    size_t n = 0;
    for (const auto& h : headers) n += iequals(h.first, name) ? 1 : 0;
    return n;
  }
  const std::string* responded_header(std::string_view name) const {
    return find(responded_headers, name, 0);
  }
  gantry_stream_t* raw() { return reinterpret_cast<gantry_stream_t*>(this); }

  static const std::string* find(const HeaderList& l, std::string_view name, size_t idx) {
    for (const auto& h : l)
      if (iequals(h.first, name) && idx-- == 0) return &h.second;
    return nullptr;
  }
};

// ---------------------------------------------------------------------------
// A module opened with dlopen, as the host opens it
// ---------------------------------------------------------------------------

struct LoadedModule {
  void* handle = nullptr;
  const gantry_module_desc_t* desc = nullptr;

  // Throws std::runtime_error with the reason if the file is not a module
  // of this ABI major.
  static LoadedModule open(const std::string& path) {
    LoadedModule m;
    m.handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (m.handle == nullptr) throw std::runtime_error(std::string("dlopen: ") + dlerror());
    void* sym = dlsym(m.handle, GANTRY_ENTRY_SYMBOL);
    if (sym == nullptr) throw std::runtime_error(path + ": no " GANTRY_ENTRY_SYMBOL);
    gantry_module_entry_fn entry = nullptr;
    std::memcpy(&entry, &sym, sizeof entry);  // object pointer -> function pointer
    m.desc = entry();
    if (m.desc == nullptr || m.desc->abi_major != GANTRY_ABI_MAJOR)
      throw std::runtime_error(path + ": not built for ABI major 1");
    if (m.desc->min_host_minor > GANTRY_ABI_MINOR)
      throw std::runtime_error(path + ": needs a newer host minor");
    return m;
  }
  // Symbols are left mapped, like the real host (modules are never unloaded).
};

// ---------------------------------------------------------------------------
// The host
// ---------------------------------------------------------------------------

class MockHost {
 public:
  struct LogLine {
    int32_t level;
    std::string msg;
  };
  struct ErrorRecord {
    gantry_status_t code;
    std::string msg;
    uint32_t line;  // 0 unless error_at
  };

  std::vector<LogLine> logs;
  std::vector<ErrorRecord> errors;
  uint32_t workers = 1;
  int32_t worker = 0;  // what worker_index() returns; -1 = main thread
  std::string config_dir = "/tmp";

  MockHost() {
    if (current_ != nullptr) throw std::logic_error("only one MockHost at a time");
    current_ = this;
    fill();
  }
  ~MockHost() { current_ = nullptr; }
  MockHost(const MockHost&) = delete;
  MockHost& operator=(const MockHost&) = delete;

  const gantry_host_api_t* api() const { return &api_; }
  gantry_module_t* self() { return reinterpret_cast<gantry_module_t*>(this); }

  // Calls desc.hooks->instance_new with `config`; errors land in `errors`.
  gantry_status_t instance_new(const gantry_module_desc_t& desc, const MockCfg& config, void** inst) {
    return desc.hooks->instance_new(&api_, self(), config.raw(), inst, error_sink());
  }
  gantry_error_t* error_sink() { return reinterpret_cast<gantry_error_t*>(this); }

  bool logged(int32_t level, std::string_view needle) const {
    for (const auto& l : logs)
      if (l.level == level && l.msg.find(needle) != std::string::npos) return true;
    return false;
  }

 private:
  static MockHost& cur() { return *current_; }
  static MockStream& st(gantry_stream_t* s) { return *reinterpret_cast<MockStream*>(s); }
  static MockConn& cn(gantry_conn_t* c) { return *reinterpret_cast<MockConn*>(c); }
  static const MockCfg::Node* nd(const gantry_cfg_t* c) { return MockCfg::node(c); }
  static gantry_str_t sl(const std::string& s) { return gantry_str_t{s.data(), s.size()}; }
  static std::string s(gantry_str_t v) { return v.ptr ? std::string(v.ptr, v.len) : std::string(); }

  static bool parse_unit(const std::string& text, const char* const* units, const int64_t* mult,
                         int64_t* out) {
    size_t i = 0;
    int64_t v = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') v = v * 10 + (text[i++] - '0');
    if (i == 0) return false;
    std::string unit = text.substr(i);
    for (size_t k = 0; units[k] != nullptr; ++k)
      if (unit == units[k]) return (*out = v * mult[k]), true;
    return false;
  }

  static gantry_status_t set_header(HeaderList& l, gantry_str_t n, gantry_str_t v) {
    remove_header(l, n);
    l.emplace_back(s(n), s(v));
    return GANTRY_OK;
  }
  static gantry_status_t remove_header(HeaderList& l, gantry_str_t n) {
    size_t before = l.size();
    std::string name = s(n);
    for (auto it = l.begin(); it != l.end();)
      it = iequals(it->first, name) ? l.erase(it) : it + 1;
    return l.size() == before ? GANTRY_ERR_NOENT : GANTRY_OK;
  }
  static gantry_status_t get_header(const HeaderList& l, gantry_str_t n, size_t idx, gantry_str_t* v) {
    const std::string* p = MockStream::find(l, s(n), idx);
    if (p == nullptr) return GANTRY_ERR_NOENT;
    *v = sl(*p);
    return GANTRY_OK;
  }

  void fill() {
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
      reinterpret_cast<MockHost*>(e)->errors.push_back({code, msg, node ? nd(node)->line : 0});
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
      if (i >= nd(c)->children.size()) return nullptr;
      const auto& kv = nd(c)->children[i];
      if (key != nullptr) *key = sl(kv.first);
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
      static const char* const units[] = {"ms", "s", "m", "h", nullptr};
      static const int64_t mult[] = {1, 1000, 60000, 3600000};
      if (nd(c)->type == GANTRY_CFG_INT) return (*out = nd(c)->i), GANTRY_OK;
      if (nd(c)->type == GANTRY_CFG_STRING && parse_unit(nd(c)->text, units, mult, out)) return GANTRY_OK;
      return GANTRY_ERR_INVAL;
    };
    api_.cfg_size_bytes = [](const gantry_cfg_t* c, int64_t* out) {
      static const char* const units[] = {"", "k", "m", "g", nullptr};
      static const int64_t mult[] = {1, 1024, 1024 * 1024, 1024 * 1024 * 1024};
      if (nd(c)->type == GANTRY_CFG_INT) return (*out = nd(c)->i), GANTRY_OK;
      if (nd(c)->type == GANTRY_CFG_STRING && parse_unit(nd(c)->text, units, mult, out)) return GANTRY_OK;
      return GANTRY_ERR_INVAL;
    };
    api_.cfg_where = [](const gantry_cfg_t* c, const char** file, uint32_t* line, uint32_t* col) {
      *file = "mock.toml";
      *line = nd(c)->line;
      *col = 1;
    };
    api_.cfg_dir = [] { return sl(cur().config_dir); };

    api_.conn_id = [](gantry_conn_t* c) { return cn(c).id; };
    api_.conn_addr = [](gantry_conn_t* c, int32_t which, void* sa, uint32_t* len) {
      if (which != GANTRY_ADDR_PEER) return GANTRY_ERR_NOTSUP;
      if (*len < cn(c).peer_len) return GANTRY_ERR_RANGE;
      std::memcpy(sa, &cn(c).peer, cn(c).peer_len);
      *len = cn(c).peer_len;
      return GANTRY_OK;
    };
    api_.conn_tls = [](gantry_conn_t*, gantry_tls_info_t*) { return GANTRY_ERR_NOENT; };
    api_.conn_listener = [](gantry_conn_t* c) { return sl(cn(c).listener); };

    api_.stream_conn = [](gantry_stream_t* x) { return st(x).conn ? st(x).conn->raw() : nullptr; };
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
      st(x).headers.emplace_back(s(n), s(v));
      return GANTRY_OK;
    };
    api_.req_header_remove = [](gantry_stream_t* x, gantry_str_t n) {
      return remove_header(st(x).headers, n);
    };
    api_.req_set_target = [](gantry_stream_t* x, gantry_str_t t) {
      st(x).set_target(s(t));
      return GANTRY_OK;
    };
    api_.route_to = [](gantry_stream_t* x, gantry_str_t b) {
      st(x).backend = s(b);
      return GANTRY_OK;
    };
    api_.route_backend = [](gantry_stream_t* x) { return sl(st(x).backend); };
    api_.respond = [](gantry_stream_t* x, int32_t status, const gantry_header_t* h, size_t n,
                      gantry_str_t body) {
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
      st(x).resp_headers.emplace_back(s(n), s(v));
      return GANTRY_OK;
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

  gantry_host_api_t api_;
  static inline MockHost* current_ = nullptr;
};

}  // namespace gantry::testing

#endif /* GANTRY_MOCK_HOST_HPP */
