#include "module_loader/generation.h"

#include <cstring>

#include "config/cfg_node.h"
#include "config/schema.h"
#include "loop/main_thread.h"
#include "module_loader/host_objects.h"
#include "module_loader/key_check.h"
#include "module_loader/loaded_module.h"
#include "module_loader/node_path.h"

namespace gantry::modules {
namespace {

using config::Config;
using config::ModuleEntry;

// "module[acl] (/usr/lib/gantry/modules/acl_hyperscan.so)"
std::string entry_label(const ModuleEntry& e) { return "module[" + e.name + "] (" + e.path + ")"; }

struct Plan {
  std::vector<const LoadedModule*> mods;  // parallel to Config::modules
};

std::string load_all(const Config& cfg, Plan* plan) {
  for (const ModuleEntry& e : cfg.modules) {
    Result<const LoadedModule*> m = load_module(e.path);
    if (!m) return e.pos.str() + ": " + entry_label(e) + ": " + m.error();
    plan->mods.push_back(*m);
  }
  for (size_t i = 0; i < plan->mods.size(); ++i) {
    if (!plan->mods[i]->has_transport) continue;
    for (size_t j = 0; j < i; ++j) {
      if (!plan->mods[j]->has_transport ||
          std::strcmp(plan->mods[i]->transport.name, plan->mods[j]->transport.name) != 0) {
        continue;
      }
      return cfg.modules[i].pos.str() + ": " + entry_label(cfg.modules[i]) +
             ": provides transport '" + plan->mods[i]->transport.name +
             "', which module[" + cfg.modules[j].name + "] at " + cfg.modules[j].pos.str() +
             " already provides";
    }
  }
  return "";
}

int module_index(const Config& cfg, const std::string& name) {
  for (size_t i = 0; i < cfg.modules.size(); ++i) {
    if (cfg.modules[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int transport_index(const Plan& plan, const std::string& provider) {
  for (size_t i = 0; i < plan.mods.size(); ++i) {
    if (plan.mods[i]->has_transport && provider == plan.mods[i]->transport.name) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::string transport_names(const Plan& plan) {
  std::string out;
  for (const LoadedModule* m : plan.mods) {
    if (!m->has_transport) continue;
    out += (out.empty() ? "" : ", ") + std::string(m->transport.name);
  }
  return out.empty() ? "none; add the TLS module as a [[module]]" : out;
}

const toml::table& table_of(const gantry_cfg_t* cfg) {
  return *config::from_cfg(cfg)->as_table();
}

std::string check_scopes(const Config& cfg, const Plan& plan,
                         const std::vector<config::ScopeTable>& scopes, uint32_t scope,
                         const std::string& owner) {
  for (const config::ScopeTable& st : scopes) {
    int mi = module_index(cfg, st.module);
    TableCheck c{plan.mods[mi], "module '" + st.module + "'", scope, owner + "." + st.module,
                 st.pos, {}};
    std::string why = check_table(table_of(st.table), c);
    if (!why.empty()) return why;
  }
  return "";
}

std::string check_tls(const Plan& plan, const config::TlsRef& tls, const std::string& owner,
                      bool backend) {
  if (tls.provider.empty()) return "";
  int ti = transport_index(plan, tls.provider);
  if (ti < 0) {
    const toml::node* p = table_of(tls.table).get("provider");
    return config::pos_of(*p).str() + ": " + owner + ".tls.provider: no loaded module provides "
           "transport '" + tls.provider + "' (available: " + transport_names(plan) + ")";
  }
  TableCheck c{plan.mods[ti], "transport '" + tls.provider + "'", GANTRY_SCOPE_TRANSPORT,
               owner + ".tls", tls.pos, config::schema::tls_host_keys(backend)};
  return check_table(table_of(tls.table), c);
}

// Every module-owned table against the keys its module declares.
std::string check_all_tables(const Config& cfg, const Plan& plan) {
  for (size_t i = 0; i < cfg.modules.size(); ++i) {
    const ModuleEntry& e = cfg.modules[i];
    TableCheck c{plan.mods[i], "module '" + e.name + "'", GANTRY_SCOPE_MODULE,
                 "module[" + e.name + "].config", e.pos, {}};
    std::string why = check_table(table_of(e.config), c);
    if (!why.empty()) return why;
  }
  for (const config::Listener& l : cfg.listeners) {
    std::string owner = "listener[" + l.name + "]";
    std::string why = check_scopes(cfg, plan, l.module_scopes, GANTRY_SCOPE_LISTENER, owner);
    if (why.empty()) why = check_tls(plan, l.tls, owner, false);
    if (!why.empty()) return why;
  }
  for (const config::Backend& b : cfg.backends) {
    std::string owner = "backend[" + b.name + "]";
    std::string why = check_scopes(cfg, plan, b.module_scopes, GANTRY_SCOPE_BACKEND, owner);
    if (why.empty()) why = check_tls(plan, b.tls, owner, true);
    if (!why.empty()) return why;
  }
  return "";
}

// A module call (instance_new, scope_new, ctx_new) failed. If the module
// pointed at a node with error_at, the message starts at that node.
std::string call_failure(const Config& cfg, const ModuleEntry& e, const std::string& call,
                         const config::SourcePos& where, gantry_status_t status,
                         const gantry_error& err) {
  std::string what = err.set && !err.message.empty()
                         ? err.message
                         : "failed with status " + std::to_string(status);
  if (err.set && err.node != nullptr) {
    const auto* root = static_cast<const toml::table*>(cfg.document.get());
    std::string path = node_path(*root, err.node);
    return config::pos_of(*err.node).str() + ": " + (path.empty() ? "" : path + ": ") + what +
           " (" + entry_label(e) + ", " + call + ")";
  }
  return where.str() + ": " + entry_label(e) + ": " + call + ": " + what;
}

std::string create_instances(const Plan& plan, Generation* g) {
  const Config& cfg = *g->config;
  for (size_t i = 0; i < cfg.modules.size(); ++i) {
    const ModuleEntry& e = cfg.modules[i];
    Instance inst;
    inst.module = plan.mods[i];
    inst.self = module_handle(e.name);
    inst.name = e.name;
    inst.hooks = plan.mods[i]->hooks;
    g->instances.push_back(inst);
    Instance& in = g->instances.back();
    if (in.hooks.instance_new == nullptr) continue;
    gantry_error err;
    gantry_status_t st = in.hooks.instance_new(host_api(), in.self, e.config, &in.inst, &err);
    if (st != GANTRY_OK) return call_failure(cfg, e, "instance_new", e.pos, st, err);
    in.live = true;
  }
  return "";
}

std::string create_scopes(const std::vector<config::ScopeTable>& scopes, uint32_t scope,
                          const std::string& owner, Generation* g, ScopeState* state) {
  const Config& cfg = *g->config;
  state->scope_ctx.assign(g->instances.size(), nullptr);
  state->scope_live.assign(g->instances.size(), 0);
  for (const config::ScopeTable& st : scopes) {
    int mi = module_index(cfg, st.module);
    Instance& in = g->instances[mi];
    if (in.hooks.scope_new == nullptr) continue;
    gantry_error err;
    gantry_status_t rc = in.hooks.scope_new(in.inst, scope, st.table, &state->scope_ctx[mi], &err);
    if (rc != GANTRY_OK) {
      return call_failure(cfg, cfg.modules[mi], "scope_new for " + owner, st.pos, rc, err);
    }
    state->scope_live[mi] = 1;
  }
  return "";
}

std::string bind_transport(const Plan& plan, const config::TlsRef& tls, bool is_server,
                           const std::string& owner, Generation* g, ScopeState* state) {
  if (tls.provider.empty()) return "";
  int ti = transport_index(plan, tls.provider);
  Instance& in = g->instances[ti];
  TransportBinding& b = state->tls;
  b.transport = &in.module->transport;
  b.instance = static_cast<size_t>(ti);
  gantry_error err;
  gantry_status_t rc = b.transport->ctx_new(in.inst, tls.table, is_server ? 1 : 0, &b.tctx, &err);
  if (rc != GANTRY_OK) {
    return call_failure(*g->config, g->config->modules[ti], "ctx_new for " + owner + ".tls",
                        tls.pos, rc, err);
  }
  b.live = true;
  return "";
}

std::string create_scope_states(const Plan& plan, Generation* g) {
  const Config& cfg = *g->config;
  for (const config::Listener& l : cfg.listeners) {
    g->listeners.emplace_back();
    std::string owner = "listener[" + l.name + "]";
    std::string why =
        create_scopes(l.module_scopes, GANTRY_SCOPE_LISTENER, owner, g, &g->listeners.back());
    if (why.empty()) why = bind_transport(plan, l.tls, true, owner, g, &g->listeners.back());
    if (!why.empty()) return why;
  }
  for (const config::Backend& b : cfg.backends) {
    g->backends.emplace_back();
    std::string owner = "backend[" + b.name + "]";
    std::string why =
        create_scopes(b.module_scopes, GANTRY_SCOPE_BACKEND, owner, g, &g->backends.back());
    if (why.empty()) why = bind_transport(plan, b.tls, false, owner, g, &g->backends.back());
    if (!why.empty()) return why;
  }
  return "";
}

void build_dispatch_lists(Generation* g) {
  for (size_t i = 0; i < g->instances.size(); ++i) {
    const gantry_hooks_t& h = g->instances[i].hooks;
    if (h.on_accept) g->with_accept.push_back(i);
    if (h.on_handshake) g->with_handshake.push_back(i);
    if (h.on_request_headers) g->with_request_headers.push_back(i);
    if (h.on_upgrade || h.on_upgrade2) g->with_upgrade.push_back(i);
    if (h.on_listening) g->with_listening.push_back(i);
    if (h.on_connect_upstream) g->with_connect_upstream.push_back(i);
    if (h.on_response_headers) g->with_response_headers.push_back(i);
    if (h.on_tunnel_data) g->with_tunnel_data.push_back(i);
    if (h.on_log) g->with_log.push_back(i);
    if (h.on_stream_end) g->with_stream_end.push_back(i);
    if (h.on_conn_close) g->with_conn_close.push_back(i);
  }
}

void free_scope_state(Generation* g, uint32_t scope, ScopeState* s) {
  if (s->tls.live) {
    s->tls.transport->ctx_free(g->instances[s->tls.instance].inst, s->tls.tctx);
    s->tls.live = false;
  }
  for (size_t i = s->scope_live.size(); i-- > 0;) {
    if (!s->scope_live[i]) continue;
    const Instance& in = g->instances[i];
    // scope_new succeeded, so the module had a scope_free to pair with it
    // or chose not to: a NULL scope_free means nothing to free.
    if (in.hooks.scope_free) in.hooks.scope_free(in.inst, scope, s->scope_ctx[i]);
    s->scope_live[i] = 0;
  }
}

}  // namespace

Generation::~Generation() {
  for (size_t i = backends.size(); i-- > 0;) free_scope_state(this, GANTRY_SCOPE_BACKEND, &backends[i]);
  for (size_t i = listeners.size(); i-- > 0;) free_scope_state(this, GANTRY_SCOPE_LISTENER, &listeners[i]);
  for (size_t i = instances.size(); i-- > 0;) {
    Instance& in = instances[i];
    if (in.live && in.hooks.instance_free) in.hooks.instance_free(in.inst);
    in.live = false;
  }
}

Result<std::shared_ptr<Generation>> build_generation(std::shared_ptr<const config::Config> cfg) {
  Plan plan;
  std::string why = load_all(*cfg, &plan);
  if (why.empty()) why = check_all_tables(*cfg, plan);
  if (!why.empty()) return Failure{why};

  set_config_dir(cfg->dir);
  auto g = std::make_unique<Generation>();
  g->config = std::move(cfg);
  set_building_config(g->config.get());
  why = create_instances(plan, g.get());
  if (why.empty()) why = create_scope_states(plan, g.get());
  set_building_config(nullptr);
  // On failure `g` is destroyed right here, on the main thread, freeing
  // whatever the modules had already built for it.
  if (!why.empty()) return Failure{why};
  build_dispatch_lists(g.get());
  // Workers may drop the last reference; module teardown belongs on MAIN.
  return std::shared_ptr<Generation>(g.release(), [](Generation* p) {
    loop::run_on_main([p] { delete p; });
  });
}

}  // namespace gantry::modules
