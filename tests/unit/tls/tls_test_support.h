#pragma once
// Shared by the TLS unit tests: a test PKI made once per run with the openssl
// CLI, configs written as TOML and loaded on the SDK's mock host the way
// gantry binds them (both providers loaded, one transport context per
// [listener.tls] / [backend.tls] table), and a pair of transport sessions
// shuttling ciphertext in memory, as the core does between sockets.
#include <gantry/mock_host.hpp>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace gantry::tls_test {

// Directory holding the certificates of make_test_certs.sh.
const std::string& certs_dir();
// certs_dir() + "/" + name
std::string cert(const std::string& name);

std::string to_string(gantry_str_t s);

class TempDir : public test::TempDir {
 public:
  TempDir() : test::TempDir("gantry-tls-test") {}
};

// The config header every test uses: both providers loaded.
std::string modules_header();

// The transport context made for one tls table (none: both null).
struct TransportBinding {
  const gantry_transport_t* transport = nullptr;
  void* tctx = nullptr;
};

// Both providers' instances on one mock host, and the contexts of a config.
struct Generation;

struct Loaded {
  std::shared_ptr<Generation> gen;
  std::string error;  // why the config or a transport refused to load
  const TransportBinding& listener(size_t i) const;
  const TransportBinding& backend(size_t i) const;
  // What the modules logged since the last call, one line per message.
  std::string take_logs() const;
};

// Writes modules_header() + body to dir/gantry.toml and loads it.
Loaded load(const TempDir& dir, const std::string& body);

// A [[listener]] with [listener.tls] for `provider` and extra tls lines.
std::string listener(const std::string& name, const std::string& provider,
                     const std::string& tls_lines);
// A [[backend]] with [backend.tls] for `provider` and extra tls lines.
std::string backend(const std::string& name, const std::string& provider,
                    const std::string& tls_lines);

struct Side {
  const gantry_transport_t* t = nullptr;
  void* sess = nullptr;
  std::string received;               // plaintext read so far
  gantry_io_t status = GANTRY_IO_OK;  // last read_plain result
  bool failed() const { return status == GANTRY_IO_ERROR; }
};

// One client (backend binding) talking to one server (listener binding).
class SessionPair {
 public:
  SessionPair(const TransportBinding& server, const TransportBinding& client,
              const std::string& sni);
  ~SessionPair();
  SessionPair(const SessionPair&) = delete;
  SessionPair& operator=(const SessionPair&) = delete;

  // Starts the client handshake and pumps until both are done or one fails.
  bool handshake();
  // Moves ciphertext both ways and reads plaintext until nothing moves.
  void pump();
  // Writes all of `data` from one side (pumping when the transport pushes back).
  void send(Side& from, const std::string& data);

  gantry_tls_info_t info(const Side& side) const;

  Side server;
  Side client;

 private:
  size_t transfer(Side& from, Side& to);
  void drain(Side& side);
};

}  // namespace gantry::tls_test
