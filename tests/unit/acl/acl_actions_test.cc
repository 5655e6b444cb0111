// Rule actions: first matching final action wins; header and path actions
// apply and evaluation goes on.
#include <gtest/gtest.h>

#include "acl_harness.h"

namespace gantry::acl_test {
namespace {

const char* kAdminAcl = "[[module.config.acl]]\nname = \"admin\"\npath_beg = \"/admin\"\n";

TEST(AclActions, FirstMatchingUseBackendWins) {
  AclHarness h;
  ASSERT_TRUE(h.load("[[module.config.acl]]\nname = \"api\"\npath_beg = \"/api/\"\n"
                     "[[module.config.acl]]\nname = \"v2\"\npath_beg = \"/api/v2/\"\n"
                     "[[module.config.rule]]\nuse_backend = \"api\"\nif = \"api\"\n"
                     "[[module.config.rule]]\nuse_backend = \"v2\"\nif = \"v2\"\n"))
      << h.error();
  EXPECT_EQ(h.route("/api/v2/x"), "api");
}

TEST(AclActions, NoMatchNoDefaultContinuesWithoutBackend) {
  AclHarness h;
  ASSERT_TRUE(h.load(std::string(kAdminAcl) +
                     "[[module.config.rule]]\nuse_backend = \"adm\"\nif = \"admin\"\n"))
      << h.error();
  FakeRequest r("/public");
  EXPECT_EQ(h.run(&r), GANTRY_CONTINUE);
  EXPECT_EQ(r.backend, "");
  EXPECT_EQ(r.status, 0);
}

TEST(AclActions, DefaultBackendWhenNoRuleMatches) {
  AclHarness h;
  ASSERT_TRUE(h.load("default_backend = \"web\"\n" + std::string(kAdminAcl) +
                     "[[module.config.rule]]\nuse_backend = \"adm\"\nif = \"admin\"\n"))
      << h.error();
  EXPECT_EQ(h.route("/admin/x"), "adm");
  EXPECT_EQ(h.route("/public"), "web");
}

TEST(AclActions, DenyDefaultsTo403) {
  AclHarness h;
  ASSERT_TRUE(h.load("default_backend = \"web\"\n" + std::string(kAdminAcl) +
                     "[[module.config.rule]]\ndeny = true\nif = \"admin\"\n"))
      << h.error();
  FakeRequest r("/admin");
  EXPECT_EQ(h.run(&r), GANTRY_DONE);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.backend, "");
  EXPECT_EQ(h.route("/x"), "web");
}

TEST(AclActions, DenyWithStatusAndTable) {
  AclHarness h;
  ASSERT_TRUE(h.load(std::string(kAdminAcl) +
                     "[[module.config.acl]]\nname = \"old\"\npath_beg = \"/old\"\n"
                     "[[module.config.rule]]\ndeny = 451\nif = \"admin\"\n"
                     "[[module.config.rule]]\nif = \"old\"\n"
                     "deny = { status = 410, body = \"gone\", headers = { X-Why = \"old\" } }\n"))
      << h.error();
  EXPECT_EQ(h.route("/admin"), "status:451");
  FakeRequest r("/old");
  h.run(&r);
  EXPECT_EQ(r.status, 410);
  EXPECT_EQ(r.body, "gone");
  EXPECT_EQ(r.resp_header("X-Why"), "old");
}

// All [[acl]] tables are read before any rule, wherever they appear.
TEST(AclActions, AclsMayFollowRules) {
  AclHarness h;
  ASSERT_TRUE(h.load("[[module.config.rule]]\nunless = \"tls\"\n"
                     "redirect = { scheme = \"https\", code = 301 }\n"
                     "[[module.config.acl]]\nname = \"tls\"\nssl_fc = true\n"))
      << h.error();
  EXPECT_EQ(h.route("/", {{"Host", "h"}}), "status:301");
}

TEST(AclActions, RedirectSchemeKeepsHostAndTarget) {
  AclHarness h;
  ASSERT_TRUE(h.load("[[module.config.acl]]\nname = \"tls\"\nssl_fc = true\n"
                     "[[module.config.rule]]\nunless = \"tls\"\n"
                     "redirect = { scheme = \"https\", code = 301 }\n"))
      << h.error();
  FakeRequest r("/a/b?x=1", {{"Host", "example.com:8080"}});
  EXPECT_EQ(h.run(&r), GANTRY_DONE);
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.resp_header("Location"), "https://example.com:8080/a/b?x=1");
  FakeRequest t("/a");
  t.tls = true;
  EXPECT_EQ(h.run(&t), GANTRY_CONTINUE);
  EXPECT_EQ(t.status, 0);
  FakeRequest nohost("/a");
  h.run(&nohost);
  EXPECT_EQ(nohost.status, 400);
}

TEST(AclActions, RedirectPrefixAndLocation) {
  AclHarness h;
  ASSERT_TRUE(h.load("[[module.config.acl]]\nname = \"old\"\npath_beg = \"/old/\"\n"
                     "[[module.config.acl]]\nname = \"moved\"\npath = \"/moved\"\n"
                     "[[module.config.rule]]\nif = \"old\"\n"
                     "redirect = { prefix = \"https://new.example/\", drop_query = true }\n"
                     "[[module.config.rule]]\nif = \"moved\"\n"
                     "redirect = { location = \"/here\", code = 308 }\n"))
      << h.error();
  FakeRequest r("/old/x?q=1");
  h.run(&r);
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.resp_header("Location"), "https://new.example/old/x");
  FakeRequest m("/moved?q=1");
  h.run(&m);
  EXPECT_EQ(m.status, 308);
  EXPECT_EQ(m.resp_header("Location"), "/here");
}

