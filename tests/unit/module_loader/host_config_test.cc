// The config half of the host table, used the way a module uses it.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "config/loader.h"
#include "module_loader/generation.h"
#include "test_support.h"

namespace gantry::modules {
namespace {

std::string str(gantry_str_t s) { return std::string(s.ptr, s.len); }

class HostConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = dir_.write("gantry.toml",
                       "[[listener]]\nbind = \"127.0.0.1:0\"\n"
                       "[[module]]\nname = \"m\"\npath = \"./m.so\"\n"
                       "[module.config]\n"
                       "s = \"text\"\ni = 42\nf = 1.5\nb = true\nd = \"5m\"\ndi = 250\n"
                       "z = \"16k\"\narr = [1, \"two\"]\ntab = { x = 1, y = 2 }\n");
    dir_.write("m.so", "");
    auto cfg = config::load_config(file_);
    ASSERT_TRUE(cfg) << cfg.error();
    cfg_ = *cfg;
    root_ = cfg_->modules.at(0).config;
  }
  const gantry_host_api_t* h_ = host_api();
  testing::TempDir dir_;
  std::string file_;
  std::shared_ptr<const config::Config> cfg_;
  const gantry_cfg_t* root_ = nullptr;
};

TEST_F(HostConfigTest, TableIdentity) {
  EXPECT_EQ(h_->struct_size, sizeof(gantry_host_api_t));
  EXPECT_EQ(h_->abi_major, 1u);
  EXPECT_EQ(h_->abi_minor, static_cast<uint32_t>(GANTRY_ABI_MINOR));
  EXPECT_EQ(std::string(h_->host_version).rfind("gantry ", 0), 0u);
  EXPECT_EQ(h_->cfg_type(root_), static_cast<uint32_t>(GANTRY_CFG_TABLE));
  EXPECT_EQ(h_->cfg_size(root_), 9u);
}

TEST_F(HostConfigTest, ScalarAccessors) {
  gantry_str_t s{};
  int64_t i = 0;
  double f = 0;
  int32_t b = 0;
  ASSERT_EQ(h_->cfg_string(h_->cfg_get(root_, "s"), &s), GANTRY_OK);
  EXPECT_EQ(str(s), "text");
  EXPECT_EQ(s.ptr[s.len], '\0');
  ASSERT_EQ(h_->cfg_int(h_->cfg_get(root_, "i"), &i), GANTRY_OK);
  EXPECT_EQ(i, 42);
  ASSERT_EQ(h_->cfg_float(h_->cfg_get(root_, "f"), &f), GANTRY_OK);
  EXPECT_EQ(f, 1.5);
  ASSERT_EQ(h_->cfg_float(h_->cfg_get(root_, "i"), &f), GANTRY_OK);  // integers widen
  EXPECT_EQ(f, 42.0);
  ASSERT_EQ(h_->cfg_bool(h_->cfg_get(root_, "b"), &b), GANTRY_OK);
  EXPECT_EQ(b, 1);
  ASSERT_EQ(h_->cfg_duration_ms(h_->cfg_get(root_, "d"), &i), GANTRY_OK);
  EXPECT_EQ(i, 300000);
  ASSERT_EQ(h_->cfg_duration_ms(h_->cfg_get(root_, "di"), &i), GANTRY_OK);
  EXPECT_EQ(i, 250);
  ASSERT_EQ(h_->cfg_size_bytes(h_->cfg_get(root_, "z"), &i), GANTRY_OK);
  EXPECT_EQ(i, 16384);
  // Wrong types are refused, never coerced.
  EXPECT_EQ(h_->cfg_int(h_->cfg_get(root_, "s"), &i), GANTRY_ERR_INVAL);
  EXPECT_EQ(h_->cfg_string(h_->cfg_get(root_, "i"), &s), GANTRY_ERR_INVAL);
  EXPECT_EQ(h_->cfg_duration_ms(h_->cfg_get(root_, "s"), &i), GANTRY_ERR_INVAL);
  EXPECT_EQ(h_->cfg_get(root_, "missing"), nullptr);
  EXPECT_EQ(h_->cfg_get(nullptr, "s"), nullptr);
  EXPECT_EQ(h_->cfg_int(nullptr, &i), GANTRY_ERR_INVAL);
}

TEST_F(HostConfigTest, ArraysTablesAndPositions) {
  const gantry_cfg_t* arr = h_->cfg_get(root_, "arr");
  ASSERT_EQ(h_->cfg_type(arr), static_cast<uint32_t>(GANTRY_CFG_ARRAY));
  ASSERT_EQ(h_->cfg_size(arr), 2u);
  gantry_str_t key{};
  gantry_str_t s{};
  EXPECT_EQ(h_->cfg_type(h_->cfg_at(arr, 0, &key)), static_cast<uint32_t>(GANTRY_CFG_INT));
  EXPECT_EQ(key.len, 0u);
  ASSERT_EQ(h_->cfg_string(h_->cfg_at(arr, 1, nullptr), &s), GANTRY_OK);
  EXPECT_EQ(str(s), "two");
  EXPECT_EQ(h_->cfg_at(arr, 2, nullptr), nullptr);

  const gantry_cfg_t* tab = h_->cfg_get(root_, "tab");
  ASSERT_EQ(h_->cfg_size(tab), 2u);
  const gantry_cfg_t* second = h_->cfg_at(tab, 1, &key);
  EXPECT_EQ(str(key), "y");
  int64_t i = 0;
  ASSERT_EQ(h_->cfg_int(second, &i), GANTRY_OK);
  EXPECT_EQ(i, 2);

  const char* file = nullptr;
  uint32_t line = 0, col = 0;
  h_->cfg_where(h_->cfg_get(root_, "i"), &file, &line, &col);
  EXPECT_EQ(std::string(file), file_);
  EXPECT_EQ(line, 8u);
  EXPECT_EQ(col, 5u);
}

TEST_F(HostConfigTest, DirAndErrorsDuringBuild) {
  // cfg_dir reports the directory of the config being built.
  auto g = build_generation(cfg_);
  ASSERT_FALSE(g);  // m.so is an empty file: the loader refuses it
  EXPECT_NE(g.error().find("module[m] (" + dir_.path()), std::string::npos) << g.error();
  EXPECT_NE(g.error().find("cannot load:"), std::string::npos) << g.error();
  EXPECT_EQ(cfg_->dir, dir_.path());
}

TEST_F(HostConfigTest, LogDoesNotCrashWithoutHandle) {
  h_->log(nullptr, GANTRY_LOG_DEBUG, "debug line");
  h_->log(nullptr, 99, nullptr);
  void* p = h_->alloc(16);
  ASSERT_NE(p, nullptr);
  h_->free(p);
}

}  // namespace
}  // namespace gantry::modules
