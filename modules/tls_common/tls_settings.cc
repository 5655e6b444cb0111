#include "tls_settings.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "tls_compat.h"

namespace gantry::tls {
namespace {

constexpr uint32_t kT = GANTRY_SCOPE_TRANSPORT;
#define GANTRY_TLS_KEY(name, type, doc) \
  { sizeof(gantry_config_key_t), kT, name, type, 0, doc }

// Keys that make sense on one side only; the other side reports them.
const char* const kServerOnly[] = {"cert",
                                   "key",
                                   "certificates",
                                   "strict_sni",
                                   "session_tickets",
                                   "ticket_key_file",
                                   "session_cache_size",
                                   "session_timeout",
                                   "verify_client",
                                   "client_ca",
                                   "ocsp_staple",
                                   "reload_interval"};
const char* const kClientOnly[] = {"verify", "ca", "server_name", "client_cert", "client_key"};

struct Reader {
  const Module* mod;
  const gantry_cfg_t* table;
  Reporter& rep;

  const gantry_host_api_t* h() const { return mod->host; }
  Where at(const gantry_cfg_t* node) const { return Where{node, where_of(mod, node)}; }

  const gantry_cfg_t* get(const char* key) const { return h()->cfg_get(table, key); }

  bool string(const gantry_cfg_t* node, std::string* out, const char* what) {
    gantry_str_t s{};
    if (h()->cfg_string(node, &s) != GANTRY_OK) {
      rep.error(at(node), std::string(what) + ": expected a string");
      return false;
    }
    out->assign(s.ptr, s.len);
    return true;
  }

  bool string_key(const char* key, std::string* out, Where* where = nullptr) {
    const gantry_cfg_t* node = get(key);
    if (node == nullptr) return true;
    if (where != nullptr) *where = at(node);
    return string(node, out, key);
  }

  bool bool_key(const char* key, bool* out) {
    const gantry_cfg_t* node = get(key);
    if (node == nullptr) return true;
    int32_t v = 0;
    if (h()->cfg_bool(node, &v) != GANTRY_OK) {
      rep.error(at(node), std::string(key) + ": expected true or false");
      return false;
    }
    *out = v != 0;
    return true;
  }

  bool int_key(const char* key, int64_t min, int64_t* out) {
    const gantry_cfg_t* node = get(key);
    if (node == nullptr) return true;
    if (h()->cfg_int(node, out) != GANTRY_OK || *out < min) {
      rep.error(at(node), std::string(key) + ": expected an integer >= " + std::to_string(min));
      return false;
    }
    return true;
  }

  bool duration_key(const char* key, int64_t* out_ms) {
    const gantry_cfg_t* node = get(key);
    if (node == nullptr) return true;
    if (h()->cfg_duration_ms(node, out_ms) != GANTRY_OK || *out_ms < 0) {
      rep.error(at(node), std::string(key) + ": expected a duration such as \"300s\"");
      return false;
    }
    return true;
  }

  // Relative paths are relative to the directory of the config file.
  std::string resolve(const std::string& path) const {
    if (path.empty() || path[0] == '/') return path;
    gantry_str_t dir = h()->cfg_dir != nullptr ? h()->cfg_dir() : gantry_str_t{nullptr, 0};
    if (dir.len == 0) return path;
    std::string out(dir.ptr, dir.len);
    if (out.back() != '/') out += '/';
    return out + path;
  }

  bool file(const gantry_cfg_t* node, FileRef* out, const char* what) {
    std::string path;
    if (!string(node, &path, what)) return false;
    if (path.empty()) {
      rep.error(at(node), std::string(what) + ": empty path");
      return false;
    }
    out->path = resolve(path);
    out->at = at(node);
    return true;
  }

  bool file_key(const char* key, FileRef* out) {
    const gantry_cfg_t* node = get(key);
    return node == nullptr || file(node, out, key);
  }

