// Config parsing, apart from the data path. The host has already rejected
// unknown keys and wrong types; this checks values and normalises them.
#include "settings.h"

#include <cctype>

namespace gantry::websocket {

#define WS_KEY(name, type, doc) \
  {sizeof(gantry_config_key_t), GANTRY_SCOPE_MODULE, name, type, 0, doc}

const gantry_config_key_t kConfigKeys[] = {
    WS_KEY("allowed_origins", GANTRY_CFG_ARRAY,
           "Origin values accepted on WebSocket handshakes (\"https://*.example.com\" "
           "allowed); default: any"),
    WS_KEY("other_upgrades", GANTRY_CFG_STRING,
           "non-WebSocket upgrades (h2c...): \"refuse\" (default), \"reject\" (400) or \"pass\""),
    WS_KEY("max_frame_size", GANTRY_CFG_SIZE,
           "largest frame payload relayed; larger cuts the tunnel (1009). 0 = off (default)"),
    WS_KEY("max_message_size", GANTRY_CFG_SIZE,
           "largest message (sum of its frames) relayed; larger cuts the tunnel (1009). 0 = off"),
    WS_KEY("count_messages", GANTRY_CFG_BOOL,
           "count messages per direction for the access log (default false)"),
    {0, 0, nullptr, 0, 0, nullptr},
};

#undef WS_KEY

namespace {

std::string lower(gantry_str_t s) {
  std::string out(s.ptr, s.len);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "scheme://host[:port]", or "null" (sandboxed documents send that), with an
// optional "*." before the host for any subdomain.
bool plausible_origin(const std::string& o) {
  if (o == "null") return true;
  size_t sep = o.find("://");
  if (sep == std::string::npos || sep == 0 || sep + 3 >= o.size()) return false;
  for (size_t i = sep + 3; i < o.size(); ++i)
    if (o[i] == '/' || o[i] == ' ' || o[i] == '?' || o[i] == '#') return false;
  return true;
}

gantry_status_t read_origins(const gantry_host_api_t* host, const gantry_cfg_t* node,
                             Settings* out, gantry_error_t* err) {
  size_t n = host->cfg_size(node);
  for (size_t i = 0; i < n; ++i) {
    const gantry_cfg_t* item = host->cfg_at(node, i, nullptr);
    gantry_str_t s{};
    if (host->cfg_string(item, &s) != GANTRY_OK) {
      host->error_at(err, item, GANTRY_ERR_INVAL, "allowed_origins: entries must be strings");
      return GANTRY_ERR_INVAL;
    }
    std::string o = lower(s);
    if (!plausible_origin(o)) {
      host->error_at(err, item, GANTRY_ERR_INVAL,
                     ("allowed_origins: \"" + o +
                      "\" is not an origin (scheme://host[:port], no path)")
                         .c_str());
      return GANTRY_ERR_INVAL;
    }
    out->allowed_origins.push_back(std::move(o));
  }
  return GANTRY_OK;
}

gantry_status_t read_size(const gantry_host_api_t* host, const gantry_cfg_t* node,
                          const char* key, uint64_t* out, gantry_error_t* err) {
  int64_t v = 0;
  if (host->cfg_size_bytes(node, &v) != GANTRY_OK || v < 0) {
    host->error_at(err, node, GANTRY_ERR_INVAL,
                   (std::string(key) + ": expected a size such as \"64k\" or \"1m\"").c_str());
    return GANTRY_ERR_INVAL;
  }
  *out = static_cast<uint64_t>(v);
  return GANTRY_OK;
}

}  // namespace

gantry_status_t read_settings(const gantry_host_api_t* host, const gantry_cfg_t* config,
                              Settings* out, gantry_error_t* err) {
  if (config == nullptr) return GANTRY_OK;
  gantry_status_t st = GANTRY_OK;
  if (const gantry_cfg_t* n = host->cfg_get(config, "allowed_origins")) {
    st = read_origins(host, n, out, err);
    if (st != GANTRY_OK) return st;
  }
  if (const gantry_cfg_t* n = host->cfg_get(config, "other_upgrades")) {
    gantry_str_t s{};
    host->cfg_string(n, &s);
    std::string v(s.ptr, s.len);
    if (v == "refuse") {
      out->other_upgrades = OtherUpgrades::kRefuse;
    } else if (v == "reject") {
      out->other_upgrades = OtherUpgrades::kReject;
    } else if (v == "pass") {
      out->other_upgrades = OtherUpgrades::kPass;
    } else {
      host->error_at(err, n, GANTRY_ERR_INVAL,
                     ("other_upgrades: \"" + v + "\" is not one of refuse, reject, pass").c_str());
      return GANTRY_ERR_INVAL;
    }
  }
  if (const gantry_cfg_t* n = host->cfg_get(config, "max_frame_size")) {
    st = read_size(host, n, "max_frame_size", &out->limits.max_frame, err);
    if (st != GANTRY_OK) return st;
  }
  if (const gantry_cfg_t* n = host->cfg_get(config, "max_message_size")) {
    st = read_size(host, n, "max_message_size", &out->limits.max_message, err);
    if (st != GANTRY_OK) return st;
  }
  if (const gantry_cfg_t* n = host->cfg_get(config, "count_messages")) {
    int32_t b = 0;
    host->cfg_bool(n, &b);
    out->count_messages = b != 0;
  }
  return GANTRY_OK;
}

}  // namespace gantry::websocket
