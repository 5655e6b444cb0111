#include "tls_server.h"

#include <sys/stat.h>
#include <time.h>

#include <cstring>

#include "tls_ctx_common.h"
#include "tls_session.h"

namespace gantry::tls {
namespace {

// Same for every context of a listener, so a session cached (or a client
// certificate verified) under the default certificate resumes under another.
const unsigned char kSessionIdContext[] = "gantry";

int64_t now_ms() {
  timespec ts;
  // The coarse clock is read from the vDSO: no syscall on the loop.
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// --- ClientHello: pick the certificate -----------------------------------

#if defined(OPENSSL_IS_BORINGSSL)
ssl_select_cert_result_t on_client_hello(const SSL_CLIENT_HELLO* ch) {
  Session* s = session_of(ch->ssl);
  ClientHelloFacts facts;
  const uint8_t* p = nullptr;
  size_t n = 0;
  if (SSL_early_callback_ctx_extension_get(ch, TLSEXT_TYPE_server_name, &p, &n))
    parse_sni(p, n, &facts);
  if (SSL_early_callback_ctx_extension_get(ch, TLSEXT_TYPE_signature_algorithms, &p, &n))
    parse_sigalgs(p, n, &facts);
  if (SSL_early_callback_ctx_extension_get(ch, TLSEXT_TYPE_supported_versions, &p, &n))
    parse_supported_versions(p, n, &facts);
  parse_cipher_suites(ch->cipher_suites, ch->cipher_suites_len, &facts);
  s->server->select_certificate(s, facts);
  return ssl_select_cert_success;
}
#else
int on_client_hello(SSL* ssl, int* /*alert*/, void* /*arg*/) {
  Session* s = session_of(ssl);
  ClientHelloFacts facts;
  const unsigned char* p = nullptr;
  size_t n = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &n)) parse_sni(p, n, &facts);
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_signature_algorithms, &p, &n))
    parse_sigalgs(p, n, &facts);
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions, &p, &n))
    parse_supported_versions(p, n, &facts);
  n = SSL_client_hello_get0_ciphers(ssl, &p);
  parse_cipher_suites(p, n, &facts);
  s->server->select_certificate(s, facts);
  return SSL_CLIENT_HELLO_SUCCESS;
}
#endif

// Runs after the ClientHello callback in both libraries, SNI or not; the
// refusal lives here because only this callback can choose the alert.
int on_servername(SSL* ssl, int* alert, void* /*arg*/) {
  if (session_of(ssl)->refuse_sni) {
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  return SSL_TLSEXT_ERR_OK;
}

// Server preference order. No overlap: continue without ALPN rather than
// fail, as HTTP/1.1 is implied.
int on_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
            unsigned int in_len, void* /*arg*/) {
  const std::string& ours = session_of(ssl)->server->alpn();
  for (size_t i = 0; i < ours.size(); i += 1 + static_cast<uint8_t>(ours[i])) {
    auto len = static_cast<uint8_t>(ours[i]);
    for (unsigned j = 0; j < in_len; j += 1u + in[j]) {
      if (in[j] == len && j + 1 + len <= in_len &&
          std::memcmp(in + j + 1, ours.data() + i + 1, len) == 0) {
        *out = in + j + 1;
        *out_len = len;
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

// --- Session tickets ------------------------------------------------------

#if defined(OPENSSL_IS_BORINGSSL)
using MacCtx = HMAC_CTX;
bool set_mac_key(MacCtx* mac, const uint8_t* key) {
  return HMAC_Init_ex(mac, key, 32, EVP_sha256(), nullptr) == 1;
}
#else
using MacCtx = EVP_MAC_CTX;
bool set_mac_key(MacCtx* mac, const uint8_t* key) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<uint8_t*>(key), 32),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}
#endif

// Encrypts with the first key; decrypts with any, asking for a fresh ticket
// when an older key matched (rotation).
int on_ticket_key(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                  MacCtx* mac, int encrypt) {
  const std::vector<TicketKey>& keys = session_of(ssl)->snap->ticket_keys;
  if (keys.empty()) return encrypt ? -1 : 0;
  if (encrypt) {
    const TicketKey& k = keys[0];
    if (RAND_bytes(iv, 16) != 1) return -1;
    std::memcpy(name, k.name, sizeof k.name);
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, k.aes, iv) != 1) return -1;
    return set_mac_key(mac, k.hmac) ? 1 : -1;
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    if (std::memcmp(name, keys[i].name, sizeof keys[i].name) != 0) continue;
    if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, keys[i].aes, iv) != 1) return -1;
    if (!set_mac_key(mac, keys[i].hmac)) return -1;
    return i == 0 ? 1 : 2;
  }
  return 0;  // unknown key: full handshake
}