TEST(AclActions, RespondWithHeadersAndBody) {
  AclHarness h;
  ASSERT_TRUE(h.load("[[module.config.acl]]\nname = \"health\"\npath = \"/healthz\"\n"
                     "[[module.config.rule]]\nif = \"health\"\n"
                     "respond = { status = 200, body = \"ok\\n\", "
                     "headers = { Content-Type = \"text/plain\" } }\n"))
      << h.error();
  FakeRequest r("/healthz");
  EXPECT_EQ(h.run(&r), GANTRY_DONE);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  EXPECT_EQ(r.resp_header("content-type"), "text/plain");
}

TEST(AclActions, HeaderActionsApplyAndContinue) {
  AclHarness h;
  ASSERT_TRUE(h.load("default_backend = \"web\"\n"
                     "[[module.config.rule]]\n"
                     "del_header = [\"X-Internal\"]\n"
                     "set_header = { X-Env = \"prod\" }\n"
                     "add_header = { X-Tag = [\"a\", \"b\"] }\n"))
      << h.error();
  FakeRequest r("/", {{"X-Internal", "1"}, {"x-internal", "2"}, {"X-Env", "dev"}, {"X-Tag", "z"}});
  EXPECT_EQ(h.run(&r), GANTRY_CONTINUE);
  EXPECT_EQ(r.backend, "web");
  EXPECT_EQ(r.req_header_count("X-Internal"), 0u);
  EXPECT_EQ(r.req_header_count("X-Env"), 1u);
  EXPECT_EQ(r.req_header("X-Env"), "prod");
  EXPECT_EQ(r.req_header_count("X-Tag"), 3u);
}

TEST(AclActions, HeaderActionsOnlyWhenConditionHolds) {
  AclHarness h;
  ASSERT_TRUE(h.load(std::string(kAdminAcl) +
                     "[[module.config.rule]]\nif = \"admin\"\nset_header = { X-Admin = \"1\" }\n"
                     "use_backend = \"adm\"\n"))
      << h.error();
  FakeRequest a("/admin");
  h.run(&a);
  EXPECT_EQ(a.req_header("X-Admin"), "1");
  EXPECT_EQ(a.backend, "adm");
  FakeRequest b("/x");
  h.run(&b);
  EXPECT_EQ(b.req_header_count("X-Admin"), 0u);
}

TEST(AclActions, PathRewritesKeepQuery) {
  AclHarness h;
  ASSERT_TRUE(h.load("[[module.config.acl]]\nname = \"api\"\npath_beg = \"/api/\"\n"
                     "[[module.config.acl]]\nname = \"legacy\"\npath_beg = \"/legacy\"\n"
                     "[[module.config.acl]]\nname = \"root\"\npath = \"/\"\n"
                     "[[module.config.rule]]\nif = \"api\"\nstrip_prefix = \"/api\"\n"
                     "add_prefix = \"/v2/\"\nuse_backend = \"api\"\n"
                     "[[module.config.rule]]\nif = \"legacy\"\nstrip_prefix = \"/legacy\"\n"
                     "[[module.config.rule]]\nif = \"root\"\nset_path = \"/index.html\"\n"))
      << h.error();
  FakeRequest a("/api/users?id=1");
  h.run(&a);
  EXPECT_EQ(a.target, "/v2/users?id=1");
  EXPECT_EQ(a.backend, "api");
  FakeRequest l("/legacy");
  h.run(&l);
  EXPECT_EQ(l.target, "/");
  FakeRequest r("/?x=1");
  h.run(&r);
  EXPECT_EQ(r.target, "/index.html?x=1");
}

// ACLs are evaluated on the request as received: a rewrite by an earlier
// rule does not change what later conditions see.
TEST(AclActions, ConditionsSeeTheOriginalRequest) {
  AclHarness h;
  ASSERT_TRUE(h.load("[[module.config.acl]]\nname = \"old\"\npath_beg = \"/old/\"\n"
                     "[[module.config.rule]]\nif = \"old\"\nset_path = \"/new/\"\n"
                     "[[module.config.rule]]\nif = \"old\"\nuse_backend = \"legacy\"\n"))
      << h.error();
  FakeRequest r("/old/x");
  h.run(&r);
  EXPECT_EQ(r.target, "/new/");
  EXPECT_EQ(r.backend, "legacy");
}

TEST(AclActions, RuleNameGoesToTheAccessLog) {
  AclHarness h;
  ASSERT_TRUE(h.load("[[module.config.rule]]\nname = \"catch-all\"\nuse_backend = \"web\"\n"))
      << h.error();
  FakeRequest r("/");
  h.run(&r);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0].first, "acl_rule");
  EXPECT_EQ(r.notes[0].second, "catch-all");
}

TEST(AclActions, UnknownBackendAnswers503) {
  AclHarness h;
  ASSERT_TRUE(h.load("[[module.config.rule]]\nuse_backend = \"missing_backend\"\n")) << h.error();
  FakeRequest r("/");
  EXPECT_EQ(h.run(&r), GANTRY_DONE);
  EXPECT_EQ(r.status, 503);
  EXPECT_TRUE(h.logged("missing_backend"));
}

// Each worker scans with its own scratch; a call off the workers still works.
TEST(AclActions, EveryWorkerAndOffLoop) {
  AclHarness h;
  ASSERT_TRUE(h.load(std::string(kAdminAcl) +
                     "[[module.config.rule]]\nuse_backend = \"adm\"\nif = \"admin\"\n"))
      << h.error();
  for (int32_t w : {0, 1, -1, 7}) {
    FakeRequest r("/admin");
    h.run(&r, w);
    EXPECT_EQ(r.backend, "adm") << "worker " << w;
  }
}

}  // namespace
}  // namespace gantry::acl_test
