#include "module_loader/loaded_module.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "config/cfg_node.h"

namespace gantry::modules {
namespace {

// Sizes of the structs as ABI 1.0 defined them: a module may not be shorter.
constexpr size_t kDescSize10 = offsetof(gantry_module_desc_t, transport) + sizeof(void*);
constexpr size_t kKeySize10 = offsetof(gantry_config_key_t, doc) + sizeof(const char*);
constexpr size_t kTransportSize10 = offsetof(gantry_transport_t, info) + sizeof(void*);
constexpr size_t kMaxKeys = 4096;  // a runaway table without its NULL end

struct Registry {
  std::mutex mu;
  std::map<std::string, std::unique_ptr<LoadedModule>> by_path;
};

Registry& registry() {
  static Registry* r = new Registry();  // process lifetime, like the modules
  return *r;
}

std::string version_text(uint32_t major, uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

std::string explain_missing_entry(void* handle) {
  for (int major = 2; major <= 9; ++major) {
    std::string sym = "gantry_module_v" + std::to_string(major);
    if (dlsym(handle, sym.c_str()) != nullptr) {
      return "built for gantry ABI " + std::to_string(major) + " (exports " + sym +
             "); this host speaks ABI " + std::to_string(GANTRY_ABI_MAJOR);
    }
  }
  return std::string("not a gantry module (no ") + GANTRY_ENTRY_SYMBOL + " symbol)";
}

// Checks the version fields; returns an empty string when acceptable.
std::string check_versions(const gantry_module_desc_t* d) {
  if (d->struct_size < offsetof(gantry_module_desc_t, abi_minor)) {
    return "descriptor struct_size " + std::to_string(d->struct_size) + " is too small";
  }
  if (d->abi_major != GANTRY_ABI_MAJOR) {
    return "built for gantry ABI " + std::to_string(d->abi_major) +
           " (descriptor abi_major); this host speaks ABI " + std::to_string(GANTRY_ABI_MAJOR);
  }
  if (d->struct_size < kDescSize10) {
    return "descriptor struct_size " + std::to_string(d->struct_size) +
           " is smaller than ABI 1.0's " + std::to_string(kDescSize10);
  }
  if (d->min_host_minor > GANTRY_ABI_MINOR) {
    return "needs host ABI >= " + version_text(GANTRY_ABI_MAJOR, d->min_host_minor) +
           " (built for " + version_text(d->abi_major, d->abi_minor) + "); this host is " +
           version_text(GANTRY_ABI_MAJOR, GANTRY_ABI_MINOR);
  }
  if (d->name == nullptr || d->name[0] == '\0') return "descriptor has no name";
  return "";
}

std::string copy_transport(const gantry_module_desc_t& d, LoadedModule* m) {
  if ((d.capabilities & GANTRY_CAP_TRANSPORT) == 0) return "";
  const gantry_transport_t* t = d.transport;
  if (t == nullptr) return "declares the transport capability but has no transport table";
  if (t->struct_size < kTransportSize10) {
    return "transport struct_size " + std::to_string(t->struct_size) +
           " is smaller than ABI 1.0's " + std::to_string(kTransportSize10);
  }
  std::memcpy(&m->transport, t, std::min<size_t>(t->struct_size, sizeof m->transport));
  m->transport.struct_size = sizeof m->transport;
  const gantry_transport_t& c = m->transport;
  if (c.name == nullptr || c.name[0] == '\0') return "transport has no name";
  // The data path calls these unconditionally; a NULL would crash mid-request.
  const std::pair<const char*, bool> required[] = {
      {"ctx_new", c.ctx_new != nullptr},           {"ctx_free", c.ctx_free != nullptr},
      {"sess_new", c.sess_new != nullptr},         {"sess_free", c.sess_free != nullptr},
      {"handshake", c.handshake != nullptr},       {"feed_cipher", c.feed_cipher != nullptr},
      {"read_plain", c.read_plain != nullptr},     {"write_plain", c.write_plain != nullptr},
      {"peek_cipher", c.peek_cipher != nullptr},   {"consume_cipher", c.consume_cipher != nullptr},
      {"handshake_done", c.handshake_done != nullptr}, {"shutdown", c.shutdown != nullptr},
      {"info", c.info != nullptr}};
  for (const auto& [name, present] : required) {
    if (!present) return std::string("transport '") + c.name + "' lacks " + name;
  }
  m->has_transport = true;
  return "";
}

std::string copy_keys(const gantry_module_desc_t& d, LoadedModule* m) {
  if (d.config_keys == nullptr) return "";
  // The array's stride is the module's sizeof(gantry_config_key_t), which a
  // later minor may have grown: step by the first entry's struct_size.
  const auto* base = reinterpret_cast<const unsigned char*>(d.config_keys);
  size_t stride = d.config_keys->struct_size;
  if (stride < kKeySize10) {
    return "config key struct_size " + std::to_string(stride) + " is smaller than ABI 1.0's " +
           std::to_string(kKeySize10);
  }
  for (size_t i = 0;; ++i) {
    if (i == kMaxKeys) return "config key table has no NULL-name end";
    const auto* k = reinterpret_cast<const gantry_config_key_t*>(base + i * stride);
    if (k->name == nullptr) break;
    gantry_config_key_t c{};
    std::memcpy(&c, k, std::min<size_t>(stride, sizeof c));
    c.struct_size = sizeof c;
    std::string label = std::string("config key '") + c.name + "'";
    if (scope_name(c.scope) == nullptr) {
      return label + " has unknown scope " + std::to_string(c.scope);
    }
    if (config::cfg_type_name(c.type) == nullptr) {
      return label + " has unknown type " + std::to_string(c.type);
    }
    if (c.scope == GANTRY_SCOPE_TRANSPORT && std::strcmp(c.name, "provider") == 0) {
      return label + ": 'provider' belongs to the host in tls tables";
    }
    for (const gantry_config_key_t& prev : m->keys) {
      if (prev.scope == c.scope && std::strcmp(prev.name, c.name) == 0) {
        return label + " is declared twice for scope " + scope_name(c.scope);
      }
    }
    m->keys.push_back(c);
  }
  return "";
}

// Everything but the dlopen: returns an empty string or what is wrong.
std::string inspect(void* handle, LoadedModule* m) {
  auto entry = reinterpret_cast<gantry_module_entry_fn>(dlsym(handle, GANTRY_ENTRY_SYMBOL));
  if (entry == nullptr) return explain_missing_entry(handle);
  const gantry_module_desc_t* d = entry();
  if (d == nullptr) return std::string(GANTRY_ENTRY_SYMBOL) + " returned no descriptor";
  std::string why = check_versions(d);
  if (!why.empty()) return why;
  std::memcpy(&m->desc, d, std::min<size_t>(d->struct_size, sizeof m->desc));
  m->desc.struct_size = sizeof m->desc;
  if (const gantry_hooks_t* h = m->desc.hooks) {
    if (h->struct_size < sizeof(uint32_t)) return "hooks struct_size is 0";
    std::memcpy(&m->hooks, h, std::min<size_t>(h->struct_size, sizeof m->hooks));
    m->hooks.struct_size = sizeof m->hooks;
  }
  why = copy_transport(m->desc, m);
  if (!why.empty()) return why;
  return copy_keys(m->desc, m);
}

}  // namespace

Result<const LoadedModule*> load_module(const std::string& path) {
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real) == nullptr) {
    return Failure{std::string("cannot open: ") + std::strerror(errno)};
  }
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = r.by_path.find(real);
  if (it != r.by_path.end()) return static_cast<const LoadedModule*>(it->second.get());

