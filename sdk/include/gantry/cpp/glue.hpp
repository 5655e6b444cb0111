/*
 * gantry C++ layer: the trampolines, the hook table and the descriptor that
 * GANTRY_CPP_MODULE(Class) builds from a class's members.
 * Part of gantry/module.hpp; include that header, not this one.
 *
 * Adding a hook of a later ABI minor is local: one has_<hook> line, one
 * trampoline, one line in make_hooks().
 */
#ifndef GANTRY_CPP_GLUE_HPP
#define GANTRY_CPP_GLUE_HPP

#include <memory>
#include <string_view>
#include <type_traits>

#include "gantry/cpp/config.hpp"
#include "gantry/cpp/module_base.hpp"
#include "gantry/cpp/request.hpp"
#include "gantry/cpp/state.hpp"
#include "gantry/cpp/transport.hpp"

namespace gantry::detail {

#define GANTRY_DETAIL_HAS_MEMBER(member)                                          \
  template <typename M, typename = void>                                          \
  struct has_##member : std::false_type {};                                       \
  template <typename M>                                                           \
  struct has_##member<M, std::void_t<decltype(&M::member)>> : std::true_type {};
GANTRY_DETAIL_HAS_MEMBER(scope_new)
GANTRY_DETAIL_HAS_MEMBER(scope_free)
GANTRY_DETAIL_HAS_MEMBER(on_listen)
GANTRY_DETAIL_HAS_MEMBER(on_accept)
GANTRY_DETAIL_HAS_MEMBER(on_handshake)
GANTRY_DETAIL_HAS_MEMBER(on_request_headers)
GANTRY_DETAIL_HAS_MEMBER(on_upgrade)
GANTRY_DETAIL_HAS_MEMBER(on_connect_upstream)
GANTRY_DETAIL_HAS_MEMBER(on_response_headers)
GANTRY_DETAIL_HAS_MEMBER(on_tunnel_data)
GANTRY_DETAIL_HAS_MEMBER(on_log)
GANTRY_DETAIL_HAS_MEMBER(on_stream_end)
GANTRY_DETAIL_HAS_MEMBER(on_conn_close)
GANTRY_DETAIL_HAS_MEMBER(on_listening)
GANTRY_DETAIL_HAS_MEMBER(kDescription)
GANTRY_DETAIL_HAS_MEMBER(kCapabilities)
GANTRY_DETAIL_HAS_MEMBER(kConfigKeys)
GANTRY_DETAIL_HAS_MEMBER(kMinHostMinor)
GANTRY_DETAIL_HAS_MEMBER(kTransport)
GANTRY_DETAIL_HAS_MEMBER(kTransportName)
#undef GANTRY_DETAIL_HAS_MEMBER

// The class's context types (void when it does not declare one).
#define GANTRY_DETAIL_CONTEXT_OF(type)                                            \
  template <typename M, typename = void>                                          \
  struct type##Of {                                                               \
    using T = void;                                                               \
  };                                                                              \
  template <typename M>                                                           \
  struct type##Of<M, std::void_t<typename M::type>> {                             \
    using T = typename M::type;                                                   \
  };
GANTRY_DETAIL_CONTEXT_OF(ScopeContext)
GANTRY_DETAIL_CONTEXT_OF(ConnContext)
GANTRY_DETAIL_CONTEXT_OF(StreamContext)
#undef GANTRY_DETAIL_CONTEXT_OF

// How a context pointer reaches a hook: T* and Slot<T> for a declared type,
// void* and void** otherwise. Only casts: nothing is added to the data path.
template <typename T>
struct Ctx {
  static constexpr bool kTyped = true;
  using Ptr = T*;
  using SlotArg = Slot<T>;
  static Ptr ptr(void* p) noexcept { return static_cast<T*>(p); }
  static SlotArg slot(void** p) noexcept { return Slot<T>(p); }
  static void destroy(void* p) { delete static_cast<T*>(p); }
};
template <>
struct Ctx<void> {
  static constexpr bool kTyped = false;
  using Ptr = void*;
  using SlotArg = void**;
  static Ptr ptr(void* p) noexcept { return p; }
  static SlotArg slot(void** p) noexcept { return p; }
  static void destroy(void*) noexcept {}
};

