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