// --- OCSP stapling --------------------------------------------------------

#if !defined(OPENSSL_IS_BORINGSSL)
int on_status_request(SSL* ssl, void* /*arg*/) {
  Session* s = session_of(ssl);
  SSL_CTX* ctx = SSL_get_SSL_CTX(ssl);
  for (const CertEntry& e : s->snap->entries) {
    if (e.ctx.get() != ctx || e.cert.ocsp.empty()) continue;
    auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(e.cert.ocsp.size()));
    if (copy == nullptr) return SSL_TLSEXT_ERR_NOACK;
    std::memcpy(copy, e.cert.ocsp.data(), e.cert.ocsp.size());
    SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(e.cert.ocsp.size()));
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}
#endif

void run_check(void* arg) {
  std::unique_ptr<std::weak_ptr<ServerState>> weak(static_cast<std::weak_ptr<ServerState>*>(arg));
  if (std::shared_ptr<ServerState> state = weak->lock()) state->check_files();
}

FileStamp stamp(const std::string& path) {
  FileStamp st;
  struct stat sb;
  if (::stat(path.c_str(), &sb) != 0) {
    st.err = errno;
    return st;
  }
  st.dev = sb.st_dev;
  st.ino = sb.st_ino;
  st.size = static_cast<uint64_t>(sb.st_size);
  st.mtime_s = sb.st_mtim.tv_sec;
  st.mtime_ns = sb.st_mtim.tv_nsec;
  return st;
}

}  // namespace

ServerState::ServerState(const gantry::Host& host, Settings settings)
    : host_(host), settings_(std::move(settings)), alpn_(alpn_wire(settings_.alpn, true)) {}

bool ServerState::init(Reporter& rep) {
  if (!validate_crypto(settings_, rep)) return false;
  // Without a key file, one random key per listener: it survives certificate
  // reloads, not a config reload.
  if (RAND_bytes(reinterpret_cast<uint8_t*>(&random_key_), sizeof random_key_) != 1) {
    rep.error(settings_.table, "no randomness for the session ticket key");
    return false;
  }
  stamps_ = stamp_files();
  std::shared_ptr<const ServerSnapshot> snap = build(rep);
  if (!snap) return false;
  std::atomic_store(&snap_, snap);
  publish_expiry(*snap);
  next_check_ms_.store(now_ms() + settings_.reload_interval_ms, std::memory_order_relaxed);
  return true;
}

bool ServerState::configure(SSL_CTX* ctx, CertEntry& entry, Reporter& rep) const {
  const Settings& s = settings_;
  const LoadedCert& c = entry.cert;
  if (SSL_CTX_use_certificate(ctx, c.leaf.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, c.key.get()) != 1 ||
      SSL_CTX_set1_chain(ctx, c.chain.get()) != 1) {
    rep.error(s.certs[0].cert.at, "cannot use the certificate: " + take_ssl_errors());
    return false;
  }
#if defined(OPENSSL_IS_BORINGSSL)
  SSL_CTX_set_select_certificate_cb(ctx, on_client_hello);
  if (!c.ocsp.empty()) {
    SSL_CTX_set_ocsp_response(ctx, reinterpret_cast<const uint8_t*>(c.ocsp.data()), c.ocsp.size());
  }
#else
  SSL_CTX_set_client_hello_cb(ctx, on_client_hello, nullptr);
  SSL_CTX_set_tlsext_status_cb(ctx, on_status_request);
#endif
  SSL_CTX_set_tlsext_servername_callback(ctx, on_servername);
  if (!alpn_.empty()) SSL_CTX_set_alpn_select_cb(ctx, on_alpn, nullptr);

  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof kSessionIdContext - 1);
  if (s.session_cache_size > 0) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx, static_cast<unsigned long>(s.session_cache_size));
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  }
  SSL_CTX_set_timeout(ctx, static_cast<uint32_t>(s.session_timeout_s));