// Whether member-function pointer F accepts (M&, A...).
template <typename F, typename M, typename... A>
constexpr bool kTakes = std::is_invocable_v<F, M&, A...>;

template <typename M>
struct Glue {
  static_assert(std::is_base_of_v<Module, M>, "a gantry C++ module derives from gantry::Module");
  using ScopeC = Ctx<typename ScopeContextOf<M>::T>;
  using ConnC = Ctx<typename ConnContextOf<M>::T>;
  using StreamC = Ctx<typename StreamContextOf<M>::T>;

  static M& self(void* inst) noexcept { return *static_cast<M*>(inst); }
  static const gantry_host_api_t* api(void* inst) noexcept { return self(inst).host().api(); }

  static gantry_status_t instance_new(const gantry_host_api_t* host_api, gantry_module_t* mod,
                                      const gantry_cfg_t* config, void** inst,
                                      gantry_error_t* err) noexcept {
    return guard_status(host_api, err, [&]() -> gantry_status_t {
      Host host(host_api, mod);
      if constexpr (std::is_constructible_v<M, Host, Config>) *inst = new M(host, Config(host_api, config));
      else *inst = new M(host);
      return GANTRY_OK;
    });
  }
  static void instance_free(void* inst) noexcept {
    M* m = static_cast<M*>(inst);
    Host host = m->host();
    try {
      delete m;
    } catch (...) {
      report_exception(host, "instance_free", "unknown exception");
    }
  }

  static gantry_status_t scope_new(void* inst, uint32_t scope, const gantry_cfg_t* table,
                                   void** scope_ctx, gantry_error_t* err) noexcept {
    if constexpr (has_scope_new<M>::value) {
      return guard_status(api(inst), err, [&]() -> gantry_status_t {
        auto made = self(inst).scope_new(scope, Config(api(inst), table));
        if constexpr (ScopeC::kTyped) {
          static_assert(std::is_same_v<decltype(made), std::unique_ptr<typename ScopeContextOf<M>::T>>,
                        "with a ScopeContext, scope_new returns std::unique_ptr<ScopeContext>");
          *scope_ctx = made.release();
        } else {
          *scope_ctx = made;
        }
        return GANTRY_OK;
      });
    } else {
      (void)inst, (void)scope, (void)table, (void)err;
      *scope_ctx = nullptr;
      return GANTRY_OK;
    }
  }
  static void scope_free(void* inst, uint32_t scope, void* scope_ctx) noexcept {
    if constexpr (has_scope_free<M>::value)
      guard_hook<void>(self(inst), "scope_free",
                       [&] { self(inst).scope_free(scope, ScopeC::ptr(scope_ctx)); });
    guard_hook<void>(self(inst), "scope_free", [&] { ScopeC::destroy(scope_ctx); });
    (void)scope;
  }