  // A string, or an array of strings.
  bool string_list(const gantry_cfg_t* node, const char* key, std::vector<std::string>* out) {
    out->clear();
    if (h()->cfg_type(node) == GANTRY_CFG_STRING) {
      out->emplace_back();
      return string(node, &out->back(), key);
    }
    if (h()->cfg_type(node) != GANTRY_CFG_ARRAY) {
      rep.error(at(node), std::string(key) + ": expected a string or an array of strings");
      return false;
    }
    for (size_t i = 0, n = h()->cfg_size(node); i < n; ++i) {
      out->emplace_back();
      if (!string(h()->cfg_at(node, i, nullptr), &out->back(), key)) return false;
    }
    return true;
  }
};

bool parse_version(const std::string& text, int* out) {
  std::string v = text;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v.rfind("tlsv", 0) == 0) v = v.substr(4);
  if (v == "1" || v == "1.0") {
    *out = TLS1_VERSION;
  } else if (v == "1.1") {
    *out = TLS1_1_VERSION;
  } else if (v == "1.2") {
    *out = TLS1_2_VERSION;
  } else if (v == "1.3") {
    *out = TLS1_3_VERSION;
  } else {
    return false;
  }
  return true;
}

bool version_key(Reader& r, const char* key, int* out) {
  std::string text;
  Where where;
  if (!r.string_key(key, &text, &where)) return false;
  if (text.empty()) return true;
  if (!parse_version(text, out)) {
    r.rep.error(where, std::string(key) + ": unknown TLS version '" + text +
                           "' (use TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)");
    return false;
  }
  return true;
}

bool parse_alpn(Reader& r, Settings* s) {
  const gantry_cfg_t* node = r.get("alpn");
  if (node == nullptr) return true;
  s->alpn_at = r.at(node);
  if (!r.string_list(node, "alpn", &s->alpn)) return false;
  for (const std::string& p : s->alpn) {
    if (p != "http/1.1" && p != "http/1.0" && p != "h2") {
      r.rep.error(s->alpn_at, "alpn: unsupported protocol '" + p +
                                  "' (known: \"http/1.1\", \"http/1.0\", \"h2\")");
      return false;
    }
  }
  return true;
}

bool parse_cert_entry(Reader& r, const gantry_cfg_t* entry, CertSpec* out) {
  const gantry_host_api_t* h = r.h();
  if (h->cfg_type(entry) != GANTRY_CFG_TABLE) {
    r.rep.error(r.at(entry), "certificates: each entry is a table { cert = ..., key = ... }");
    return false;
  }
  for (size_t i = 0, n = h->cfg_size(entry); i < n; ++i) {
    gantry_str_t key{};
    const gantry_cfg_t* v = h->cfg_at(entry, i, &key);
    std::string k(key.ptr, key.len);
    if (k == "cert") {
      if (!r.file(v, &out->cert, "cert")) return false;
    } else if (k == "key") {
      if (!r.file(v, &out->key, "key")) return false;
    } else if (k == "ocsp_staple") {
      if (!r.file(v, &out->ocsp, "ocsp_staple")) return false;
    } else {
      r.rep.error(r.at(v), "certificates: unknown key '" + k + "' (known: cert, key, ocsp_staple)");
      return false;
    }
  }
  if (out->cert.empty()) {
    r.rep.error(r.at(entry), "certificates: entry without 'cert'");
    return false;
  }
  return true;
}

bool parse_server(Reader& r, Settings* s) {
  CertSpec top;
  if (!r.file_key("cert", &top.cert) || !r.file_key("key", &top.key) ||
      !r.file_key("ocsp_staple", &top.ocsp)) {
    return false;
  }
  if (top.cert.empty() && (!top.key.empty() || !top.ocsp.empty())) {
    r.rep.error(top.key.empty() ? top.ocsp.at : top.key.at, "set 'cert' next to this key");
    return false;
  }
  if (!top.cert.empty()) s->certs.push_back(top);
  if (const gantry_cfg_t* list = r.get("certificates")) {
    if (r.h()->cfg_type(list) != GANTRY_CFG_ARRAY) {
      r.rep.error(r.at(list), "certificates: expected an array of tables");
      return false;
    }
    for (size_t i = 0, n = r.h()->cfg_size(list); i < n; ++i) {
      CertSpec spec;
      if (!parse_cert_entry(r, r.h()->cfg_at(list, i, nullptr), &spec)) return false;
      s->certs.push_back(spec);
    }
  }
  if (s->certs.empty()) {
    r.rep.error(s->table, "a TLS listener needs 'cert' (and 'key') or 'certificates'");
    return false;
  }
  if (!r.bool_key("strict_sni", &s->strict_sni) ||
      !r.bool_key("session_tickets", &s->session_tickets) ||
      !r.int_key("session_cache_size", 0, &s->session_cache_size)) {
    return false;
  }
  int64_t timeout_ms = s->session_timeout_s * 1000;
  if (!r.duration_key("session_timeout", &timeout_ms)) return false;
  s->session_timeout_s = std::max<int64_t>(1, timeout_ms / 1000);
  if (!r.duration_key("reload_interval", &s->reload_interval_ms)) return false;

  if (const gantry_cfg_t* node = r.get("ticket_key_file")) {
    std::vector<std::string> paths;
    if (!r.string_list(node, "ticket_key_file", &paths)) return false;
    for (const std::string& p : paths) {
      s->ticket_keys.push_back(FileRef{r.resolve(p), r.at(node)});
    }
  }

  std::string verify;
  Where verify_at;
  if (!r.string_key("verify_client", &verify, &verify_at)) return false;
  if (verify == "" || verify == "none") {
    s->verify_client = VerifyClient::kNone;
  } else if (verify == "optional") {
    s->verify_client = VerifyClient::kOptional;
  } else if (verify == "required") {
    s->verify_client = VerifyClient::kRequired;
  } else {
    r.rep.error(verify_at, "verify_client: expected \"none\", \"optional\" or \"required\"");
    return false;
  }
  if (!r.file_key("client_ca", &s->client_ca)) return false;
  if (s->verify_client != VerifyClient::kNone && s->client_ca.empty()) {
    r.rep.error(verify_at,
                "verify_client needs 'client_ca' (the CA file clients are checked against)");
    return false;
  }
  return true;
}

bool parse_client(Reader& r, Settings* s) {
  if (!r.bool_key("verify", &s->verify) || !r.file_key("ca", &s->ca) ||
      !r.string_key("server_name", &s->server_name) ||
      !r.file_key("client_cert", &s->client_cert) || !r.file_key("client_key", &s->client_key)) {
    return false;
  }
  if (s->client_cert.empty() && !s->client_key.empty()) {
    r.rep.error(s->client_key.at, "client_key without client_cert");
    return false;
  }
  return true;
}

bool reject_other_side(Reader& r, bool is_server) {
  if (is_server) {
    for (const char* k : kClientOnly) {
      if (const gantry_cfg_t* n = r.get(k)) {
        r.rep.error(r.at(n), std::string(k) + ": only valid in a [backend.tls] table");
        return false;
      }
    }
  } else {
    for (const char* k : kServerOnly) {
      if (const gantry_cfg_t* n = r.get(k)) {
        std::string hint = (std::strcmp(k, "cert") == 0 || std::strcmp(k, "key") == 0)
                               ? " (use client_cert / client_key)"
                               : "";
        r.rep.error(r.at(n), std::string(k) + ": only valid in a [listener.tls] table" + hint);
        return false;
      }
    }
  }
  return true;
}

}  // namespace

