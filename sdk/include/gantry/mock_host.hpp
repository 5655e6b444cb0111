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
 * (case-insensitive header names, copying setters that refuse what the core
 * refuses, one respond() per stream, config values by type, durations and
 * sizes with gantry's units). With `check_keys` set, instance_new(),
 * scope_new() and transport_new() also refuse what gantry refuses before a
 * module sees a table (gantry/testing/key_check.hpp). Configs can be written
 * as TOML with gantry/mock_toml.hpp.
 *
 * Several MockHosts may exist; the host calls that take no object
 * (worker_index, worker_count, cfg_dir, and route_to's backend check) read
 * the current one: the newest live host, or the one make_current() chose.
 * Not thread-safe.
 */
#ifndef GANTRY_MOCK_HOST_HPP
#define GANTRY_MOCK_HOST_HPP

#if !defined(__cplusplus) || __cplusplus < 201703L
#error "gantry/mock_host.hpp needs C++17"
#endif

#include <dlfcn.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gantry/module.h"
#include "gantry/testing/key_check.hpp"
#include "gantry/testing/mock_cfg.hpp"
#include "gantry/testing/mock_objects.hpp"

namespace gantry::testing {

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
    uint32_t line;         // 0 unless error_at
    std::string file{};    // of the node given to error_at
    uint32_t column = 0;
    // "file:line:col: msg" for an error at a node, else msg: how gantry
    // starts the message it prints.
    std::string text() const {
      if (line == 0) return msg;
      return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + msg;
    }
  };

  std::vector<LogLine> logs;
  std::vector<ErrorRecord> errors;
  uint32_t workers = 1;
  int32_t worker = 0;  // what worker_index() returns; -1 = main thread
  std::string config_dir = "/tmp";
  // Validate tables against the module's declared keys, as gantry does.
  bool check_keys = false;
  // Which backend names route_to() accepts (others: GANTRY_ERR_NOENT).
  // Unset: every name exists.
  std::function<bool(std::string_view)> has_backend;
  // ABI 1.1: the configuration's backends, in order, for backend_index() and
  // route_to(index). Empty: backend_index() cannot say (-2) and modules
  // route by name.
  std::vector<std::string> backends;
  // ABI 1.1: what check_only() answers (`gantry -t`).
  bool check_only = false;
  // ABI 1.1: metrics the module registered, in id order, with the sum of
  // what it added (the mock has one worker); ABI 1.2: plus what it set.
  struct Metric {
    std::string name, help, labels;
    uint32_t type = GANTRY_METRIC_COUNTER;
    int64_t value = 0;
    int64_t set = 0;  // the part metric_set gave
  };
  std::vector<Metric> metrics;
  // The value of metric `name` with exactly `labels`; -1 if not registered.
  int64_t metric(std::string_view name, std::string_view labels = {}) const {
    for (const Metric& m : metrics)
      if (m.name == name && m.labels == labels) return m.value;
    return -1;
  }

  MockHost() {
    live().push_back(this);
    current() = this;
    fill();
  }
  ~MockHost() {
    auto& l = live();
    l.erase(std::remove(l.begin(), l.end(), this), l.end());
    if (current() == this) current() = l.empty() ? nullptr : l.back();
  }
  MockHost(const MockHost&) = delete;
  MockHost& operator=(const MockHost&) = delete;

  // Makes this host the one the object-less host calls read.
  void make_current() { current() = this; }

  const gantry_host_api_t* api() const { return &api_; }
  gantry_module_t* self() { return reinterpret_cast<gantry_module_t*>(this); }
  gantry_error_t* error_sink() { return reinterpret_cast<gantry_error_t*>(this); }

  // Calls desc.hooks->instance_new with `config`; errors land in `errors`.
  gantry_status_t instance_new(const gantry_module_desc_t& desc, const MockCfg& config, void** inst) {
    if (refused(desc.config_keys, GANTRY_SCOPE_MODULE, config, label(desc), {})) return GANTRY_ERR_INVAL;
    return desc.hooks->instance_new(&api_, self(), config.raw(), inst, error_sink());
  }
  // Calls desc.hooks->scope_new for a [listener.<module>] / [backend.<module>]
  // table (scope: GANTRY_SCOPE_LISTENER or _BACKEND); *ctx is null when the
  // module has no scope_new.
  gantry_status_t scope_new(const gantry_module_desc_t& desc, void* inst, uint32_t scope,
                            const MockCfg& table, void** ctx) {
    *ctx = nullptr;
    if (refused(desc.config_keys, scope, table, label(desc), {})) return GANTRY_ERR_INVAL;
    if (desc.hooks->scope_new == nullptr) return GANTRY_OK;
    return desc.hooks->scope_new(inst, scope, table.raw(), ctx, error_sink());
  }
  // Calls desc.transport->ctx_new for a [listener.tls] (is_server) or
  // [backend.tls] table. `provider` (and on a backend `server_name`) are
  // the host's keys there, as in gantry.
  gantry_status_t transport_new(const gantry_module_desc_t& desc, void* inst, const MockCfg& table,
                                bool is_server, void** tctx) {
    std::vector<std::string> host_keys = {"provider"};
    if (!is_server) host_keys.push_back("server_name");
    std::string who = std::string("transport '") + desc.transport->name + "'";
    if (refused(desc.config_keys, GANTRY_SCOPE_TRANSPORT, table, who, host_keys)) return GANTRY_ERR_INVAL;
    return desc.transport->ctx_new(inst, table.raw(), is_server ? 1 : 0, tctx, error_sink());
  }

  // The first error as gantry would start printing it, "" if none.
  std::string first_error() const { return errors.empty() ? std::string() : errors[0].text(); }
  bool logged(int32_t level, std::string_view needle) const {
    for (const auto& l : logs)
      if (l.level == level && l.msg.find(needle) != std::string::npos) return true;
    return false;
  }
  // At any level.
  bool logged(std::string_view needle) const {
    for (const auto& l : logs)
      if (l.msg.find(needle) != std::string::npos) return true;
    return false;
  }

 private:
  static std::vector<MockHost*>& live() {
    static std::vector<MockHost*> hosts;
    return hosts;
  }
  static MockHost*& current() {
    static MockHost* host = nullptr;
    return host;
  }
  static MockHost& cur() { return *current(); }
  static std::string label(const gantry_module_desc_t& desc) {
    return std::string("module '") + (desc.name != nullptr ? desc.name : "?") + "'";
  }
  bool refused(const gantry_config_key_t* keys, uint32_t scope, const MockCfg& table,
               const std::string& who, const std::vector<std::string>& host_keys) {
    if (!check_keys) return false;
    KeyProblem p = testing::check_keys(keys, scope, table, who, host_keys);
    if (!p) return false;
    api_.error_at(error_sink(), p.node, GANTRY_ERR_INVAL, p.message.c_str());
    return true;
  }

  static MockStream& st(gantry_stream_t* s) { return *reinterpret_cast<MockStream*>(s); }
  static MockConn& cn(gantry_conn_t* c) { return *reinterpret_cast<MockConn*>(c); }
  static const MockCfg::Node* nd(const gantry_cfg_t* c) { return MockCfg::node(c); }
  static gantry_str_t sl(const std::string& s) { return gantry_str_t{s.data(), s.size()}; }
  static std::string s(gantry_str_t v) { return v.ptr ? std::string(v.ptr, v.len) : std::string(); }

  // What the core refuses in a header it is handed.
  static bool valid_field(gantry_str_t name, gantry_str_t value) {
    if (name.len == 0) return false;
    for (size_t i = 0; i < name.len; ++i) {
      char c = name.ptr[i];
      if (c <= 32 || c == ':' || c == 127) return false;
    }
    for (size_t i = 0; i < value.len; ++i)
      if (value.ptr[i] == '\r' || value.ptr[i] == '\n' || value.ptr[i] == '\0') return false;
    return true;
  }
  static gantry_status_t set_header(HeaderList& l, gantry_str_t n, gantry_str_t v) {
    if (!valid_field(n, v)) return GANTRY_ERR_INVAL;
    remove_header(l, n);
    l.emplace_back(s(n), s(v));
    return GANTRY_OK;
  }
  static gantry_status_t add_header(HeaderList& l, gantry_str_t n, gantry_str_t v) {
    if (!valid_field(n, v)) return GANTRY_ERR_INVAL;
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
  static gantry_status_t tls_facts(const MockConn& c, gantry_tls_info_t* out) {
    if (!c.tls) return GANTRY_ERR_NOENT;
    const MockTls& t = *c.tls;
    gantry_tls_info_t i;
    std::memset(&i, 0, sizeof i);
    i.struct_size = sizeof i;
    i.handshake_done = 1;
    i.sni = sl(t.sni);
    i.alpn = sl(t.alpn);
    i.version = sl(t.version);
    i.cipher = sl(t.cipher);
    i.peer_der = sl(t.peer_der);
    i.peer_subject = sl(t.peer_subject);
    i.peer_verified = t.peer_verified ? 1 : 0;
    i.resumed = t.resumed ? 1 : 0;
    i.library = sl(t.library);
    // The module's struct may be older (shorter) than this header's.
    uint32_t theirs = out->struct_size;
    std::memcpy(out, &i, theirs == 0 ? sizeof i : std::min<size_t>(theirs, sizeof i));
    out->struct_size = theirs == 0 ? static_cast<uint32_t>(sizeof i) : theirs;
    return GANTRY_OK;
  }

  void fill();

  gantry_host_api_t api_;
};

}  // namespace gantry::testing

#include "gantry/testing/mock_host_table.hpp"

#endif /* GANTRY_MOCK_HOST_HPP */