  static gantry_action_t on_listen(void* inst, void* scope_ctx, gantry_listener_t* l,
                                   int32_t fd) noexcept {
    if constexpr (has_on_listen<M>::value)
      return guard_hook<gantry_action_t>(self(inst), "on_listen", [&] {
        return self(inst).on_listen(ScopeC::ptr(scope_ctx), l, fd);
      });
    else
      return (void)inst, (void)scope_ctx, (void)l, (void)fd, GANTRY_CONTINUE;
  }
  static gantry_action_t on_listening(void* inst, void* scope_ctx, gantry_listener_t* l,
                                      int32_t fd) noexcept {
    if constexpr (has_on_listening<M>::value)
      return guard_hook<gantry_action_t>(self(inst), "on_listening", [&] {
        return self(inst).on_listening(ScopeC::ptr(scope_ctx), l, fd);
      });
    else
      return (void)inst, (void)scope_ctx, (void)l, (void)fd, GANTRY_CONTINUE;
  }
  static gantry_action_t on_accept(void* inst, void* scope_ctx, gantry_conn_t* c, int32_t fd,
                                   void** conn_ctx) noexcept {
    if constexpr (has_on_accept<M>::value)
      return guard_hook<gantry_action_t>(self(inst), "on_accept", [&] {
        using F = decltype(&M::on_accept);
        Connection conn(api(inst), c);
        if constexpr (kTakes<F, M, typename ScopeC::Ptr, Connection, int32_t, typename ConnC::SlotArg>)
          return self(inst).on_accept(ScopeC::ptr(scope_ctx), conn, fd, ConnC::slot(conn_ctx));
        else
          return self(inst).on_accept(ScopeC::ptr(scope_ctx), conn, fd);
      });
    else
      return (void)inst, (void)scope_ctx, (void)c, (void)fd, (void)conn_ctx, GANTRY_CONTINUE;
  }
  static gantry_action_t on_handshake(void* inst, gantry_conn_t* c, void* conn_ctx) noexcept {
    if constexpr (has_on_handshake<M>::value)
      return guard_hook<gantry_action_t>(self(inst), "on_handshake", [&] {
        using F = decltype(&M::on_handshake);
        Connection conn(api(inst), c);
        if constexpr (kTakes<F, M, Connection, typename ConnC::Ptr>)
          return self(inst).on_handshake(conn, ConnC::ptr(conn_ctx));
        else
          return self(inst).on_handshake(conn);
      });
    else
      return (void)inst, (void)c, (void)conn_ctx, GANTRY_CONTINUE;
  }
  static gantry_action_t on_request_headers(void* inst, gantry_stream_t* s, void* conn_ctx,
                                            void** stream_ctx) noexcept {
    if constexpr (has_on_request_headers<M>::value)
      return guard_hook<gantry_action_t>(self(inst), "on_request_headers", [&] {
        using F = decltype(&M::on_request_headers);
        Request req(api(inst), s);
        if constexpr (kTakes<F, M, Request&, typename ConnC::Ptr, typename StreamC::SlotArg>)
          return self(inst).on_request_headers(req, ConnC::ptr(conn_ctx), StreamC::slot(stream_ctx));
        else if constexpr (kTakes<F, M, Request&, typename StreamC::SlotArg>)
          return self(inst).on_request_headers(req, StreamC::slot(stream_ctx));
        else
          return self(inst).on_request_headers(req);
      });
    else
      return (void)inst, (void)s, (void)conn_ctx, (void)stream_ctx, GANTRY_CONTINUE;
  }
  static gantry_action_t on_upgrade_plain(void* inst, gantry_stream_t* s, void* stream_ctx,
                                          gantry_str_t protocol) noexcept {
    if constexpr (has_on_upgrade<M>::value && !kUpgradeSlot)
      return guard_hook<gantry_action_t>(self(inst), "on_upgrade", [&] {
        using F = decltype(&M::on_upgrade);
        Request req(api(inst), s);
        if constexpr (kTakes<F, M, Request&, typename StreamC::Ptr, std::string_view>)
          return self(inst).on_upgrade(req, StreamC::ptr(stream_ctx), to_sv(protocol));
        else
          return self(inst).on_upgrade(req, to_sv(protocol));
      });
    else
      return (void)inst, (void)s, (void)stream_ctx, (void)protocol, GANTRY_DECLINED;
  }
  // on_upgrade taking the stream context's Slot: state made here lives on
  // through the tunnel (ABI 1.1's on_upgrade2).
  template <typename N, typename = void>
  struct UpgradeTakesSlot : std::false_type {};
  template <typename N>
  struct UpgradeTakesSlot<N, std::enable_if_t<has_on_upgrade<N>::value>>
      : std::bool_constant<kTakes<decltype(&N::on_upgrade), N, Request&,
                                  typename StreamC::SlotArg, std::string_view>> {};
  static constexpr bool kUpgradeSlot = UpgradeTakesSlot<M>::value;
  static gantry_action_t on_upgrade2(void* inst, gantry_stream_t* s, void** stream_ctx,
                                     gantry_str_t protocol) noexcept {
    if constexpr (kUpgradeSlot)
      return guard_hook<gantry_action_t>(self(inst), "on_upgrade", [&] {
        Request req(api(inst), s);
        return self(inst).on_upgrade(req, StreamC::slot(stream_ctx), to_sv(protocol));
      });
    else
      return (void)inst, (void)s, (void)stream_ctx, (void)protocol, GANTRY_DECLINED;
  }
  static gantry_action_t on_connect_upstream(void* inst, void* scope_ctx, gantry_stream_t* s,
                                             int32_t fd, size_t pending) noexcept {
    if constexpr (has_on_connect_upstream<M>::value)
      return guard_hook<gantry_action_t>(self(inst), "on_connect_upstream", [&] {
        Request req(api(inst), s);
        return self(inst).on_connect_upstream(ScopeC::ptr(scope_ctx), req, fd, pending);
      });
    else
      return (void)inst, (void)scope_ctx, (void)s, (void)fd, (void)pending, GANTRY_CONTINUE;
  }
  static gantry_action_t on_response_headers(void* inst, gantry_stream_t* s,
                                             void* stream_ctx) noexcept {
    if constexpr (has_on_response_headers<M>::value)
      return guard_hook<gantry_action_t>(self(inst), "on_response_headers", [&] {
        using F = decltype(&M::on_response_headers);
        Request req(api(inst), s);
        if constexpr (kTakes<F, M, Request&, typename StreamC::Ptr>)
          return self(inst).on_response_headers(req, StreamC::ptr(stream_ctx));
        else
          return self(inst).on_response_headers(req);
      });
    else
      return (void)inst, (void)s, (void)stream_ctx, GANTRY_CONTINUE;
  }
  static gantry_action_t on_tunnel_data(void* inst, gantry_stream_t* s, void* stream_ctx,
                                        uint32_t dir, const uint8_t* p, size_t n) noexcept {
    if constexpr (has_on_tunnel_data<M>::value)
      return guard_hook<gantry_action_t>(self(inst), "on_tunnel_data", [&] {
        Request req(api(inst), s);
        return self(inst).on_tunnel_data(req, StreamC::ptr(stream_ctx), dir, p, n);
      });
    else
      return (void)inst, (void)s, (void)stream_ctx, (void)dir, (void)p, (void)n, GANTRY_CONTINUE;
  }
  static void on_log(void* inst, gantry_stream_t* s, void* stream_ctx,
                     const gantry_log_record_t* r) noexcept {
    if constexpr (has_on_log<M>::value)
      guard_hook<void>(self(inst), "on_log", [&] {
        using F = decltype(&M::on_log);
        Request req(api(inst), s);
        if constexpr (kTakes<F, M, Request&, typename StreamC::Ptr, const gantry_log_record_t&>)
          self(inst).on_log(req, StreamC::ptr(stream_ctx), *r);
        else
          self(inst).on_log(req, *r);
      });
    else
      (void)inst, (void)s, (void)stream_ctx, (void)r;
  }
  static void on_stream_end(void* inst, gantry_stream_t* s, void* stream_ctx) noexcept {
    if constexpr (has_on_stream_end<M>::value)
      guard_hook<void>(self(inst), "on_stream_end", [&] {
        using F = decltype(&M::on_stream_end);
        Request req(api(inst), s);
        if constexpr (kTakes<F, M, Request&, typename StreamC::Ptr>)
          self(inst).on_stream_end(req, StreamC::ptr(stream_ctx));
        else
          self(inst).on_stream_end(req);
      });
    guard_hook<void>(self(inst), "on_stream_end", [&] { StreamC::destroy(stream_ctx); });
    (void)s;
  }
  static void on_conn_close(void* inst, gantry_conn_t* c, void* conn_ctx) noexcept {
    if constexpr (has_on_conn_close<M>::value)
      guard_hook<void>(self(inst), "on_conn_close", [&] {
        using F = decltype(&M::on_conn_close);
        Connection conn(api(inst), c);
        if constexpr (kTakes<F, M, Connection, typename ConnC::Ptr>)
          self(inst).on_conn_close(conn, ConnC::ptr(conn_ctx));
        else
          self(inst).on_conn_close(conn);
      });
    guard_hook<void>(self(inst), "on_conn_close", [&] { ConnC::destroy(conn_ctx); });
    (void)c;
  }

