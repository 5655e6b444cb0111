#include "rfc9112_target.h"

#include "rfc9112_syntax.h"

namespace gantry::fuzz::rfc9112 {
namespace {

// `s` is chars of `ok`, each possibly replaced by a pct-encoded triplet.
template <typename Pred>
bool all_pct(std::string_view s, Pred ok) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
      i += 2;
    } else if (!ok(static_cast<Byte>(s[i]))) {
      return false;
    }
  }
  return true;
}

bool valid_query(std::string_view q) {
  return all_pct(q, [](Byte c) { return is_pchar(c) || c == '/' || c == '?'; });
}

// absolute-path [ "?" query ].
bool valid_origin_form(std::string_view t) {
  size_t q = t.find('?');
  std::string_view path = t.substr(0, q);
  if (path.empty() || path[0] != '/') return false;
  if (!all_pct(path, [](Byte c) { return is_pchar(c) || c == '/'; })) return false;
  return q == std::string_view::npos || valid_query(t.substr(q + 1));
}

// absolute-URI = scheme ":" hier-part [ "?" query ], of the http or https
// scheme: a server refuses (421) any other it is not (RFC 9110 7.4). The
// authority must be present, non-empty and without userinfo (RFC 9110 4.2).
bool valid_absolute_form(std::string_view t) {
  size_t colon = t.find(':');
  if (colon == 0 || colon == std::string_view::npos || !is_alpha(t[0])) return false;
  for (size_t i = 1; i < colon; ++i)
    if (!(is_alpha(t[i]) || is_digit(t[i]) || in_set(t[i], "+-."))) return false;
  std::string_view scheme = t.substr(0, colon);
  std::string_view rest = t.substr(colon + 1);
  size_t q = rest.find('?');
  std::string_view hier = rest.substr(0, q);
  if (q != std::string_view::npos && !valid_query(rest.substr(q + 1))) return false;
  if (!iequals(scheme, "http") && !iequals(scheme, "https")) return false;
  if (hier.substr(0, 2) != "//") return false;
  size_t slash = hier.find('/', 2);
  std::string_view authority = hier.substr(2, slash == std::string_view::npos ? hier.npos : slash - 2);
  if (authority.empty() || authority[0] == ':' || authority.find('@') != authority.npos) return false;
  if (!valid_authority(authority)) return false;
  return slash == std::string_view::npos ||
         all_pct(hier.substr(slash), [](Byte c) { return is_pchar(c) || c == '/'; });
}

}  // namespace

// An IP-literal is checked for its alphabet only.
bool valid_authority(std::string_view a) {
  size_t host_end;
  if (!a.empty() && a.front() == '[') {
    host_end = a.find(']');
    if (host_end == std::string_view::npos) return false;
    for (size_t i = 1; i < host_end; ++i)
      if (!(is_hex(a[i]) || a[i] == ':' || a[i] == '.' || a[i] == 'v' || a[i] == 'V')) return false;
    ++host_end;
  } else {
    host_end = a.find(':');
    if (host_end == std::string_view::npos) host_end = a.size();
    if (!all_pct(a.substr(0, host_end), [](Byte c) { return is_unreserved(c) || is_sub_delim(c); }))
      return false;
  }
  if (host_end == a.size()) return true;
  if (a[host_end] != ':') return false;
  for (size_t i = host_end + 1; i < a.size(); ++i)
    if (!is_digit(a[i])) return false;
  return true;
}

bool valid_target(std::string_view method, std::string_view t) {
  if (method == "CONNECT") return !t.empty() && t[0] != '/' && t.find(':') != t.npos &&
                                  t.find('@') == t.npos && valid_authority(t);
  if (t == "*") return method == "OPTIONS";
  if (!t.empty() && t[0] == '/') return valid_origin_form(t);
  return valid_absolute_form(t);
}

}  // namespace gantry::fuzz::rfc9112
