// 10,000 regex ACLs in one config: they load, and every one routes right.
#include <gtest/gtest.h>

#include <string>

#include "acl_harness.h"

namespace gantry::acl_test {
namespace {

constexpr int kAcls = 10000;

TEST(AclScale, TenThousandRegexAcls) {
  std::string cfg = "default_backend = \"none\"\n";
  cfg.reserve(kAcls * 120);
  for (int i = 0; i < kAcls; ++i) {
    std::string n = std::to_string(i);
    cfg += "[[module.config.acl]]\nname = \"r" + n + "\"\npath_reg = \"^/svc" + n +
           "/item/[0-9]+$\"\n";
  }
  for (int i = 0; i < kAcls; ++i) {
    std::string n = std::to_string(i);
    cfg += "[[module.config.rule]]\nuse_backend = \"b" + n + "\"\nif = \"r" + n + "\"\n";
  }
  // Compiling 10,000 regexes takes a while: the first load compiles and
  // fills the cache, the second (a reload) loads the same database.
  AclHarness h;
  ASSERT_TRUE(h.load(cfg, h.dir() + "/cache")) << h.error();
  EXPECT_TRUE(h.logged("10000 patterns in 1 databases (0 from cache)"))
      << (h.logs().empty() ? "" : h.logs()[0]);
  ASSERT_TRUE(h.load(cfg, h.dir() + "/cache")) << h.error();
  EXPECT_TRUE(h.logged("10000 patterns in 1 databases (1 from cache)"))
      << (h.logs().empty() ? "" : h.logs()[0]);
  for (int i = 0; i < kAcls; i += 7) {
    std::string n = std::to_string(i);
    ASSERT_EQ(h.route("/svc" + n + "/item/" + std::to_string(i * 13)), "b" + n) << i;
  }
  EXPECT_EQ(h.route("/svc9999/item/"), "none");
  EXPECT_EQ(h.route("/svc10000/item/1"), "none");
  EXPECT_EQ(h.route("/svc12/item/1x"), "none");
  EXPECT_EQ(h.route("/x/svc12/item/1"), "none");
}

}  // namespace
}  // namespace gantry::acl_test
