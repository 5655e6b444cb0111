#include "discovery/server_set_update.h"

namespace gantry::discovery {
namespace {

bool belongs_to(const upstream::Server& s, const std::string& entry) {
  return s.name.size() > entry.size() && s.name.compare(0, entry.size(), entry) == 0 &&
         s.name[entry.size()] == '#';
}

}  // namespace

std::string discovered_name(const std::string& entry, const config::Address& a) {
  return entry + "#" + a.text;
}

SetChange replace_entry(const upstream::ServerSet& old, const std::string& entry,
                        const std::vector<config::Address>& addrs, const MakeServer& make) {
  SetChange c;
  c.set = std::make_shared<upstream::ServerSet>();
  std::vector<std::string> wanted;
  wanted.reserve(addrs.size());
  for (const config::Address& a : addrs) wanted.push_back(discovered_name(entry, a));

  for (const std::shared_ptr<upstream::Server>& s : old.servers) {
    if (!belongs_to(*s, entry)) {
      c.set->servers.push_back(s);
      continue;
    }
    bool still = false;
    for (const std::string& n : wanted) still = still || n == s->name;
    if (!still) ++c.removed;
  }
  for (size_t i = 0; i < addrs.size(); ++i) {
    int at = old.find(wanted[i]);
    if (c.set->find(wanted[i]) >= 0) continue;  // the same address twice in one answer
    if (at >= 0) {
      c.set->servers.push_back(old.servers[static_cast<size_t>(at)]);
      ++c.kept;
    } else {
      c.set->servers.push_back(make(wanted[i], addrs[i]));
      ++c.added;
    }
  }
  return c;
}

}  // namespace gantry::discovery
