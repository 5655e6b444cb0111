// Load-time behaviour: errors carry the file:line of the value at fault,
// pattern files, and the on-disk database cache.
#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "acl_harness.h"

namespace gantry::acl_test {
namespace {

// "gantry.toml:N:" where N is the line of the config holding `needle`.
std::string where(const AclHarness& h, const std::string& needle) {
  std::ifstream in(h.config_path());
  std::string line;
  for (int n = 1; std::getline(in, line); ++n)
    if (line.find(needle) != std::string::npos) return h.config_path() + ":" + std::to_string(n) + ":";
  return "(not in config: " + needle + ")";
}

size_t count_files(const std::string& dir, const std::string& suffix) {
  size_t n = 0;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      n += name.size() > suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    }
    closedir(d);
  }
  return n;
}

TEST(AclLoad, BackReferenceRejectedWithItsLine) {
  AclHarness h;
  EXPECT_FALSE(h.load("[[module.config.acl]]\nname = \"ok\"\npath_beg = \"/a\"\n"
                      "[[module.config.acl]]\nname = \"bad\"\n"
                      "path_reg = [\"^/x$\",\n  \"^/(a)\\\\1$\"]\n"));
  EXPECT_NE(h.error().find(where(h, "\"^/(a)\\\\1$\"")), std::string::npos) << h.error();
  EXPECT_NE(h.error().find("acl \"bad\""), std::string::npos) << h.error();
  EXPECT_NE(h.error().find("^/(a)\\1$"), std::string::npos) << h.error();
  EXPECT_NE(h.error().find("Hyperscan"), std::string::npos) << h.error();
}

TEST(AclLoad, LookAroundRejected) {
  AclHarness h;
  EXPECT_FALSE(h.load("[[module.config.acl]]\nname = \"la\"\npath_reg = \"^/(?!admin)\"\n"));
  EXPECT_NE(h.error().find(where(h, "(?!admin)")), std::string::npos) << h.error();
  EXPECT_NE(h.error().find("acl \"la\""), std::string::npos) << h.error();
}

TEST(AclLoad, BadPatternInFileNamesFileLine) {
  AclHarness h;
  h.write_file("bad.lst", "# comment\n^/ok$\n^/(b)\\1$\n");
  EXPECT_FALSE(h.load("[[module.config.acl]]\nname = \"f\"\npath_reg = []\nfile = \"bad.lst\"\n"));
  EXPECT_NE(h.error().find("bad.lst:3"), std::string::npos) << h.error();
  EXPECT_NE(h.error().find(where(h, "file = \"bad.lst\"")), std::string::npos) << h.error();
}

TEST(AclLoad, PatternFilesWithCommentsAndBlanks) {
  AclHarness h;
  h.write_file("prefixes.lst", "# static things\n/static/\n\n   /assets/   \n  # indented comment\n");
  h.write_file("nets.lst", "# office\n10.0.0.0/8\n2001:db8::/48\n");
  ASSERT_TRUE(h.load("default_backend = \"no\"\n"
                     "[[module.config.acl]]\nname = \"st\"\npath_beg = \"/img/\"\n"
                     "file = \"prefixes.lst\"\n"
                     "[[module.config.acl]]\nname = \"office\"\nsrc = []\nfile = [\"nets.lst\"]\n"
                     "[[module.config.rule]]\nuse_backend = \"static\"\nif = \"st\"\n"
                     "[[module.config.rule]]\nuse_backend = \"office\"\nif = \"office\"\n"))
      << h.error();
  EXPECT_EQ(h.route("/static/a"), "static");
  EXPECT_EQ(h.route("/assets/a"), "static");
  EXPECT_EQ(h.route("/img/a"), "static");
  EXPECT_EQ(h.route("/#"), "no");
  MockStream r = request("/x");
  r.own_conn.set_peer("2001:db8:0:1::5", 40000);
  h.run(&r);
  EXPECT_EQ(r.backend, "office");
  MockStream o = request("/x");
  o.own_conn.set_peer("2001:db8:1::5", 40000);
  h.run(&o);
  EXPECT_EQ(o.backend, "no");
}

struct BadConfig {
  const char* name;
  const char* toml;
  const char* line_of;  // text on the line the error must point at
  const char* says;
};

void PrintTo(const BadConfig& c, std::ostream* os) { *os << c.name; }

class AclBadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(AclBadConfigTest, RefusedAtTheRightLine) {
  const BadConfig& c = GetParam();
  AclHarness h;
  ASSERT_FALSE(h.load(c.toml));
  EXPECT_NE(h.error().find(where(h, c.line_of)), std::string::npos) << h.error();
  EXPECT_NE(h.error().find(c.says), std::string::npos) << h.error();
}

