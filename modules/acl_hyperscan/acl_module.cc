// acl_hyperscan: HAProxy-style ACL routing. Every string pattern of the
// config is compiled at load into one Hyperscan database per request field;
// a request is scanned once per field a rule asks about, and the rules read
// the resulting bitset. See README.md for the configuration language.
#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "acl_instance.h"
#include "config_reader.h"
#include "gantry/module.h"
#include "rule_parser.h"

namespace gantry::acl {
namespace {

const gantry_config_key_t kConfigKeys[] = {
    {sizeof(gantry_config_key_t), GANTRY_SCOPE_MODULE, "acl", GANTRY_CFG_ARRAY, 0,
     "[[acl]] tables: name + one predicate (path_reg, host, src, ...)"},
    {sizeof(gantry_config_key_t), GANTRY_SCOPE_MODULE, "rule", GANTRY_CFG_ARRAY, 0,
     "[[rule]] tables, in order: if/unless + use_backend, deny, redirect, respond, header/path actions"},
    {sizeof(gantry_config_key_t), GANTRY_SCOPE_MODULE, "default_backend", GANTRY_CFG_STRING, 0,
     "backend for requests no use_backend rule took (default: leave to core routes)"},
    {sizeof(gantry_config_key_t), GANTRY_SCOPE_MODULE, "cache_dir", GANTRY_CFG_STRING, 0,
     "compiled database cache: \"auto\" (default), \"off\", or a directory"},
    {0, 0, nullptr, 0, 0, nullptr},
};

void log_msg(const AclInstance& inst, gantry_log_level_t level, const std::string& msg) {
  inst.host->log(inst.self, level, msg.c_str());
}

// Names the ACL, the pattern (and its file line) and Hyperscan's message,
// at the config node the pattern came from.
void report_compile_error(const CfgReader& reader, const std::vector<std::vector<Pattern>>& pats,
                          const AclConfig& cfg, const BuildError& e) {
  const std::vector<Pattern>& list = pats[e.field];
  if (e.pattern < 0 || static_cast<size_t>(e.pattern) >= list.size()) {
    reader.fail(nullptr, "acl: Hyperscan cannot compile the " + cfg.fields[e.field].label() +
                             " patterns: " + e.message);
    return;
  }
  const Pattern& p = list[static_cast<size_t>(e.pattern)];
  std::string where = p.origin.empty() ? "" : " (" + p.origin + ")";
  reader.fail(p.node, "acl \"" + p.acl + "\": pattern \"" + p.written + "\"" + where +
                          " is not supported by Hyperscan: " + e.message);
}

bool build_workers(AclInstance* inst, uint32_t count, std::string* why) {
  inst->workers.resize(count);
  size_t words = (inst->cfg.preds.size() + 63) / 64;
  auto init = [&](WorkerState* ws) {
    ws->bits.assign(words, 0);
    ws->scanned.assign(inst->cfg.fields.size(), 0);
    ws->scratch = inst->matcher.new_scratch(why);
    return why->empty();
  };
  for (WorkerState& ws : inst->workers)
    if (!init(&ws)) return false;
  return init(&inst->spare);
}

gantry_status_t build_instance(const gantry_host_api_t* host, gantry_module_t* self,
                               const gantry_cfg_t* config, AclInstance* inst, gantry_error_t* err) {
  CfgReader reader(host, err);
  if (hs_valid_platform() != HS_SUCCESS) {
    reader.fail(nullptr, "acl: this CPU lacks the instructions Hyperscan needs (SSSE3)");
    return GANTRY_ERR_NOTSUP;
  }
  inst->host = host;
  inst->self = self;
  std::vector<std::vector<Pattern>> patterns;
  if (!parse_module_config(reader, config, &inst->cfg, &patterns)) return GANTRY_ERR_INVAL;

  std::vector<std::string> labels;
  for (const FieldSpec& f : inst->cfg.fields) labels.push_back(f.label());
  BuildStats stats;
  BuildError error;
  std::vector<std::string> warnings;
  DbCache cache(inst->cfg.cache_dir);
  bool ok = inst->matcher.build(patterns, labels, cache, &stats, &error, &warnings);
  for (const std::string& w : warnings) log_msg(*inst, GANTRY_LOG_WARN, "acl cache: " + w);
  if (!ok) {
    report_compile_error(reader, patterns, inst->cfg, error);
    return GANTRY_ERR_INVAL;
  }
  char line[256];
  std::snprintf(line, sizeof(line),
                "acl: %zu acls, %zu rules, %zu patterns in %zu databases (%zu from cache) "
                "ready in %.1f ms",
                inst->cfg.acls.size(), inst->cfg.rules.size(), stats.patterns, stats.databases,
                stats.from_cache, stats.compile_ms);
  log_msg(*inst, GANTRY_LOG_INFO, line);

  std::string why;
  uint32_t workers = host->worker_count != nullptr ? host->worker_count() : 0;
  if (!build_workers(inst, workers, &why)) {
    reader.fail(nullptr, "acl: " + why);
    return GANTRY_ERR_NOMEM;
  }
  return GANTRY_OK;
}

gantry_status_t instance_new(const gantry_host_api_t* host, gantry_module_t* self,
                             const gantry_cfg_t* config, void** out, gantry_error_t* err) {
  // Nothing may unwind into the host.
  try {
    auto* inst = new AclInstance();
    gantry_status_t rc = build_instance(host, self, config, inst, err);
    if (rc != GANTRY_OK) {
      delete inst;
      return rc;
    }
    *out = inst;
    return GANTRY_OK;
  } catch (const std::bad_alloc&) {
    host->error_set(err, GANTRY_ERR_NOMEM, "acl: out of memory");
    return GANTRY_ERR_NOMEM;
  } catch (const std::exception& e) {
    host->error_set(err, GANTRY_ERR_GENERIC, (std::string("acl: ") + e.what()).c_str());
    return GANTRY_ERR_GENERIC;
  }
}

void instance_free(void* p) { delete static_cast<AclInstance*>(p); }

gantry_action_t on_request_headers(void* p, gantry_stream_t* s, void* /*conn_ctx*/,
                                   void** /*stream_ctx*/) {
  auto* inst = static_cast<AclInstance*>(p);
  try {
    int32_t w = inst->host->worker_index();
    if (w >= 0 && static_cast<size_t>(w) < inst->workers.size())
      return evaluate_request(*inst, s, &inst->workers[static_cast<size_t>(w)]);
    std::lock_guard<std::mutex> lock(inst->spare_mu);
    return evaluate_request(*inst, s, &inst->spare);
  } catch (...) {
    // Only allocation in a rewrite can throw; failing the connection is
    // safer than routing a half-evaluated request.
    return GANTRY_CLOSE;
  }
}

constexpr gantry_hooks_t make_hooks() {
  gantry_hooks_t h{};
  h.struct_size = sizeof(h);
  h.instance_new = instance_new;
  h.instance_free = instance_free;
  h.on_request_headers = on_request_headers;
  return h;
}

constexpr gantry_hooks_t kHooks = make_hooks();

const gantry_module_desc_t kDesc = {
    GANTRY_DESC_INIT,
    "acl_hyperscan",
    "1.0.0",
    "HAProxy-style ACL routing; all patterns matched in one Hyperscan scan per field",
    GANTRY_CAP_ROUTING | GANTRY_CAP_HEADERS,
    kConfigKeys,
    &kHooks,
    nullptr,
};

}  // namespace
}  // namespace gantry::acl

GANTRY_MODULE_ENTRY { return &gantry::acl::kDesc; }
