// Top-level `user` and `group`: names resolve to ids when the config loads,
// and an unknown name is an error at its line, as `gantry -t` reports it.
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>

#include <string>

#include "config/loader.h"

namespace gantry::config {
namespace {

const std::string kListener = "[[listener]]\nbind = \"127.0.0.1:0\"\n";

// The ids of users and groups every Debian system has (base-passwd).
uint32_t uid_of(const char* name) {
  const passwd* pw = getpwnam(name);
  return pw == nullptr ? UINT32_MAX : pw->pw_uid;
}
uint32_t primary_gid_of(const char* name) {
  const passwd* pw = getpwnam(name);
  return pw == nullptr ? UINT32_MAX : pw->pw_gid;
}
uint32_t gid_of(const char* name) {
  const group* gr = getgrnam(name);
  return gr == nullptr ? UINT32_MAX : gr->gr_gid;
}

Result<std::shared_ptr<const Config>> load(const std::string& text) {
  return load_config_text(text, "t.toml");
}

TEST(LoaderIdentityTest, NoKeysKeepTheStartingIdentity) {
  auto cfg = load(kListener);
  ASSERT_TRUE(cfg) << cfg.error();
  EXPECT_FALSE((*cfg)->run_as.set_uid);
  EXPECT_FALSE((*cfg)->run_as.set_gid);
}

TEST(LoaderIdentityTest, UserAloneBringsItsPrimaryGroup) {
  ASSERT_NE(uid_of("nobody"), UINT32_MAX) << "this system has no user 'nobody'";
  auto cfg = load("user = \"nobody\"\n" + kListener);
  ASSERT_TRUE(cfg) << cfg.error();
  const RunAs& as = (*cfg)->run_as;
  EXPECT_TRUE(as.set_uid);
  EXPECT_EQ(as.uid, uid_of("nobody"));
  EXPECT_TRUE(as.set_gid);
  EXPECT_EQ(as.gid, primary_gid_of("nobody"));
  EXPECT_EQ(as.user, "nobody");
  EXPECT_EQ(as.pos.str(), "t.toml:1:8");
}

TEST(LoaderIdentityTest, GroupOverridesThePrimaryGroup) {
  ASSERT_NE(gid_of("daemon"), UINT32_MAX);
  auto cfg = load("user = \"nobody\"\ngroup = \"daemon\"\n" + kListener);
  ASSERT_TRUE(cfg) << cfg.error();
  EXPECT_EQ((*cfg)->run_as.uid, uid_of("nobody"));
  EXPECT_EQ((*cfg)->run_as.gid, gid_of("daemon"));
  EXPECT_EQ((*cfg)->run_as.group, "daemon");
}

TEST(LoaderIdentityTest, GroupAloneChangesOnlyTheGroup) {
  auto cfg = load("group = \"daemon\"\n" + kListener);
  ASSERT_TRUE(cfg) << cfg.error();
  EXPECT_FALSE((*cfg)->run_as.set_uid);
  EXPECT_TRUE((*cfg)->run_as.set_gid);
  EXPECT_EQ((*cfg)->run_as.gid, gid_of("daemon"));
}

TEST(LoaderIdentityTest, NumericIdsNeedNoPasswdEntry) {
  // 4000000 is far above any id a Debian system hands out.
  auto cfg = load("user = \"4000000\"\ngroup = \"4000001\"\n" + kListener);
  ASSERT_TRUE(cfg) << cfg.error();
  EXPECT_EQ((*cfg)->run_as.uid, 4000000u);
  EXPECT_EQ((*cfg)->run_as.gid, 4000001u);
}

TEST(LoaderIdentityTest, ErrorsNameFileLineAndKey) {
  struct Case {
    std::string toml;
    std::string message;
  } cases[] = {
      {"\nuser = \"no-such-user-gantry\"\n" + kListener,
       "t.toml:2:8: user: unknown user 'no-such-user-gantry'"},
      {"user = \"nobody\"\ngroup = \"no-such-group-gantry\"\n" + kListener,
       "t.toml:2:9: group: unknown group 'no-such-group-gantry'"},
      {"user = \"\"\n" + kListener, "t.toml:1:8: user: must not be empty"},
      {"user = 0\n" + kListener, "t.toml:1:8: user: expected a string, got integer"},
      {"user = \"4000000\"\n" + kListener,
       "t.toml:1:8: user: user id 4000000 has no passwd entry, so no primary group: set `group`"},
      {"user = \"4294967295\"\n" + kListener,
       "t.toml:1:8: user: unknown user '4294967295'"},
  };
  for (const Case& c : cases) {
    auto cfg = load(c.toml);
    ASSERT_FALSE(cfg) << c.toml;
    EXPECT_EQ(cfg.error(), c.message) << c.toml;
  }
}

}  // namespace
}  // namespace gantry::config
