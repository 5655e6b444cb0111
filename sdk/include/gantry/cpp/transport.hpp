/*
 * gantry C++ layer: a byte transport (module.h's gantry_transport_t) from
 * three C++ types. Part of gantry/module.hpp; include that header.
 *
 * A class that provides a transport declares its name and context type and
 * builds contexts; GANTRY_CPP_MODULE then fills the C table (and adds
 * GANTRY_CAP_TRANSPORT to the capabilities):
 *
 *   class Tls : public gantry::Module {
 *    public:
 *     static constexpr const char* kTransportName = "tls-x";   // provider = "tls-x"
 *     using TransportContext = TlsContext;
 *     // MAIN, per [listener.tls] (is_server) or [backend.tls] table. Throw
 *     // gantry::ConfigError for a bad value, as in the constructor.
 *     std::unique_ptr<TlsContext> transport_new(gantry::Config table, bool is_server);
 *   };
 *
 *   struct TlsContext {   // freed by the layer at ctx_free (MAIN)
 *     // LOOP. params is a full gantry_sess_params_t whatever the host's size.
 *     std::unique_ptr<TlsSession> new_session(const gantry_sess_params_t& params);
 *   };
 *
 *   struct TlsSession {   // freed by the layer at sess_free; LOOP of the session
 *     gantry_io_t handshake();
 *     gantry_io_t feed_cipher(const uint8_t* p, size_t n, size_t* used);
 *     gantry_io_t read_plain(uint8_t* buf, size_t cap, size_t* got);
 *     gantry_io_t write_plain(const uint8_t* p, size_t n, size_t* used);
 *     size_t peek_cipher(const uint8_t** p);
 *     void consume_cipher(size_t n);
 *     bool handshake_done();
 *     gantry_io_t shutdown();
 *     // Fills a zeroed struct of this SDK's size; the layer copies what the
 *     // host's (possibly older or newer) struct holds.
 *     gantry_status_t info(gantry_tls_info_t& out);
 *   };
 *
 * The session calls are direct (no virtual call, no allocation of the
 * layer's own). An exception escaping one becomes GANTRY_IO_ERROR (the host
 * closes the connection), GANTRY_ERR_NOMEM/GENERIC from new_session and
 * info, 0 from peek_cipher and handshake_done.
 */
#ifndef GANTRY_CPP_TRANSPORT_HPP
#define GANTRY_CPP_TRANSPORT_HPP

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <utility>

#include "gantry/cpp/config.hpp"
#include "gantry/cpp/module_base.hpp"

namespace gantry::detail {

template <typename M>
struct TransportGlue {
  using Context = typename M::TransportContext;
  using SessionPtr = decltype(std::declval<Context&>().new_session(
      std::declval<const gantry_sess_params_t&>()));
  using Session = typename SessionPtr::element_type;

  static Session& sess(void* s) noexcept { return *static_cast<Session*>(s); }

  // Runs a session call; an exception is the session's end.
  template <typename R, typename Fn>
  static R guard_io(R on_throw, Fn&& fn) noexcept {
    try {
      return fn();
    } catch (...) {
      return on_throw;
    }
  }

  static gantry_status_t ctx_new(void* inst, const gantry_cfg_t* table, uint32_t is_server,
                                 void** tctx, gantry_error_t* err) noexcept {
    M& m = *static_cast<M*>(inst);
    const gantry_host_api_t* api = m.host().api();
    return guard_status(api, err, [&]() -> gantry_status_t {
      std::unique_ptr<Context> c = m.transport_new(Config(api, table), is_server != 0);
      if (!c) throw Error(GANTRY_ERR_GENERIC, "transport_new returned no context");
      *tctx = c.release();
      return GANTRY_OK;
    });
  }
  static void ctx_free(void* inst, void* tctx) noexcept {
    guard_hook<void>(*static_cast<M*>(inst), "transport ctx_free",
                     [&] { delete static_cast<Context*>(tctx); });
  }