const BadConfig kBad[] = {
    {"unknown_acl_key", "[[module.config.acl]]\nname = \"a\"\npath_begin = \"/x\"\n",
     "path_begin", "unknown key \"path_begin\""},
    {"two_predicates", "[[module.config.acl]]\nname = \"a\"\npath_beg = \"/x\"\nhost = \"h\"\n",
     "host = ", "one predicate per acl"},
    {"two_predicates_reported_at_the_second", "[[module.config.acl]]\nname = \"a\"\nsrc = \"::1\"\npath = \"/\"\n",
     "path = \"/\"", "one predicate per acl"},
    {"no_predicate", "[[module.config.acl]]\nname = \"a\"\nignore_case = true\n", "[[module.config.acl]]",
     "no predicate"},
    {"bad_name", "[[module.config.acl]]\nname = \"a b\"\npath = \"/\"\n", "name = \"a b\"",
     "acl name"},
    {"reserved_name", "[[module.config.acl]]\nname = \"or\"\npath = \"/\"\n", "name = \"or\"",
     "acl name"},
    {"hdr_without_header", "[[module.config.acl]]\nname = \"a\"\nhdr = \"x\"\n",
     "[[module.config.acl]]", "need \"header\""},
    {"header_on_path", "[[module.config.acl]]\nname = \"a\"\npath = \"/\"\nheader = \"X\"\n",
     "header = ", "does not apply"},
    {"bad_cidr", "[[module.config.acl]]\nname = \"a\"\nsrc = [\"10.0.0.0/8\", \"10.0.0.0/33\"]\n",
     "src = ", "prefix length"},
    {"bad_address", "[[module.config.acl]]\nname = \"a\"\nsrc = \"nope\"\n", "src = ",
     "not an IPv4 or IPv6"},
    {"missing_file", "[[module.config.acl]]\nname = \"a\"\npath = []\nfile = \"nope.lst\"\n",
     "file = ", "cannot open pattern file"},
    {"wrong_type", "[[module.config.acl]]\nname = \"a\"\npath = 3\n", "path = 3",
     "expected a string"},
    {"unknown_acl_in_condition",
     "[[module.config.rule]]\nuse_backend = \"x\"\nif = \"TRUE or nothere\"\n", "if = ",
     "unknown acl \"nothere\""},
    {"bad_condition", "[[module.config.rule]]\nuse_backend = \"x\"\nif = \"TRUE and\"\n", "if = ",
     "after \"and\""},
    {"unbalanced", "[[module.config.rule]]\nuse_backend = \"x\"\nif = \"(TRUE\"\n", "if = ",
     "missing \")\""},
    {"if_and_unless",
     "[[module.config.rule]]\nuse_backend = \"x\"\nif = \"TRUE\"\nunless = \"FALSE\"\n",
     "unless = ", "together"},
    {"two_finals", "[[module.config.rule]]\nuse_backend = \"x\"\ndeny = true\n",
     "[[module.config.rule]]", "at most one"},
    {"no_action", "[[module.config.rule]]\nif = \"TRUE\"\n", "[[module.config.rule]]",
     "no action"},
    {"unknown_rule_key", "[[module.config.rule]]\nuse_backend = \"x\"\nwhen = \"TRUE\"\n",
     "when = ", "unknown key \"when\""},
    {"bad_redirect_code", "[[module.config.rule]]\nredirect = { location = \"/\", code = 200 }\n",
     "redirect = ", "code"},
    {"set_path_relative", "[[module.config.rule]]\nset_path = \"x\"\n", "set_path = ",
     "must start with '/'"},
    {"bad_header_name", "[[module.config.rule]]\nset_header = { \"a b\" = \"x\" }\n",
     "set_header = ", "invalid header name"},
};

INSTANTIATE_TEST_SUITE_P(Errors, AclBadConfigTest, ::testing::ValuesIn(kBad),
                         [](const ::testing::TestParamInfo<BadConfig>& i) {
                           return std::string(i.param.name);
                         });

const char* kCachedConfig =
    "default_backend = \"no\"\n"
    "[[module.config.acl]]\nname = \"ws\"\npath_reg = \"^/socket.io/.*$\"\n"
    "[[module.config.acl]]\nname = \"h\"\nhost_end = \".example.com\"\n"
    "[[module.config.rule]]\nuse_backend = \"yes\"\nif = \"ws h\"\n";

TEST(AclLoad, CacheServesTheSecondLoad) {
  AclHarness h;
  std::string cache = h.dir() + "/cache/acl";
  ASSERT_TRUE(h.load(kCachedConfig, cache)) << h.error();
  EXPECT_TRUE(h.logged("(0 from cache)"));
  EXPECT_EQ(count_files(cache, ".hsdb"), 2u);  // path and host
  ASSERT_TRUE(h.load(kCachedConfig, cache)) << h.error();
  EXPECT_TRUE(h.logged("(2 from cache)"));
  EXPECT_EQ(h.route("/socket.io/x", {{"Host", "a.example.com"}}), "yes");
  EXPECT_EQ(h.route("/socket.io/x", {{"Host", "a.example.org"}}), "no");
  EXPECT_EQ(h.route("/x", {{"Host", "a.example.com"}}), "no");
}

