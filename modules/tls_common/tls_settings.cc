#include "tls_settings.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "tls_compat.h"

namespace gantry::tls {
namespace {

#define GANTRY_TLS_KEY(name, type, doc) gantry::key(name, type, false, doc, GANTRY_SCOPE_TRANSPORT)

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
  const gantry::Host& host;
  gantry::Config table;
  Reporter& rep;

  Where at(const gantry::Config& node) const { return Where{node, node.where(false)}; }

  gantry::Config get(const char* key) const { return table[key]; }

  bool string(const gantry::Config& node, std::string* out, const char* what) {
    std::string_view s;
    if (!node.read(&gantry::Config::as_string, &s)) {
      rep.error(at(node), std::string(what) + ": expected a string");
      return false;
    }
    out->assign(s);
    return true;
  }

  bool string_key(const char* key, std::string* out, Where* where = nullptr) {
    gantry::Config node = get(key);
    if (!node) return true;
    if (where != nullptr) *where = at(node);
    return string(node, out, key);
  }

  bool bool_key(const char* key, bool* out) {
    gantry::Config node = get(key);
    if (!node) return true;
    if (!node.read(&gantry::Config::as_bool, out)) {
      rep.error(at(node), std::string(key) + ": expected true or false");
      return false;
    }
    return true;
  }

  bool int_key(const char* key, int64_t min, int64_t* out) {
    gantry::Config node = get(key);
    if (!node) return true;
    if (!node.read(&gantry::Config::as_int, out) || *out < min) {
      rep.error(at(node), std::string(key) + ": expected an integer >= " + std::to_string(min));
      return false;
    }
    return true;
  }

  bool duration_key(const char* key, int64_t* out_ms) {
    gantry::Config node = get(key);
    if (!node) return true;
    if (!node.read(&gantry::Config::as_duration_ms, out_ms) || *out_ms < 0) {
      rep.error(at(node), std::string(key) + ": expected a duration such as \"300s\"");
      return false;
    }
    return true;
  }

  // Relative paths are relative to the directory of the config file.
  std::string resolve(const std::string& path) const { return host.resolve_path(path); }

  bool file(const gantry::Config& node, FileRef* out, const char* what) {
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
    gantry::Config node = get(key);
    return !node || file(node, out, key);
  }

  // A string, or an array of strings.
  bool string_list(const gantry::Config& node, const char* key, std::vector<std::string>* out) {
    out->clear();
    if (node.is(GANTRY_CFG_STRING)) {
      out->emplace_back();
      return string(node, &out->back(), key);
    }
    if (!node.is(GANTRY_CFG_ARRAY)) {
      rep.error(at(node), std::string(key) + ": expected a string or an array of strings");
      return false;
    }
    for (size_t i = 0, n = node.size(); i < n; ++i) {
      out->emplace_back();
      if (!string(node.at(i), &out->back(), key)) return false;
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
  gantry::Config node = r.get("alpn");
  if (!node) return true;
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

bool parse_cert_entry(Reader& r, const gantry::Config& entry, CertSpec* out) {
  if (!entry.is(GANTRY_CFG_TABLE)) {
    r.rep.error(r.at(entry), "certificates: each entry is a table { cert = ..., key = ... }");
    return false;
  }
  for (size_t i = 0, n = entry.size(); i < n; ++i) {
    auto [key, v] = entry.entry(i);
    std::string k(key);
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
  if (gantry::Config list = r.get("certificates")) {
    if (!list.is(GANTRY_CFG_ARRAY)) {
      r.rep.error(r.at(list), "certificates: expected an array of tables");
      return false;
    }
    for (size_t i = 0, n = list.size(); i < n; ++i) {
      CertSpec spec;
      if (!parse_cert_entry(r, list.at(i), &spec)) return false;
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

  if (gantry::Config node = r.get("ticket_key_file")) {
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
      if (gantry::Config n = r.get(k)) {
        r.rep.error(r.at(n), std::string(k) + ": only valid in a [backend.tls] table");
        return false;
      }
    }
  } else {
    for (const char* k : kServerOnly) {
      if (gantry::Config n = r.get(k)) {
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
    gantry::keys_end(),
};

bool parse_settings(const gantry::Host& host, const gantry::Config& table, bool is_server,
                    Reporter& rep, Settings* s) {
  Reader r{host, table, rep};
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
