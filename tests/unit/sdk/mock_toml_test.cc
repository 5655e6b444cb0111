// Mock-host configs from TOML (gantry/mock_toml.hpp): values, positions and
// the order in which gantry hands table entries to a module.
#include <gantry/mock_host.hpp>
#include <gantry/mock_toml.hpp>
#include <gantry/module.hpp>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "temp_dir.h"

namespace {

using gantry::testing::MockCfg;
using gantry::testing::MockHost;

const char* kDoc =
    "top = 1\n"
    "[[module]]\n"
    "name = \"m\"\n"
    "[module.config]\n"
    "wait = \"30s\"\n"
    "ratio = 0.5\n"
    "on = true\n"
    "list = [\"a\", \"b\"]\n"
    "when = 2024-01-02\n"
    "[module.config.sub]\n"
    "z = 1\n"
    "a = 2\n";

TEST(MockToml, ValuesAndPositions) {
  MockCfg root = gantry::testing::parse_toml(kDoc, "/etc/g/gantry.toml");
  ASSERT_NE(root.find("module"), nullptr);
  const MockCfg& config = *root.find("module")->at(0).find("config");
  MockHost host;
  gantry::Config c(host.api(), config.raw());
  EXPECT_EQ(c["wait"].as_duration_ms(), 30000);
  EXPECT_DOUBLE_EQ(c["ratio"].as_float(), 0.5);
  EXPECT_TRUE(c["on"].as_bool());
  EXPECT_EQ(c["list"].size(), 2u);
  EXPECT_EQ(c["list"].at(1).as_string(), "b");
  EXPECT_EQ(c["when"].type(), GANTRY_CFG_ANY);
  EXPECT_EQ(c["wait"].where(), "/etc/g/gantry.toml:5:8");
  EXPECT_EQ(c["list"].at(1).where(), "/etc/g/gantry.toml:8:14");
  EXPECT_EQ(c["sub"].where(), "/etc/g/gantry.toml:10:1") << "a table is where its header is";
  // Entries come sorted by key, as gantry's loader hands them out.
  EXPECT_EQ(c["sub"].entry(0).first, "a");
  EXPECT_EQ(c["sub"].entry(1).first, "z");
}

TEST(MockToml, SyntaxErrorsNameTheirPlace) {
  try {
    gantry::testing::parse_toml("a = 1\nb = \n", "bad.toml");
    FAIL() << "parsed";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("bad.toml:2:", 0), 0u) << e.what();
  }
}

TEST(MockToml, FilesReportTheirPath) {
  gantry::test::TempDir dir("mock-toml");
  std::string path = dir.write("g.toml", "x = \"1k\"\n");
  MockCfg root = gantry::testing::load_toml(path);
  MockHost host;
  gantry::Config c(host.api(), root.raw());
  EXPECT_EQ(c["x"].as_size_bytes(), 1024);
  EXPECT_EQ(c["x"].where(), path + ":1:5");
  EXPECT_THROW(gantry::testing::load_toml(dir.path() + "/none.toml"), std::runtime_error);
}

}  // namespace