  // NOW: a missing symbol fails here, not mid-request. LOCAL: the module's
  // symbols never serve another module. NODELETE: never unmapped.
  void* handle = dlopen(real, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle == nullptr) {
    const char* err = dlerror();
    return Failure{std::string("cannot load: ") + (err ? err : "dlopen failed")};
  }
  auto m = std::make_unique<LoadedModule>();
  m->path = real;
  m->handle = handle;
  std::string why = inspect(handle, m.get());
  // A refused module stays mapped (NODELETE), but is not registered, so a
  // later load re-checks it and reports the same reason.
  if (!why.empty()) return Failure{why};
  const LoadedModule* out = m.get();
  r.by_path.emplace(real, std::move(m));
  return out;
}

std::string capability_names(uint64_t caps) {
  static const std::pair<uint64_t, const char*> kNames[] = {
      {GANTRY_CAP_TRANSPORT, "transport"}, {GANTRY_CAP_ROUTING, "routing"},
      {GANTRY_CAP_UPGRADE, "upgrade"},     {GANTRY_CAP_SOCKET, "socket"},
      {GANTRY_CAP_HEADERS, "headers"},     {GANTRY_CAP_LOG, "log"},
      {GANTRY_CAP_TUNNEL, "tunnel"}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if ((caps & bit) == 0) continue;
    if (!out.empty()) out += ",";
    out += name;
    caps &= ~bit;
  }
  if (caps != 0) {
    if (!out.empty()) out += ",";
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(caps));
    out += buf;
  }
  return out.empty() ? "none" : out;
}

const char* scope_name(uint32_t scope) {
  switch (scope) {
    case GANTRY_SCOPE_MODULE: return "module";
    case GANTRY_SCOPE_LISTENER: return "listener";
    case GANTRY_SCOPE_BACKEND: return "backend";
    case GANTRY_SCOPE_TRANSPORT: return "transport";
    default: return nullptr;
  }
}

}  // namespace gantry::modules
