#pragma once
// One TLS session in memory-BIO style: the host feeds ciphertext in and
// drains ciphertext out; the library never sees the socket. The member
// functions are the transport calls of module.h (tls_transport.cc), called
// directly by the SDK's transport layer.
#include <memory>
#include <string>

#include "tls_byte_buffer.h"
#include "tls_client.h"
#include "tls_server.h"

namespace gantry::tls {

struct Session {
  SSL* ssl = nullptr;
  ByteBuffer in;                        // ciphertext from the peer, not yet read by the library
  ByteBuffer out;                       // ciphertext for the peer, not yet taken by the host
  std::shared_ptr<ServerState> server;  // listener side
  std::shared_ptr<const ServerSnapshot> snap;  // certificates this session uses
  std::shared_ptr<ClientState> client;         // backend side
  std::string server_name;                     // backend side: SNI sent
  bool refuse_sni = false;                     // strict SNI: the ClientHello named no certificate
  bool facts_cached = false;
  std::string peer_der;
  std::string peer_subject;

  ~Session();
  const gantry::Host& host() const { return server ? server->host() : client->host(); }

  gantry_io_t handshake();
  gantry_io_t feed_cipher(const uint8_t* p, size_t n, size_t* used);
  gantry_io_t read_plain(uint8_t* buf, size_t cap, size_t* got);
  gantry_io_t write_plain(const uint8_t* p, size_t n, size_t* used);
  size_t peek_cipher(const uint8_t** p);
  void consume_cipher(size_t n) { out.consume(n); }
  bool handshake_done() const;
  gantry_io_t shutdown();
  gantry_status_t info(gantry_tls_info_t& facts);

 private:
  gantry_io_t io_result(int r, const char* what);
  void cache_peer_facts();
};

// Creates the session's SSL and attaches the memory BIO; null on failure.
std::unique_ptr<Session> new_server_session(std::shared_ptr<ServerState> state);
std::unique_ptr<Session> new_client_session(std::shared_ptr<ClientState> state,
                                            const std::string& server_name);

// The Session owning an SSL (SSL app data).
inline Session* session_of(const SSL* ssl) { return static_cast<Session*>(SSL_get_app_data(ssl)); }

// Module-lifetime setup; MAIN, before the first session.
void init_bio_method();

}  // namespace gantry::tls
