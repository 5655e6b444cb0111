#pragma once
// One accepted client connection, whatever protocol it speaks: its socket
// and transport, the config generation it was accepted under, the modules'
// connection contexts and hooks (accept, handshake, close), and the facts an
// exchange may ask about its client. HTTP/1.1 sessions (and later HTTP/2
// connections) derive from it; modules see it as gantry_conn_t.
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "exchange/downstream.h"
#include "module_loader/handles.h"
#include "net/conn.h"
#include "net/proxy_header.h"
#include "runtime/snapshot.h"
#include "runtime/worker_context.h"

namespace gantry::downstream {

class ClientConn;

// The worker's record of its client connections, told when one is gone.
class ConnList {
 public:
  virtual ~ConnList() = default;
  virtual void conn_closed(ClientConn* c) = 0;
};

class ClientConn : public gantry_conn {
 public:
  ClientConn(runtime::WorkerContext& wc, std::shared_ptr<const runtime::Snapshot> snap,
             int listener, ConnList* list);
  virtual ~ClientConn();
  ClientConn(const ClientConn&) = delete;
  ClientConn& operator=(const ClientConn&) = delete;

  // Accept from `server`, run the accept hooks, set up the transport. false:
  // refused, and the connection is closing.
  virtual bool start(uv_stream_t* server) = 0;
  // The worker drains: close now if idle, else after the work in flight.
  virtual void on_drain() = 0;
  // Waiting for the client's next request, nothing in flight (a metrics
  // gauge; read at scrape time on the connection's own loop).
  virtual bool idle() const { return false; }
  // Out of descriptors: an idle connection is closed at once to free one.
  virtual void shed() = 0;

  net::Conn* conn() const { return conn_; }
  const runtime::Snapshot& snap() const { return *snap_; }
  int listener() const { return listener_; }
  const exchange::ClientFacts& facts() const { return facts_; }
  // The client's address (GANTRY_ADDR_PEER) or the one it connected to
  // (GANTRY_ADDR_LOCAL): the PROXY header's when one named them, else the socket's.
  int client_addr(int which, sockaddr_storage* out, socklen_t* len) const;
  // What the PROXY header said; version kNone without one.
  const net::ProxyInfo& proxy() const { return proxy_; }
  // Position in the worker's connection list, kept by the worker.
  size_t slot() const { return slot_; }
  void set_slot(size_t slot) { slot_ = slot; }

 protected:
  // The common part of start(): false when refused (the caller closes). On
  // a proxy_protocol listener it only accepts and checks the peer: the rest
  // (finish_accept) waits for the PROXY header.
  bool accept(uv_stream_t* server, net::ConnHandler* handler);
  bool wants_proxy_header() const;
  // The PROXY header is in: take its addresses and finish accepting.
  bool accept_proxied(const net::ProxyInfo& info);
  // After the TLS handshake; false: a module refused the connection.
  bool run_handshake_hooks();
  void run_close_hooks();
  // The connection's last act: hooks, the list, the memory.
  void closed();
  // The client switched to HTTP/2 (ALPN or the h2c preface).
  void mark_http2() { facts_.http2 = true; }

  runtime::WorkerContext& wc_;
  std::shared_ptr<const runtime::Snapshot> snap_;
  net::Conn* conn_ = nullptr;

 private:
  void learn_address();
  bool peer_allowed() const;
  bool finish_accept();

  net::ProxyInfo proxy_;
  std::string proxy_notes_;

  int listener_;
  ConnList* list_;
  std::vector<void*> conn_ctx_;
  std::string address_;
  exchange::ClientFacts facts_;
  size_t slot_ = 0;
  enum class Hooks : uint8_t { kNone, kOwed, kDone } close_hooks_ = Hooks::kNone;
};

}  // namespace gantry::downstream