TEST(AclLoad, ChangedPatternsAreNotServedFromCache) {
  AclHarness h;
  std::string cache = h.dir() + "/cache";
  ASSERT_TRUE(h.load("[[module.config.acl]]\nname = \"a\"\npath = \"/one\"\n"
                     "[[module.config.rule]]\nuse_backend = \"yes\"\nif = \"a\"\n",
                     cache))
      << h.error();
  ASSERT_TRUE(h.load("[[module.config.acl]]\nname = \"a\"\npath = \"/two\"\n"
                     "[[module.config.rule]]\nuse_backend = \"yes\"\nif = \"a\"\n",
                     cache))
      << h.error();
  EXPECT_TRUE(h.logged("(0 from cache)"));
  EXPECT_EQ(h.route("/two"), "yes");
  EXPECT_EQ(h.route("/one"), "");
}

TEST(AclLoad, CorruptCacheIsAWarningNotAnError) {
  AclHarness h;
  std::string cache = h.dir() + "/cache";
  ASSERT_TRUE(h.load(kCachedConfig, cache)) << h.error();
  // Truncate every cached database.
  if (DIR* d = opendir(cache.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.find(".hsdb") != std::string::npos)
        std::ofstream(cache + "/" + name, std::ios::binary | std::ios::trunc) << "GACLDB1\nxx";
    }
    closedir(d);
  }
  ASSERT_TRUE(h.load(kCachedConfig, cache)) << h.error();
  EXPECT_TRUE(h.logged("acl cache:"));
  EXPECT_TRUE(h.logged("(0 from cache)"));
  EXPECT_EQ(h.route("/socket.io/x", {{"Host", "a.example.com"}}), "yes");
}

TEST(AclLoad, UnwritableCacheIsAWarningNotAnError) {
  AclHarness h;
  h.write_file("not-a-dir", "x");
  ASSERT_TRUE(h.load(kCachedConfig, h.dir() + "/not-a-dir/sub")) << h.error();
  EXPECT_TRUE(h.logged("acl cache:"));
  EXPECT_EQ(h.route("/socket.io/x", {{"Host", "a.example.com"}}), "yes");
}

// On a host of ABI 1.1 backend names become indices at load, so a typo is a
// config error at its line (and `gantry -t` refuses it), not a 503 later.
TEST(AclLoad, BackendNamesAreResolvedAtLoad) {
  AclHarness h;
  h.host().backends = {"a", "web", "ws"};
  ASSERT_TRUE(h.load("default_backend = \"web\"\n"
                     "[[module.config.acl]]\nname = \"w\"\npath_beg = \"/ws/\"\n"
                     "[[module.config.rule]]\nuse_backend = \"ws\"\nif = \"w\"\n"))
      << h.error();
  EXPECT_EQ(h.route("/ws/x"), "ws");
  EXPECT_EQ(h.route("/other"), "web");

  EXPECT_FALSE(h.load("[[module.config.acl]]\nname = \"w\"\npath_beg = \"/ws/\"\n"
                      "[[module.config.rule]]\nuse_backend = \"wss\"\nif = \"w\"\n"));
  EXPECT_NE(h.error().find("gantry.toml:15:"), std::string::npos) << h.error();
  EXPECT_NE(h.error().find("no backend named \"wss\""), std::string::npos) << h.error();
  EXPECT_FALSE(h.load("default_backend = \"nope\"\n"));
  EXPECT_NE(h.error().find("default_backend: no backend named \"nope\""), std::string::npos)
      << h.error();
}

TEST(AclLoad, CheckOnlyLeavesTheDiskAlone) {
  AclHarness h;
  h.host().check_only = true;
  std::string cache = h.dir() + "/cache/acl";
  ASSERT_TRUE(h.load(kCachedConfig, cache)) << h.error();
  EXPECT_TRUE(h.logged("(0 from cache)"));
  struct stat st {};
  EXPECT_NE(stat((h.dir() + "/cache").c_str(), &st), 0) << "gantry -t created the cache directory";
}

TEST(AclLoad, CompileTimeIsLogged) {
  AclHarness h;
  ASSERT_TRUE(h.load(kCachedConfig)) << h.error();
  EXPECT_TRUE(h.logged("patterns in 2 databases")) << (h.logs().empty() ? "" : h.logs()[0]);
  EXPECT_TRUE(h.logged(" ms"));
}

}  // namespace
}  // namespace gantry::acl_test