  static gantry_status_t sess_new(void* tctx, const gantry_sess_params_t* params,
                                  void** out) noexcept {
    gantry_sess_params_t p;
    std::memset(&p, 0, sizeof p);
    if (params != nullptr) std::memcpy(&p, params, std::min<size_t>(params->struct_size, sizeof p));
    p.struct_size = sizeof p;
    try {
      SessionPtr s = static_cast<Context*>(tctx)->new_session(p);
      if (!s) return GANTRY_ERR_NOMEM;
      *out = s.release();
      return GANTRY_OK;
    } catch (const std::bad_alloc&) {
      return GANTRY_ERR_NOMEM;
    } catch (...) {
      return GANTRY_ERR_GENERIC;
    }
  }
  static void sess_free(void* s) noexcept {
    guard_io(0, [&] { delete static_cast<Session*>(s); return 0; });
  }

  static gantry_io_t handshake(void* s) noexcept {
    return guard_io(GANTRY_IO_ERROR, [&] { return sess(s).handshake(); });
  }
  static gantry_io_t feed_cipher(void* s, const uint8_t* p, size_t n, size_t* used) noexcept {
    return guard_io(GANTRY_IO_ERROR, [&] { return sess(s).feed_cipher(p, n, used); });
  }
  static gantry_io_t read_plain(void* s, uint8_t* buf, size_t cap, size_t* got) noexcept {
    return guard_io(GANTRY_IO_ERROR, [&] { return sess(s).read_plain(buf, cap, got); });
  }
  static gantry_io_t write_plain(void* s, const uint8_t* p, size_t n, size_t* used) noexcept {
    return guard_io(GANTRY_IO_ERROR, [&] { return sess(s).write_plain(p, n, used); });
  }
  static size_t peek_cipher(void* s, const uint8_t** p) noexcept {
    return guard_io(size_t{0}, [&] { return sess(s).peek_cipher(p); });
  }
  static void consume_cipher(void* s, size_t n) noexcept {
    guard_io(0, [&] { sess(s).consume_cipher(n); return 0; });
  }
  static uint32_t handshake_done(void* s) noexcept {
    return guard_io(0u, [&] { return sess(s).handshake_done() ? 1u : 0u; });
  }
  static gantry_io_t shutdown(void* s) noexcept {
    return guard_io(GANTRY_IO_ERROR, [&] { return sess(s).shutdown(); });
  }
  static gantry_status_t info(void* s, gantry_tls_info_t* out) noexcept {
    if (out == nullptr) return GANTRY_ERR_INVAL;
    gantry_tls_info_t i;
    std::memset(&i, 0, sizeof i);
    i.struct_size = sizeof i;
    gantry_status_t st = guard_io(gantry_status_t{GANTRY_ERR_GENERIC}, [&] { return sess(s).info(i); });
    if (st != GANTRY_OK) return st;
    // The host's struct may be older (shorter) or newer (longer) than ours.
    uint32_t theirs = out->struct_size;
    std::memcpy(out, &i, theirs == 0 ? sizeof i : std::min<size_t>(theirs, sizeof i));
    out->struct_size = theirs == 0 ? static_cast<uint32_t>(sizeof i) : theirs;
    return GANTRY_OK;
  }

  static constexpr gantry_transport_t make() {
    gantry_transport_t t{};
    t.struct_size = sizeof(gantry_transport_t);
    t.name = M::kTransportName;
    t.ctx_new = &ctx_new;
    t.ctx_free = &ctx_free;
    t.sess_new = &sess_new;
    t.sess_free = &sess_free;
    t.handshake = &handshake;
    t.feed_cipher = &feed_cipher;
    t.read_plain = &read_plain;
    t.write_plain = &write_plain;
    t.peek_cipher = &peek_cipher;
    t.consume_cipher = &consume_cipher;
    t.handshake_done = &handshake_done;
    t.shutdown = &shutdown;
    t.info = &info;
    return t;
  }
  // Constant-initialized, like the descriptor: nothing runs at dlopen.
  static constexpr gantry_transport_t table = make();
};

}  // namespace gantry::detail

#endif /* GANTRY_CPP_TRANSPORT_HPP */
