/*
 * gantry C++ layer over module ABI v1. Optional and header-only: it is
 * compiled INTO the module, so no C++ type ever crosses the ABI and the host
 * never depends on the module's compiler or standard library.
 *
 * What it gives a module written in C++17:
 *   - gantry::Module, a base class, and GANTRY_CPP_MODULE(Class), which
 *     builds the descriptor and the hook table (sizes and versions filled in,
 *     a hook is non-NULL only if Class defines it) and exports the entry.
 *   - noexcept trampolines: an exception escaping a hook (std::exception or
 *     anything else) is logged through host->log and becomes GANTRY_CLOSE;
 *     from instance_new/scope_new/transport_new it becomes an error status
 *     with the message (and, for gantry::ConfigError, the file:line of the
 *     node).
 *   - views: gantry::Host, gantry::Config (config nodes), gantry::Request
 *     (a stream, with RequestHeaders and Response), gantry::Connection,
 *     all with std::string_view conversions. They call the host only
 *     through functions its table holds (see detail::host_fn), so a call
 *     appended in a later minor degrades instead of crashing on an older host.
 *   - state: gantry::PerWorker<T> (indexed by host->worker_index()) and typed
 *     contexts (ScopeContext, ConnContext, StreamContext; gantry::Slot<T>).
 *   - a typed transport (kTransportName, TransportContext): see
 *     gantry/cpp/transport.hpp.
 *
 * A minimal module:
 *
 *   #include <gantry/module.hpp>
 *   class Deny : public gantry::Module {
 *    public:
 *     static constexpr const char* kName = "deny";
 *     static constexpr const char* kVersion = "1.0.0";
 *     static constexpr gantry_config_key_t kConfigKeys[] = {
 *         gantry::key("prefix", GANTRY_CFG_STRING, true, "path prefix to refuse"),
 *         gantry::keys_end()};
 *     Deny(gantry::Host host, gantry::Config config)
 *         : Module(host), prefix_(config["prefix"].as_string()) {}
 *     gantry_action_t on_request_headers(gantry::Request& req) {
 *       if (req.path().substr(0, prefix_.size()) != prefix_) return GANTRY_CONTINUE;
 *       req.respond(403, {{"content-type", "text/plain"}}, "denied\n");
 *       return GANTRY_DONE;
 *     }
 *    private:
 *     std::string prefix_;
 *   };
 *   GANTRY_CPP_MODULE(Deny)
 *
 * Optional static members: kDescription (const char*), kCapabilities
 * (uint64_t, GANTRY_CAP_*), kConfigKeys (array ending with keys_end()),
 * kMinHostMinor (uint32_t; default GANTRY_ABI_MINOR), kTransport (a
 * const gantry_transport_t* of the module's own C functions, which must not
 * throw either) or kTransportName with the typed transport.
 *
 * Optional member types: ScopeContext, ConnContext, StreamContext. Below,
 * Scope* / Conn* / Stream* mean "pointer to that type" when the class
 * declares it and void* otherwise; ConnSlot / StreamSlot mean
 * gantry::Slot<that type>, or void** without it. With a declared type the
 * layer deletes the context after scope_free / on_conn_close /
 * on_stream_end (hooks it installs for that even if the class has none).
 *
 * Hook members the class may define (do not overload them); [..] parts are
 * optional and may be left out:
 *   Scope scope_new(uint32_t scope, gantry::Config table)        MAIN
 *       (returns std::unique_ptr<ScopeContext>, or void* without one)
 *   void scope_free(uint32_t scope, Scope* scope_ctx)             MAIN
 *   gantry_action_t on_listen(Scope* scope_ctx, gantry_listener_t* l, int32_t fd)
 *   gantry_action_t on_accept(Scope* scope_ctx, gantry::Connection c, int32_t fd [, ConnSlot])
 *   gantry_action_t on_handshake(gantry::Connection c [, Conn* conn_ctx])
 *   gantry_action_t on_request_headers(gantry::Request& r [[, Conn* conn_ctx], StreamSlot])
 *   gantry_action_t on_upgrade(gantry::Request& r, [Stream* ctx,] std::string_view protocol)
 *   gantry_action_t on_connect_upstream(Scope* scope_ctx, gantry::Request& r, int32_t fd,
 *                                       size_t pending)
 *   gantry_action_t on_response_headers(gantry::Request& r [, Stream* ctx])
 *   gantry_action_t on_tunnel_data(gantry::Request& r, Stream* ctx, uint32_t dir,
 *                                  const uint8_t* p, size_t n)
 *   void on_log(gantry::Request& r, [Stream* ctx,] const gantry_log_record_t& rec)
 *   void on_stream_end(gantry::Request& r [, Stream* ctx])
 *   void on_conn_close(gantry::Connection c [, Conn* conn_ctx])
 * THREAD rules are module.h's: the constructor, destructor, scope_* and
 * transport_new run on MAIN; the others on the connection's LOOP, on every
 * worker at once, so the instance is read-only after construction or uses
 * PerWorker<T>.
 *
 * The layer's parts live in gantry/cpp/ (host, config, request, state,
 * module_base, transport, glue); this header includes them all.
 */
#ifndef GANTRY_MODULE_HPP
#define GANTRY_MODULE_HPP

#if !defined(__cplusplus) || __cplusplus < 201703L
#error "gantry/module.hpp needs C++17; C modules include gantry/module.h"
#endif

#include "gantry/module.h"
#include "gantry/cpp/host.hpp"
#include "gantry/cpp/config.hpp"
#include "gantry/cpp/request.hpp"
#include "gantry/cpp/state.hpp"
#include "gantry/cpp/module_base.hpp"
#include "gantry/cpp/transport.hpp"
#include "gantry/cpp/glue.hpp"

#endif /* GANTRY_MODULE_HPP */
