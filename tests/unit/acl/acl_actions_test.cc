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
  MockStream r = request("/public");
  EXPECT_EQ(h.run(&r), GANTRY_CONTINUE);
  EXPECT_EQ(r.backend, "");
  EXPECT_EQ(r.responded_status, 0);
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
  MockStream r = request("/admin");
  EXPECT_EQ(h.run(&r), GANTRY_DONE);
  EXPECT_EQ(r.responded_status, 403);
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
  MockStream r = request("/old");
  h.run(&r);
  EXPECT_EQ(r.responded_status, 410);
  EXPECT_EQ(r.responded_body, "gone");
  EXPECT_EQ(responded(r, "X-Why"), "old");
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
  MockStream r = request("/a/b?x=1", {{"Host", "example.com:8080"}});
  EXPECT_EQ(h.run(&r), GANTRY_DONE);
  EXPECT_EQ(r.responded_status, 301);
  EXPECT_EQ(responded(r, "Location"), "https://example.com:8080/a/b?x=1");
  MockStream t = request("/a");
  use_tls(&t, "");
  EXPECT_EQ(h.run(&t), GANTRY_CONTINUE);
  EXPECT_EQ(t.responded_status, 0);
  MockStream nohost = request("/a");
  h.run(&nohost);
  EXPECT_EQ(nohost.responded_status, 400);
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
  MockStream r = request("/old/x?q=1");
  h.run(&r);
  EXPECT_EQ(r.responded_status, 302);
  EXPECT_EQ(responded(r, "Location"), "https://new.example/old/x");
  MockStream m = request("/moved?q=1");
  h.run(&m);
  EXPECT_EQ(m.responded_status, 308);
  EXPECT_EQ(responded(m, "Location"), "/here");
}

TEST(AclActions, RespondWithHeadersAndBody) {
  AclHarness h;
  ASSERT_TRUE(h.load("[[module.config.acl]]\nname = \"health\"\npath = \"/healthz\"\n"
                     "[[module.config.rule]]\nif = \"health\"\n"
                     "respond = { status = 200, body = \"ok\\n\", "
                     "headers = { Content-Type = \"text/plain\" } }\n"))
      << h.error();
  MockStream r = request("/healthz");
  EXPECT_EQ(h.run(&r), GANTRY_DONE);
  EXPECT_EQ(r.responded_status, 200);
  EXPECT_EQ(r.responded_body, "ok\n");
  EXPECT_EQ(responded(r, "content-type"), "text/plain");
}

TEST(AclActions, HeaderActionsApplyAndContinue) {
  AclHarness h;
  ASSERT_TRUE(h.load("default_backend = \"web\"\n"
                     "[[module.config.rule]]\n"
                     "del_header = [\"X-Internal\"]\n"
                     "set_header = { X-Env = \"prod\" }\n"
                     "add_header = { X-Tag = [\"a\", \"b\"] }\n"))
      << h.error();
  MockStream r = request("/", {{"X-Internal", "1"}, {"x-internal", "2"}, {"X-Env", "dev"}, {"X-Tag", "z"}});
  EXPECT_EQ(h.run(&r), GANTRY_CONTINUE);
  EXPECT_EQ(r.backend, "web");
  EXPECT_EQ(r.header_count("X-Internal"), 0u);
  EXPECT_EQ(r.header_count("X-Env"), 1u);
  EXPECT_EQ(header(r, "X-Env"), "prod");
  EXPECT_EQ(r.header_count("X-Tag"), 3u);
}

TEST(AclActions, HeaderActionsOnlyWhenConditionHolds) {
  AclHarness h;
  ASSERT_TRUE(h.load(std::string(kAdminAcl) +
                     "[[module.config.rule]]\nif = \"admin\"\nset_header = { X-Admin = \"1\" }\n"
                     "use_backend = \"adm\"\n"))
      << h.error();
  MockStream a = request("/admin");
  h.run(&a);
  EXPECT_EQ(header(a, "X-Admin"), "1");
  EXPECT_EQ(a.backend, "adm");
  MockStream b = request("/x");
  h.run(&b);
  EXPECT_EQ(b.header_count("X-Admin"), 0u);
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
  MockStream a = request("/api/users?id=1");
  h.run(&a);
  EXPECT_EQ(a.target, "/v2/users?id=1");
  EXPECT_EQ(a.backend, "api");
  MockStream l = request("/legacy");
  h.run(&l);
  EXPECT_EQ(l.target, "/");
  MockStream r = request("/?x=1");
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
  MockStream r = request("/old/x");
  h.run(&r);
  EXPECT_EQ(r.target, "/new/");
  EXPECT_EQ(r.backend, "legacy");
}

TEST(AclActions, RuleNameGoesToTheAccessLog) {
  AclHarness h;
  ASSERT_TRUE(h.load("[[module.config.rule]]\nname = \"catch-all\"\nuse_backend = \"web\"\n"))
      << h.error();
  MockStream r = request("/");
  h.run(&r);
  ASSERT_EQ(r.log_notes.size(), 1u);
  EXPECT_EQ(r.log_notes[0].first, "acl_rule");
  EXPECT_EQ(r.log_notes[0].second, "catch-all");
}

TEST(AclActions, UnknownBackendAnswers503) {
  AclHarness h;
  ASSERT_TRUE(h.load("[[module.config.rule]]\nuse_backend = \"missing_backend\"\n")) << h.error();
  MockStream r = request("/");
  EXPECT_EQ(h.run(&r), GANTRY_DONE);
  EXPECT_EQ(r.responded_status, 503);
  EXPECT_TRUE(h.logged("missing_backend"));
}

// Each worker scans with its own scratch; a call off the workers still works.
TEST(AclActions, EveryWorkerAndOffLoop) {
  AclHarness h;
  ASSERT_TRUE(h.load(std::string(kAdminAcl) +
                     "[[module.config.rule]]\nuse_backend = \"adm\"\nif = \"admin\"\n"))
      << h.error();
  for (int32_t w : {0, 1, -1, 7}) {
    MockStream r = request("/admin");
    h.run(&r, w);
    EXPECT_EQ(r.backend, "adm") << "worker " << w;
  }
}

}  // namespace
}  // namespace gantry::acl_test