  // A hook is set only if M defines it (or the layer has a typed context to
  // free there), so the host's dispatch lists skip this module where it is
  // not interested.
  static constexpr gantry_hooks_t make_hooks() {
    gantry_hooks_t h{};
    h.struct_size = sizeof(gantry_hooks_t);
    h.instance_new = &instance_new;
    h.instance_free = &instance_free;
    if (has_scope_new<M>::value) h.scope_new = &scope_new;
    if (has_scope_free<M>::value || (has_scope_new<M>::value && ScopeC::kTyped)) h.scope_free = &scope_free;
    if (has_on_listen<M>::value) h.on_listen = &on_listen;
    if (has_on_listening<M>::value) h.on_listening = &on_listening;
    if (has_on_accept<M>::value) h.on_accept = &on_accept;
    if (has_on_handshake<M>::value) h.on_handshake = &on_handshake;
    if (has_on_request_headers<M>::value) h.on_request_headers = &on_request_headers;
    if constexpr (kUpgradeSlot) h.on_upgrade2 = &on_upgrade2;
    else if (has_on_upgrade<M>::value) h.on_upgrade = &on_upgrade_plain;
    if (has_on_connect_upstream<M>::value) h.on_connect_upstream = &on_connect_upstream;
    if (has_on_response_headers<M>::value) h.on_response_headers = &on_response_headers;
    if (has_on_tunnel_data<M>::value) h.on_tunnel_data = &on_tunnel_data;
    if (has_on_log<M>::value) h.on_log = &on_log;
    if (has_on_stream_end<M>::value || StreamC::kTyped) h.on_stream_end = &on_stream_end;
    if (has_on_conn_close<M>::value || ConnC::kTyped) h.on_conn_close = &on_conn_close;
    return h;
  }
  static constexpr gantry_hooks_t hooks = make_hooks();