#if defined(OPENSSL_IS_BORINGSSL)
  SSL_CTX_set_session_psk_dhe_timeout(ctx, static_cast<uint32_t>(s.session_timeout_s));
#endif
  if (s.session_tickets) {
#if defined(OPENSSL_IS_BORINGSSL)
    SSL_CTX_set_tlsext_ticket_key_cb(ctx, on_ticket_key);
#else
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, on_ticket_key);
#endif
  } else {
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    // TLS 1.3 resumes through tickets only; OpenSSL's stateful tickets still
    // serve the session cache when it is on.
    if (s.session_cache_size == 0) SSL_CTX_set_num_tickets(ctx, 0);
  }

  if (s.verify_client != VerifyClient::kNone) {
    int mode = SSL_VERIFY_PEER;
    if (s.verify_client == VerifyClient::kRequired) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx, mode, nullptr);
    std::string content, why;
    if (!read_file(s.client_ca.path, &content, &why)) {
      rep.error(s.client_ca.at, "cannot read client_ca '" + s.client_ca.path + "': " + why);
      return false;
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(s.client_ca.path.c_str());
    if (SSL_CTX_load_verify_locations(ctx, s.client_ca.path.c_str(), nullptr) != 1 ||
        names == nullptr) {
      if (names != nullptr) sk_X509_NAME_pop_free(names, X509_NAME_free);
      rep.error(s.client_ca.at,
                "no usable CA certificate in '" + s.client_ca.path + "': " + take_ssl_errors());
      return false;
    }
    SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
  }
  return true;
}

bool ServerState::load_ticket_keys(ServerSnapshot* snap, Reporter& rep) const {
  if (settings_.ticket_keys.empty()) {
    snap->ticket_keys.push_back(random_key_);
    return true;
  }
  for (const FileRef& f : settings_.ticket_keys) {
    std::string data, why;
    if (!read_file(f.path, &data, &why)) {
      rep.error(f.at, "cannot read ticket key file '" + f.path + "': " + why);
      return false;
    }
    if (data.empty() || data.size() % sizeof(TicketKey) != 0) {
      rep.error(f.at, "ticket key file '" + f.path +
                          "' must hold 80-byte keys (e.g. `openssl rand 80`), not " +
                          std::to_string(data.size()) + " bytes");
      return false;
    }
    for (size_t off = 0; off < data.size(); off += sizeof(TicketKey)) {
      TicketKey k;
      std::memcpy(&k, data.data() + off, sizeof k);
      snap->ticket_keys.push_back(k);
    }
  }
  return true;
}

std::shared_ptr<const ServerSnapshot> ServerState::build(Reporter& rep) const {
  auto snap = std::make_shared<ServerSnapshot>();
  for (const CertSpec& spec : settings_.certs) {
    CertEntry entry;
    if (!load_cert(spec, rep, &entry.cert)) return nullptr;
    entry.ctx = new_ctx(settings_, rep);
    if (!entry.ctx || !configure(entry.ctx.get(), entry, rep)) return nullptr;
    snap->entries.push_back(std::move(entry));
  }
  for (size_t i = 0; i < snap->entries.size(); ++i) {
    for (const std::string& name : snap->entries[i].cert.names) {
      std::vector<size_t>& group = snap->by_name[name];
      if (group.empty() || group.back() != i) group.push_back(i);
    }
  }
  const std::vector<std::string>& first = snap->entries[0].cert.names;
  if (!first.empty()) {
    snap->default_group = snap->by_name[first[0]];
  } else {
    snap->default_group = {0};
  }
  if (!load_ticket_keys(snap.get(), rep)) return nullptr;
  return snap;
}

