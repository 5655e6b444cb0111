#pragma once
// Backend side (re-encryption): server verification, SNI, client
// certificate, and resumption of the last session per server name.
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "tls_pem.h"
#include "tls_settings.h"

namespace gantry::tls {

class ClientState {
 public:
  ClientState(const gantry::Host& host, Settings settings);
  ~ClientState();

  // MAIN, at ctx_new.
  bool init(Reporter& rep);

  SSL_CTX* ctx() const { return ctx_.get(); }
  const gantry::Host& host() const { return host_; }
  const Settings& settings() const { return settings_; }

  // LOOP. A session to resume for `name` (the caller frees it), or null.
  SSL_SESSION* session_for(const std::string& name);
  // LOOP. Keeps `sess` (ownership taken) for the next connection to `name`.
  void remember(const std::string& name, SSL_SESSION* sess);

 private:
  gantry::Host host_;
  const Settings settings_;
  CtxPtr ctx_;
  // Touched once per upstream handshake; a short critical section.
  std::mutex mu_;
  std::unordered_map<std::string, SSL_SESSION*> sessions_;
};

}  // namespace gantry::tls
