// Old module, new host: a module built against the frozen 1.0 header loads in
// the current core through the real loader (config file -> load_config ->
// build_generation). New module, old host: a module that requires a newer
// host minor is refused with a message naming both versions.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "config/loader.h"
#include "module_loader/generation.h"

namespace {

const std::string kFixtures = ABI_FIXTURE_DIR;

class AbiCompatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gantry-abi-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  gantry::Result<std::shared_ptr<gantry::modules::Generation>> build(const std::string& modules) {
    std::string file = dir_ + "/gantry.toml";
    std::ofstream(file) << "modules_dir = \"" << kFixtures << "\"\n"
                        << modules
                        << "\n[[listener]]\nname = \"l\"\nbind = \"127.0.0.1:0\"\n"
                        << "[[backend]]\nname = \"b\"\nservers = [\"127.0.0.1:9\"]\n";
    auto cfg = gantry::config::load_config(file);
    if (!cfg) return gantry::Failure{"config: " + cfg.error()};
    return gantry::modules::build_generation(*cfg);
  }

  std::string dir_;
};

TEST_F(AbiCompatTest, ModuleBuiltAgainstFrozen10HeaderLoadsInCurrentCore) {
  auto g = build("[[module]]\nname = \"old\"\npath = \"old_module_1_0\"\n"
                 "[module.config]\ngreeting = \"hello\"\n");
  ASSERT_TRUE(g) << g.error();
  const gantry::modules::Generation& gen = **g;
  ASSERT_EQ(gen.instances.size(), 1u);
  const gantry::modules::Instance& inst = gen.instances[0];
  ASSERT_NE(inst.inst, nullptr);  // instance_new ran with the config table
  EXPECT_STREQ(static_cast<const char*>(inst.inst), "hello");
  // Its hooks were copied into the host's layout; what 1.0 did not have
  // (or the module did not set) reads as NULL.
  EXPECT_EQ(inst.hooks.struct_size >= 128u, true);
  EXPECT_NE(inst.hooks.on_request_headers, nullptr);
  EXPECT_NE(inst.hooks.on_response_headers, nullptr);
  EXPECT_EQ(inst.hooks.on_tunnel_data, nullptr);
  EXPECT_EQ(inst.hooks.on_log, nullptr);
  ASSERT_EQ(gen.with_request_headers.size(), 1u);
  EXPECT_EQ(gen.with_response_headers.size(), 1u);
  EXPECT_TRUE(gen.with_log.empty());
}

TEST_F(AbiCompatTest, ModuleBuiltAgainstFrozen10HeaderHasItsKeysValidated) {
  auto g = build("[[module]]\nname = \"old\"\npath = \"old_module_1_0\"\n"
                 "[module.config]\ngreeting = \"hello\"\nunknown = 1\n");
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().find("unknown"), std::string::npos) << g.error();
  auto missing = build("[[module]]\nname = \"old\"\npath = \"old_module_1_0\"\n");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("greeting"), std::string::npos) << missing.error();
}

TEST_F(AbiCompatTest, ModuleNeedingNewerHostMinorIsRefusedNamingBothVersions) {
  auto g = build("[[module]]\nname = \"newer\"\npath = \"needs_newer_host\"\n");
  ASSERT_FALSE(g);
  const std::string host = std::to_string(GANTRY_ABI_MAJOR) + "." + std::to_string(GANTRY_ABI_MINOR);
  const std::string needed =
      std::to_string(GANTRY_ABI_MAJOR) + "." + std::to_string(GANTRY_ABI_MINOR + 1);
  EXPECT_NE(g.error().find(needed), std::string::npos) << g.error();
  EXPECT_NE(g.error().find(host), std::string::npos) << g.error();
  EXPECT_NE(g.error().find("newer"), std::string::npos) << g.error();  // the module's config name
}

}  // namespace
