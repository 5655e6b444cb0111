// Config parsing, apart from the data path. The host has already rejected
// unknown keys and wrong types; this checks values and normalises them.
#include "settings.h"

#include <cctype>

namespace gantry::websocket {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
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

void read_origins(const gantry::Config& node, Settings* out) {
  for (size_t i = 0; i < node.size(); ++i) {
    gantry::Config item = node.at(i);
    std::string_view s;
    if (!item.read(&gantry::Config::as_string, &s)) item.fail("allowed_origins: entries must be strings");
    std::string o = lower(s);
    if (!plausible_origin(o))
      item.fail("allowed_origins: \"" + o + "\" is not an origin (scheme://host[:port], no path)");
    out->allowed_origins.push_back(std::move(o));
  }
}

uint64_t read_size(const gantry::Config& node, const char* key) {
  int64_t v = 0;
  if (!node.read(&gantry::Config::as_size_bytes, &v) || v < 0)
    node.fail(std::string(key) + ": expected a size such as \"64k\" or \"1m\"");
  return static_cast<uint64_t>(v);
}

}  // namespace

Settings read_settings(const gantry::Config& config) {
  Settings out;
  if (gantry::Config n = config["allowed_origins"]) read_origins(n, &out);
  if (gantry::Config n = config["other_upgrades"]) {
    std::string_view v = n.as_string();
    if (v == "refuse") {
      out.other_upgrades = OtherUpgrades::kRefuse;
    } else if (v == "reject") {
      out.other_upgrades = OtherUpgrades::kReject;
    } else if (v == "pass") {
      out.other_upgrades = OtherUpgrades::kPass;
    } else {
      n.fail("other_upgrades: \"" + std::string(v) + "\" is not one of refuse, reject, pass");
    }
  }
  if (gantry::Config n = config["max_frame_size"]) out.limits.max_frame = read_size(n, "max_frame_size");
  if (gantry::Config n = config["max_message_size"])
    out.limits.max_message = read_size(n, "max_message_size");
  if (gantry::Config n = config["count_messages"]) out.count_messages = n.as_bool();
  return out;
}

}  // namespace gantry::websocket