void ServerState::select_certificate(Session* s, const ClientHelloFacts& hello) const {
  const ServerSnapshot& snap = *s->snap;
  const std::vector<size_t>* group = nullptr;
  s->refuse_sni = false;
  if (!hello.sni.empty()) {
    auto it = snap.by_name.find(hello.sni);
    size_t dot = hello.sni.find('.');
    if (it == snap.by_name.end() && dot != std::string::npos) {
      it = snap.by_name.find("*" + hello.sni.substr(dot));
    }
    if (it != snap.by_name.end()) group = &it->second;
  }
  if (group == nullptr) {
    if (settings_.strict_sni) {
      s->refuse_sni = true;
      return;
    }
    group = &snap.default_group;
  }
  bool tls13 = settings_.max_version == 0 || settings_.max_version >= TLS1_3_VERSION;
  bool ecdsa = client_takes_ecdsa(hello, tls13);
  size_t pick = group->front();
  for (size_t i : *group) {
    if (snap.entries[i].cert.ecdsa == ecdsa) {
      pick = i;
      break;
    }
  }
  SSL_CTX* want = snap.entries[pick].ctx.get();
  if (SSL_get_SSL_CTX(s->ssl) != want) SSL_set_SSL_CTX(s->ssl, want);
}

std::vector<FileStamp> ServerState::stamp_files() const {
  std::vector<FileStamp> out;
  for (const CertSpec& c : settings_.certs) {
    out.push_back(stamp(c.cert.path));
    if (!c.key.empty()) out.push_back(stamp(c.key.path));
    if (!c.ocsp.empty()) out.push_back(stamp(c.ocsp.path));
  }
  for (const FileRef& f : settings_.ticket_keys) out.push_back(stamp(f.path));
  if (!settings_.client_ca.empty()) out.push_back(stamp(settings_.client_ca.path));
  return out;
}

void ServerState::maybe_check_files() {
  int64_t interval = settings_.reload_interval_ms;
  if (interval <= 0) return;
  int64_t now = now_ms();
  int64_t next = next_check_ms_.load(std::memory_order_relaxed);
  if (now < next) return;
  // One session per interval wins the right to ask.
  if (!next_check_ms_.compare_exchange_strong(next, now + interval, std::memory_order_relaxed))
    return;
  auto* arg = new std::weak_ptr<ServerState>(shared_from_this());
  if (host_.post(-1, run_check, arg) == GANTRY_OK) return;
  delete arg;
  check_files();  // the host cannot post: do it here, rarely
}

void ServerState::check_files() {
  std::lock_guard<std::mutex> lock(reload_mu_);
  std::vector<FileStamp> now = stamp_files();
  if (now == stamps_) return;
  // Remember this state even if it fails: a half-written pair of files is
  // retried once the next change lands, without a log line per second.
  stamps_ = now;
  Reporter rep(host_, GANTRY_LOG_ERROR);
  std::shared_ptr<const ServerSnapshot> snap = build(rep);
  if (!snap) {
    log(host_, GANTRY_LOG_ERROR,
        "%s: changed TLS files are not usable; new connections keep the previous certificates",
        settings_.table.pos.c_str());
    return;
  }
  std::atomic_store(&snap_, snap);
  publish_expiry(*snap);
  log(host_, GANTRY_LOG_INFO, "%s: reloaded TLS certificates", settings_.table.pos.c_str());
}

namespace {

// A Prometheus label value: backslash, quote and newline escaped.
std::string label_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

void ServerState::publish_expiry(const ServerSnapshot& snap) const {
  if (host_.check_only()) return;
  for (size_t i = 0; i < snap.entries.size() && i < settings_.certs.size(); ++i) {
    // By file alone: a renewed certificate at the same path updates its
    // series instead of leaving a stale one behind.
    std::string labels = "cert=\"" + label_value(settings_.certs[i].cert.path) + "\"";
    int32_t id = host_.metric_gauge("tls_certificate_expiry_timestamp_seconds",
                                    "When a served certificate expires (its notAfter), as Unix time.",
                                    labels);
    host_.metric_set(id, not_after_unix(snap.entries[i].cert.leaf.get()));
  }
}

}  // namespace gantry::tls
