// `gantry -t -c FILE`: exit 0 for a good config, 1 with file:line for a bad one.
#include <gtest/gtest.h>

#include <dirent.h>

#include <fstream>
#include <sstream>

#include "harness/harness.h"

namespace gantry::itest {
namespace {

class ConfigCheckTest : public IntegrationTest {
 protected:
  // Writes `text` as `name`, runs -t, expects exit 1 and "name:line" in the output.
  void expect_rejected_at(const std::string& text, int line, const std::string& name = "bad.toml") {
    std::string path = tmp().write(name, text);
    RunResult r = check_config(path, tmp().path());
    std::string all = r.out + r.err;
    EXPECT_TRUE(r.status.exited && r.status.code == 1) << r.status.str() << "\n" << all;
    std::string where = name + ":" + std::to_string(line);
    EXPECT_NE(all.find(where), std::string::npos) << "expected " << where << " in:\n" << all;
  }
};

const char* kGood =
    "workers = 1\n"
    "[[listener]]\nbind = \"127.0.0.1:1\"\n"
    "[[backend]]\nname = \"web\"\nservers = [\"127.0.0.1:2\"]\n";

TEST_F(ConfigCheckTest, GoodConfigExitsZero) {
  std::string path = tmp().write("good.toml", kGood);
  RunResult r = check_config(path, tmp().path());
  EXPECT_TRUE(r.status.ok()) << r.status.str() << "\n" << r.out << r.err;
  EXPECT_FALSE(r.timed_out);
}

TEST_F(ConfigCheckTest, SyntaxErrorNamesFileAndLine) {
  expect_rejected_at(std::string(kGood) + "oops = \"unterminated\n", 7);
}

TEST_F(ConfigCheckTest, UnknownKeyNamesFileAndLine) {
  expect_rejected_at("workers = 1\n[[listener]]\nbind = \"127.0.0.1:1\"\nbogus_key = 3\n"
                     "[[backend]]\nname = \"web\"\nservers = [\"127.0.0.1:2\"]\n",
                     4);
}

TEST_F(ConfigCheckTest, UnknownBackendInRouteNamesFileAndLine) {
  expect_rejected_at(std::string(kGood) + "[[route]]\npath_prefix = \"/x/\"\nbackend = \"nope\"\n", 9);
}

// The exact message, column included, for a route naming no backend.
TEST_F(ConfigCheckTest, UnknownBackendInRouteIsRefusedAtItsValue) {
  std::string path = tmp().write(
      "route.toml", std::string(kGood) + "[[route]]\nbackend = \"Web\"\n");  // names are exact
  RunResult r = check_config(path, tmp().path());
  EXPECT_TRUE(r.status.exited && r.status.code == 1) << r.status.str();
  EXPECT_NE((r.out + r.err).find(path + ":8:11: route[0].backend: unknown backend \"Web\""),
            std::string::npos)
      << r.out << r.err;
}

// A module's backend reference (ABI 1.1 backend_index) is checked at load:
// the ACL module's use_backend names no backend here.
std::string acl_config(const std::string& cache_dir, const std::string& backend) {
  return "modules_dir = \"" + modules_dir() + "\"\n" + kGood +
         "[[module]]\nname = \"acl\"\npath = \"acl_hyperscan\"\n"
         "[module.config]\ncache_dir = \"" + cache_dir + "\"\n"
         "[[module.config.acl]]\nname = \"x\"\npath_beg = \"/x/\"\n"
         "[[module.config.rule]]\nif = \"x\"\nuse_backend = \"" + backend + "\"\n";
}

TEST_F(ConfigCheckTest, UnknownBackendInAclRuleNamesFileAndLine) {
  std::string path = tmp().write("acl.toml", acl_config(tmp().path() + "/cache", "wbe"));
  RunResult r = check_config(path, tmp().path());
  std::string all = r.out + r.err;
  EXPECT_TRUE(r.status.exited && r.status.code == 1) << r.status.str() << "\n" << all;
  EXPECT_NE(all.find(path + ":18:"), std::string::npos) << all;
  EXPECT_NE(all.find("no backend named \"wbe\""), std::string::npos) << all;
}

// `gantry -t` compiles the ACLs but leaves the disk as it was: no cache
// directory, no database file.
TEST_F(ConfigCheckTest, CheckWritesNoAclCache) {
  std::string cache = tmp().path() + "/cache";
  std::string path = tmp().write("acl.toml", acl_config(cache, "web"));
  RunResult r = check_config(path, tmp().path());
  EXPECT_TRUE(r.status.ok()) << r.status.str() << "\n" << r.out << r.err;
  EXPECT_EQ(opendir(cache.c_str()), nullptr) << cache << " was created by gantry -t";
}

// Absurd durations and sizes were accepted before every key had a range.
TEST_F(ConfigCheckTest, OutOfRangeValuesNameFileLineAndRange) {
  struct {
    std::string text;
    std::string message;
  } cases[] = {
      {std::string(kGood) + "[backend.health]\ninterval = 0x7fffffffffffffff\n",
       ":8:12: backend[web].health.interval: must be between 100ms and 1h, got "
       "9223372036854775807"},
      {std::string(kGood) + "[timeouts]\ntunnel = 9223372036854775807\n",
       ":8:10: timeouts.tunnel: must be between 0 and 24h, got 9223372036854775807"},
      {std::string(kGood) + "[timeouts]\nserver = \"99999999999h\"\n",
       ":8:10: timeouts.server: must be between 0 and 24h, got 99999999999h"},
      {"shutdown_timeout = \"25h\"\n" + std::string(kGood),
       ":1:20: shutdown_timeout: must be between 0 and 24h, got 25h"},
      {std::string(kGood) + "[limits]\nmax_head_size = \"1g\"\n",
       ":8:17: limits.max_head_size: must be between 1k and 64m, got 1g"},
      {std::string(kGood) + "[backend.health]\ntimeout = 0\n",
       ":8:11: backend[web].health.timeout: must be between 1ms and 1h, got 0"},
  };
  for (const auto& c : cases) {
    std::string path = tmp().write("range.toml", c.text);
    RunResult r = check_config(path, tmp().path());
    EXPECT_TRUE(r.status.exited && r.status.code == 1) << r.status.str() << "\n" << c.text;
    EXPECT_NE((r.out + r.err).find(path + c.message), std::string::npos)
        << "expected " << c.message << " in:\n" << r.out << r.err;
  }
}

TEST_F(ConfigCheckTest, RangeEdgesPass) {
  std::string path = tmp().write(
      "edges.toml", "shutdown_timeout = \"24h\"\n" + std::string(kGood) +
                        "connect_timeout = \"24h\"\n[backend.health]\ninterval = \"100ms\"\n"
                        "timeout = \"1h\"\n[timeouts]\ntunnel = \"24h\"\nclient_head = 0\n"
                        "[limits]\nmax_head_size = \"64m\"\nmax_line_size = \"64m\"\n");
  RunResult r = check_config(path, tmp().path());
  EXPECT_TRUE(r.status.ok()) << r.status.str() << "\n" << r.out << r.err;
}

// docs/config.md's key tables are what `gantry config-keys --markdown`
// makes of them, so the documented regeneration command leaves it unchanged.
TEST_F(ConfigCheckTest, ConfigKeysRegeneratesTheDocsUnchanged) {
  std::string doc_path = source_dir() + "/docs/config.md";
  std::ifstream in(doc_path);
  std::stringstream doc;
  doc << in.rdbuf();
  RunResult r = run_command({gantry_binary(), "config-keys", "--markdown", doc_path}, tmp().path());
  ASSERT_TRUE(r.status.ok()) << r.status.str() << "\n" << r.err;
  EXPECT_TRUE(r.out == doc.str()) << "docs/config.md differs from the schema; regenerate it";
  RunResult plain = run_command({gantry_binary(), "config-keys"}, tmp().path());
  ASSERT_TRUE(plain.status.ok()) << plain.status.str();
  EXPECT_NE(plain.out.find("timeouts.tunnel  duration, 0..24h, default 0\n"), std::string::npos)
      << plain.out;
}

TEST_F(ConfigCheckTest, BadDurationNamesFileAndLine) {
  expect_rejected_at(std::string(kGood) + "[timeouts]\nserver = \"soon\"\n", 8);
}

TEST_F(ConfigCheckTest, MissingFileFails) {
  RunResult r = check_config(tmp().file("does-not-exist.toml"), tmp().path());
  EXPECT_TRUE(r.status.exited && r.status.code == 1) << r.status.str();
  EXPECT_NE((r.out + r.err).find("does-not-exist.toml"), std::string::npos) << r.out << r.err;
}

// Every config shipped in conf/ must pass the check.
TEST_F(ConfigCheckTest, ShippedConfigsAreValid) {
  GANTRY_REQUIRE_TOOL("openssl", "openssl");  // conf/scenario/make_certs.sh
  std::vector<std::string> files;
  for (const std::string& dir : {source_dir() + "/conf", source_dir() + "/conf/examples"}) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) continue;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 5 && n.compare(n.size() - 5, 5, ".toml") == 0) files.push_back(dir + "/" + n);
    }
    ::closedir(d);
  }
  // Shipped configs name certificates that the demo scripts generate at run
  // time (conf/scenario/certs, not in the repository): check copies of the
  // configs next to freshly generated ones.
  RunResult certs = run_command(
      {"sh", source_dir() + "/conf/scenario/make_certs.sh", tmp().file("scenario/certs")},
      tmp().path());
  ASSERT_TRUE(certs.status.ok()) << certs.err;
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream text;
    text << in.rdbuf();
    std::string copy = tmp().write(f.substr(f.rfind('/') + 1), text.str());
    RunResult r = check_config(copy, tmp().path());
    EXPECT_TRUE(r.status.ok()) << f << ": " << r.status.str() << "\n" << r.out << r.err;
  }
}

}  // namespace
}  // namespace gantry::itest