const gantry_config_key_t kConfigKeys[] = {
    GANTRY_TLS_KEY("cert", GANTRY_CFG_STRING,
                   "PEM certificate chain (leaf first); may hold the key too"),
    GANTRY_TLS_KEY("key", GANTRY_CFG_STRING, "PEM private key of 'cert'"),
    GANTRY_TLS_KEY("certificates", GANTRY_CFG_ARRAY,
                   "more certificates [{cert, key, ocsp_staple}], picked by SNI and key type"),
    GANTRY_TLS_KEY("strict_sni", GANTRY_CFG_BOOL,
                   "refuse handshakes whose SNI matches no certificate (default false)"),
    GANTRY_TLS_KEY("alpn", GANTRY_CFG_ANY,
                   "ALPN protocols in preference order (default [\"http/1.1\"])"),
    GANTRY_TLS_KEY("min_version", GANTRY_CFG_STRING, "lowest TLS version (default \"TLSv1.2\")"),
    GANTRY_TLS_KEY("max_version", GANTRY_CFG_STRING,
                   "highest TLS version (default: the library's)"),
    GANTRY_TLS_KEY("ciphers", GANTRY_CFG_STRING, "TLS 1.2 cipher list, OpenSSL syntax"),
    GANTRY_TLS_KEY("ciphersuites", GANTRY_CFG_STRING, "TLS 1.3 suites, ':'-separated"),
    GANTRY_TLS_KEY("curves", GANTRY_CFG_STRING, "key-exchange groups, e.g. \"X25519:P-256\""),
    GANTRY_TLS_KEY("session_tickets", GANTRY_CFG_BOOL,
                   "issue and accept session tickets (default true)"),
    GANTRY_TLS_KEY("ticket_key_file", GANTRY_CFG_ANY,
                   "80-byte ticket key file(s); the first encrypts"),
    GANTRY_TLS_KEY("session_cache_size", GANTRY_CFG_INT,
                   "server session cache entries, 0 = off (default 20480)"),
    GANTRY_TLS_KEY("session_timeout", GANTRY_CFG_DURATION,
                   "session and ticket lifetime (default \"300s\")"),
    GANTRY_TLS_KEY("verify_client", GANTRY_CFG_STRING,
                   "client certificates: none | optional | required"),
    GANTRY_TLS_KEY("client_ca", GANTRY_CFG_STRING,
                   "PEM CA file client certificates are checked against"),
    GANTRY_TLS_KEY("ocsp_staple", GANTRY_CFG_STRING, "DER OCSP response file stapled for 'cert'"),
    GANTRY_TLS_KEY("reload_interval", GANTRY_CFG_DURATION,
                   "how often changed certificate files are noticed, 0 = never (default \"1s\")"),
    GANTRY_TLS_KEY("verify", GANTRY_CFG_BOOL,
                   "backend: verify the server certificate (default true)"),
    GANTRY_TLS_KEY("ca", GANTRY_CFG_STRING, "backend: PEM CA file (default: system trust store)"),
    GANTRY_TLS_KEY("server_name", GANTRY_CFG_STRING, "backend: SNI to send and name to verify"),
    GANTRY_TLS_KEY("client_cert", GANTRY_CFG_STRING, "backend: PEM client certificate chain"),
    GANTRY_TLS_KEY("client_key", GANTRY_CFG_STRING, "backend: PEM key of client_cert"),
    {sizeof(gantry_config_key_t), 0, nullptr, 0, 0, nullptr},
};

bool parse_settings(const Module* mod, const gantry_cfg_t* table, bool is_server, Reporter& rep,
                    Settings* s) {
  Reader r{mod, table, rep};
  s->is_server = is_server;
  s->table = r.at(table);
  s->min_version = TLS1_2_VERSION;
  if (!reject_other_side(r, is_server)) return false;
  if (!parse_alpn(r, s) || !version_key(r, "min_version", &s->min_version) ||
      !version_key(r, "max_version", &s->max_version) ||
      !r.string_key("ciphers", &s->ciphers, &s->ciphers_at) ||
      !r.string_key("ciphersuites", &s->ciphersuites, &s->ciphersuites_at) ||
      !r.string_key("curves", &s->curves, &s->curves_at)) {
    return false;
  }
  if (s->max_version != 0 && s->max_version < s->min_version) {
    rep.error(s->table, "max_version is below min_version");
    return false;
  }
  return is_server ? parse_server(r, s) : parse_client(r, s);
}

}  // namespace gantry::tls