  static constexpr const char* description() {
    if constexpr (has_kDescription<M>::value) return M::kDescription;
    else return "";
  }
  static constexpr uint64_t capabilities() {
    uint64_t caps = 0;
    if constexpr (has_kCapabilities<M>::value) caps = M::kCapabilities;
    if constexpr (has_kTransportName<M>::value) caps |= GANTRY_CAP_TRANSPORT;
    return caps;
  }
  static constexpr const gantry_config_key_t* config_keys() {
    if constexpr (has_kConfigKeys<M>::value) return M::kConfigKeys;
    else return nullptr;
  }
  static constexpr const gantry_transport_t* transport() {
    if constexpr (has_kTransportName<M>::value) return &TransportGlue<M>::table;
    else if constexpr (has_kTransport<M>::value) return M::kTransport;
    else return nullptr;
  }
  static constexpr uint32_t min_host_minor() {
    if constexpr (has_kMinHostMinor<M>::value) return M::kMinHostMinor;
    else return GANTRY_ABI_MINOR;
  }

  // Constant-initialized: nothing runs at dlopen.
  static constexpr gantry_module_desc_t desc = {
      sizeof(gantry_module_desc_t), GANTRY_ABI_MAJOR, GANTRY_ABI_MINOR, min_host_minor(),
      M::kName, M::kVersion, description(), capabilities(), config_keys(), &hooks, transport(),
  };
};

}  // namespace gantry::detail

// Exports the module's entry symbol for class `Class` (one per module).
#define GANTRY_CPP_MODULE(Class) \
  GANTRY_MODULE_ENTRY { return &::gantry::detail::Glue<Class>::desc; }

#endif /* GANTRY_CPP_GLUE_HPP */
