// [admin]: where the admin listener binds, and the check that keeps it off
// public addresses unless the config says so.
#include <arpa/inet.h>
#include <sys/un.h>

#include "config/address.h"
#include "config/loader_parts.h"

namespace gantry::config::detail {
namespace {

bool is_loopback(const Address& a) {
  if (a.sa.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a.sa);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (a.sa.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a.sa);
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
  }
  return false;
}

}  // namespace

void read_admin_bind(const Value& v, Admin* a) {
  a->bind = v.text;
  if (v.text[0] == '/') {
    if (v.text.size() >= sizeof(sockaddr_un{}.sun_path)) v.fail("Unix socket path too long");
    a->unix_socket = true;
    return;
  }
  std::string why;
  if (!parse_address(v.text, false, &a->address, &why))
    v.fail(why + " (expected \"host:port\" or an absolute Unix socket path)");
}

void read_admin(const Value& v, Config* cfg) {
  Section s = v.section();
  schema::apply(schema::kAdmin, s, *cfg, &cfg->admin);
  const Admin& a = cfg->admin;
  const toml::node* bind = s.node("bind");
  if (bind != nullptr && !a.unix_socket && !a.allow_public && !is_loopback(a.address))
    s.fail_at(*bind, "bind",
              "\"" + a.bind + "\" is not a loopback address; set allow_public = true to expose "
              "the admin listener");
}

}  // namespace gantry::config::detail
