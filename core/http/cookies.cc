#include "http/cookies.h"

#include <string>

#include "util/strings.h"

namespace gantry::http {

std::string_view take_cookie(Head& req, Arena& arena, std::string_view name) {
  std::string_view found;
  for (HeaderField& h : req.headers) {
    if (h.name.empty() || !iequals(h.name, "cookie")) continue;
    std::string kept;
    std::string_view v = h.value;
    bool removed = false;
    while (!v.empty()) {
      size_t semi = v.find(';');
      std::string_view pair = v.substr(0, semi);
      v = semi == std::string_view::npos ? std::string_view() : v.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
        found = pair.substr(eq + 1);
        removed = true;
        continue;
      }
      if (pair.empty()) continue;
      if (!kept.empty()) kept += "; ";
      kept.append(pair);
    }
    if (!removed) continue;
    if (kept.empty()) {
      h.name = {};
      --req.live_headers;
    } else {
      h.value = {arena.copy(kept.data(), kept.size()), kept.size()};
    }
  }
  return found;
}

void add_sticky_cookie(Head* resp, Arena& arena, std::string_view name, std::string_view value) {
  std::string v;
  v.reserve(name.size() + value.size() + 24);
  v.append(name).append("=").append(value).append("; Path=/; HttpOnly");
  resp->add(arena, "Set-Cookie", v);
  // A response a shared cache may store would hand this client's server to
  // every other client: unless the server already keeps it out of shared
  // caches, it becomes private.
  for (size_t i = 0; const HeaderField* cc = resp->find("cache-control", i); ++i) {
    if (list_has_token(cc->value, "private") || list_has_token(cc->value, "no-store")) return;
  }
  resp->set(arena, "Cache-Control", "private");
}

}  // namespace gantry::http
