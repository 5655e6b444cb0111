// replace_entry: what a new DNS answer does to a backend's server set.
#include "discovery/server_set_update.h"

#include <gtest/gtest.h>

#include <string>

#include "config/address.h"

namespace gantry::discovery {
namespace {

config::Address addr(const std::string& text) {
  config::Address a;
  std::string why;
  EXPECT_TRUE(config::parse_address(text, false, &a, &why)) << why;
  return a;
}

std::shared_ptr<upstream::Server> server(const std::string& name, const std::string& a) {
  return std::make_shared<upstream::Server>(name, addr(a), 3, 2);
}

MakeServer maker() {
  return [](const std::string& name, const config::Address& a) {
    return std::make_shared<upstream::Server>(name, a, 3, 2);
  };
}

std::vector<std::string> names(const upstream::ServerSet& s) {
  std::vector<std::string> v;
  for (const auto& p : s.servers) v.push_back(p->name);
  return v;
}

TEST(ServerSetUpdate, NewAddressesAreAddedAndKnownOnesKeepTheirObject) {
  upstream::ServerSet old;
  old.servers = {server("static", "127.0.0.9:80"), server("svc.test#127.0.0.1:8080", "127.0.0.1:8080")};
  old.servers[1]->set_healthy(false);  // state that must survive
  SetChange c = replace_entry(old, "svc.test", {addr("127.0.0.1:8080"), addr("127.0.0.2:8080")}, maker());
  EXPECT_EQ(names(*c.set),
            (std::vector<std::string>{"static", "svc.test#127.0.0.1:8080", "svc.test#127.0.0.2:8080"}));
  EXPECT_EQ(c.set->servers[1], old.servers[1]);
  EXPECT_FALSE(c.set->servers[1]->healthy());
  EXPECT_EQ(c.set->servers[0], old.servers[0]);
  EXPECT_EQ(c.added, 1u);
  EXPECT_EQ(c.kept, 1u);
  EXPECT_EQ(c.removed, 0u);
  EXPECT_TRUE(c.changed());
}

TEST(ServerSetUpdate, GoneAddressesAreLeftOut) {
  upstream::ServerSet old;
  old.servers = {server("svc.test#127.0.0.1:8080", "127.0.0.1:8080"),
                 server("svc.test#127.0.0.2:8080", "127.0.0.2:8080"),
                 server("svc.testing#127.0.0.3:8080", "127.0.0.3:8080")};
  std::weak_ptr<upstream::Server> gone = old.servers[0];
  SetChange c = replace_entry(old, "svc.test", {addr("127.0.0.2:8080")}, maker());
  EXPECT_EQ(names(*c.set),
            (std::vector<std::string>{"svc.testing#127.0.0.3:8080", "svc.test#127.0.0.2:8080"}));
  EXPECT_EQ(c.removed, 1u);
  EXPECT_EQ(c.added, 0u);
  // The old set (a request in flight) still holds it; the new one does not.
  EXPECT_FALSE(gone.expired());
}

TEST(ServerSetUpdate, SameAnswerChangesNothing) {
  upstream::ServerSet old;
  old.servers = {server("svc.test#127.0.0.1:8080", "127.0.0.1:8080")};
  SetChange c = replace_entry(old, "svc.test", {addr("127.0.0.1:8080"), addr("127.0.0.1:8080")}, maker());
  EXPECT_FALSE(c.changed());
  EXPECT_EQ(c.set->servers.size(), 1u);
  EXPECT_EQ(c.set->servers[0], old.servers[0]);
}

}  // namespace
}  // namespace gantry::discovery
