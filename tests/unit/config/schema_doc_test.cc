// docs/config.md holds the key tables that `gantry config-keys --markdown`
// prints from the schema; this test fails whenever the two differ.
#include "config/schema_doc.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace gantry::config::schema {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The first line where a and b differ, for a message a person can act on.
std::string first_difference(const std::string& a, const std::string& b) {
  std::istringstream sa(a);
  std::istringstream sb(b);
  std::string la;
  std::string lb;
  for (int line = 1;; ++line) {
    bool more_a = static_cast<bool>(std::getline(sa, la));
    bool more_b = static_cast<bool>(std::getline(sb, lb));
    if (!more_a && !more_b) return "";
    if (la != lb || more_a != more_b) {
      return "line " + std::to_string(line) + ":\n  docs:   " + (more_a ? la : "(end)") +
             "\n  schema: " + (more_b ? lb : "(end)");
    }
  }
}

TEST(SchemaDocTest, ConfigMdMatchesTheSchema) {
  std::string path = std::string(GANTRY_SOURCE_DIR) + "/docs/config.md";
  std::string doc = read(path);
  ASSERT_FALSE(doc.empty()) << "cannot read " << path;
  std::string want;
  std::string why;
  ASSERT_TRUE(splice_markdown(doc, &want, &why)) << path << ": " << why;
  EXPECT_TRUE(doc == want) << "docs/config.md and the config schema differ at "
                           << first_difference(doc, want)
                           << "\nRegenerate the tables from the source tree with:\n  "
                           << kRegenerateDocs;
}

TEST(SchemaDocTest, SpliceReplacesOnlyBetweenMarkers) {
  std::string doc;
  for (const TableDoc& t : all_tables()) {
    doc += "## " + std::string(t.id) + "\nprose\n<!-- config-keys: " + std::string(t.id) +
           " -->\nstale\n<!-- /config-keys -->\nmore prose\n";
  }
  std::string out;
  std::string why;
  ASSERT_TRUE(splice_markdown(doc, &out, &why)) << why;
  EXPECT_EQ(out.find("stale"), std::string::npos);
  EXPECT_NE(out.find("## timeouts\nprose\n<!-- config-keys: timeouts -->\n| Key | Type |"),
            std::string::npos);
  EXPECT_NE(out.find("| `client_head` | duration | `\"10s\"` | 0..24h | "), std::string::npos);
  EXPECT_NE(out.find("<!-- /config-keys -->\nmore prose\n"), std::string::npos);
  std::string again;
  ASSERT_TRUE(splice_markdown(out, &again, &why)) << why;
  EXPECT_EQ(again, out);  // regenerating is a fixed point
}

TEST(SchemaDocTest, SpliceRefusesBrokenMarkers) {
  std::string out;
  std::string why;
  EXPECT_FALSE(
      splice_markdown("<!-- config-keys: nosuch -->\n<!-- /config-keys -->\n", &out, &why));
  EXPECT_EQ(why, "no schema table is named \"nosuch\"");
  EXPECT_FALSE(splice_markdown("<!-- config-keys: top -->\n", &out, &why));
  EXPECT_EQ(why, "a config-keys marker has no end marker");
  EXPECT_FALSE(splice_markdown("<!-- config-keys: top -->\n<!-- /config-keys -->\n", &out, &why));
  EXPECT_NE(why.find("no block for schema table \"log\""), std::string::npos) << why;
}

}  // namespace
}  // namespace gantry::config::schema
