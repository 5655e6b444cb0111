#pragma once
// Listener side: certificates chosen by SNI and key type, session tickets
// and cache, client certificates, and reload of changed files.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tls_client_hello.h"
#include "tls_pem.h"
#include "tls_settings.h"

namespace gantry::tls {

struct Session;

struct TicketKey {
  uint8_t name[16];
  uint8_t hmac[32];
  uint8_t aes[32];
};

// One configured certificate and the SSL_CTX that serves it. All contexts of
// a listener are configured alike; only certificate, key and OCSP differ.
struct CertEntry {
  CtxPtr ctx;
  LoadedCert cert;
};

// Everything built from files. Replaced as a whole when a file changes;
// sessions keep the snapshot they started with.
struct ServerSnapshot {
  std::vector<CertEntry> entries;  // [0]: default; its SSL_CTX starts every session
  std::unordered_map<std::string, std::vector<size_t>> by_name;  // "a.b" and "*.b"
  std::vector<size_t> default_group;   // entries sharing the default's first name
  std::vector<TicketKey> ticket_keys;  // [0] encrypts
};

// Identity of a file's content as far as stat() can tell.
struct FileStamp {
  int err = 0;
  uint64_t dev = 0, ino = 0, size = 0;
  int64_t mtime_s = 0, mtime_ns = 0;
  bool operator==(const FileStamp& o) const {
    return err == o.err && dev == o.dev && ino == o.ino && size == o.size && mtime_s == o.mtime_s &&
           mtime_ns == o.mtime_ns;
  }
};

class ServerState : public std::enable_shared_from_this<ServerState> {
 public:
  ServerState(const gantry::Host& host, Settings settings);

  // MAIN, at ctx_new: checks the settings and builds the first snapshot.
  bool init(Reporter& rep);

  // LOOP: the snapshot new sessions use. Lock-free for readers.
  std::shared_ptr<const ServerSnapshot> snapshot() const { return std::atomic_load(&snap_); }

  // LOOP, per new session: at most once per reload_interval, asks the main
  // thread to look at the files (the loop itself makes no syscall).
  void maybe_check_files();

  // MAIN (or the caller, if the host cannot post): stat the files and, if
  // one changed, rebuild; a broken new file keeps the old snapshot.
  void check_files();

  // Called from the library's ClientHello callback.
  void select_certificate(Session* s, const ClientHelloFacts& hello) const;

  const gantry::Host& host() const { return host_; }
  const Settings& settings() const { return settings_; }
  const std::string& alpn() const { return alpn_; }

 private:
  std::shared_ptr<const ServerSnapshot> build(Reporter& rep) const;
  bool configure(SSL_CTX* ctx, CertEntry& entry, Reporter& rep) const;
  bool load_ticket_keys(ServerSnapshot* snap, Reporter& rep) const;
  std::vector<FileStamp> stamp_files() const;
  // Each served certificate's expiry as a gauge (status page, alerts).
  void publish_expiry(const ServerSnapshot& snap) const;

  gantry::Host host_;
  const Settings settings_;
  std::string alpn_;                            // wire format of what we announce
  TicketKey random_key_{};                      // used when no ticket_key_file is set
  std::shared_ptr<const ServerSnapshot> snap_;  // std::atomic_load/store only
  std::atomic<int64_t> next_check_ms_{0};
  std::mutex reload_mu_;           // control path: serializes check_files
  std::vector<FileStamp> stamps_;  // of the last attempt
};

}  // namespace gantry::tls
