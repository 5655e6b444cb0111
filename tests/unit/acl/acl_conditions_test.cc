// and / or / not / unless: each condition is checked against all eight truth
// assignments of three ACLs a, b, c (true when the path contains A, B, C).
#include <gtest/gtest.h>

#include <functional>

#include "acl_harness.h"

namespace gantry::acl_test {
namespace {

const char* kAcls =
    "default_backend = \"no\"\n"
    "[[module.config.acl]]\nname = \"a\"\npath_sub = \"A\"\n"
    "[[module.config.acl]]\nname = \"b\"\npath_sub = \"B\"\n"
    "[[module.config.acl]]\nname = \"c\"\npath_sub = \"C\"\n";

struct CondCase {
  const char* name;
  const char* keyword;  // "if" or "unless"
  const char* cond;
  std::function<bool(bool, bool, bool)> expect;
};

void PrintTo(const CondCase& c, std::ostream* os) { *os << c.keyword << " " << c.cond; }

class AclConditionTest : public ::testing::TestWithParam<CondCase> {};

TEST_P(AclConditionTest, TruthTable) {
  const CondCase& c = GetParam();
  AclHarness h;
  ASSERT_TRUE(h.load(std::string(kAcls) + "[[module.config.rule]]\nuse_backend = \"yes\"\n" +
                     c.keyword + " = \"" + c.cond + "\"\n"))
      << h.error();
  for (int bits = 0; bits < 8; ++bits) {
    bool a = bits & 1, b = bits & 2, cc = bits & 4;
    std::string path = std::string("/") + (a ? "A" : "") + (b ? "B" : "") + (cc ? "C" : "");
    EXPECT_EQ(h.route(path), c.expect(a, b, cc) ? "yes" : "no")
        << c.keyword << " " << c.cond << " with a=" << a << " b=" << b << " c=" << cc;
  }
}

const CondCase kConds[] = {
    {"single", "if", "a", [](bool a, bool, bool) { return a; }},
    {"bang", "if", "!a", [](bool a, bool, bool) { return !a; }},
    {"not_word", "if", "not a", [](bool a, bool, bool) { return !a; }},
    {"double_not", "if", "! !a", [](bool a, bool, bool) { return a; }},
    {"and_word", "if", "a and b", [](bool a, bool b, bool) { return a && b; }},
    {"and_juxtaposed", "if", "a b", [](bool a, bool b, bool) { return a && b; }},
    {"and_amp", "if", "a && b", [](bool a, bool b, bool) { return a && b; }},
    {"or_word", "if", "a or b", [](bool a, bool b, bool) { return a || b; }},
    {"or_pipes", "if", "a || b", [](bool a, bool b, bool) { return a || b; }},
    {"and_binds_tighter_right", "if", "a or b and c",
     [](bool a, bool b, bool c) { return a || (b && c); }},
    {"and_binds_tighter_left", "if", "a and b or c",
     [](bool a, bool b, bool c) { return (a && b) || c; }},
    {"haproxy_style", "if", "a b || !c", [](bool a, bool b, bool c) { return (a && b) || !c; }},
    {"not_binds_tightest", "if", "!a and b", [](bool a, bool b, bool) { return !a && b; }},
    {"parentheses", "if", "(a or b) and c", [](bool a, bool b, bool c) { return (a || b) && c; }},
    {"not_parentheses", "if", "!(a or b)", [](bool a, bool b, bool) { return !(a || b); }},
    {"unless_single", "unless", "a", [](bool a, bool, bool) { return !a; }},
    {"unless_or", "unless", "a or b", [](bool a, bool b, bool) { return !(a || b); }},
    {"unless_and", "unless", "a b", [](bool a, bool b, bool) { return !(a && b); }},
    {"builtin_true", "if", "TRUE", [](bool, bool, bool) { return true; }},
    {"builtin_false", "if", "FALSE or c", [](bool, bool, bool c) { return c; }},
};

INSTANTIATE_TEST_SUITE_P(Conditions, AclConditionTest, ::testing::ValuesIn(kConds),
                         [](const ::testing::TestParamInfo<CondCase>& i) {
                           return std::string(i.param.name);
                         });

// Repeating an ACL name ORs its tables, as repeated `acl` lines do in HAProxy.
TEST(AclConditions, RepeatedNameIsOr) {
  AclHarness h;
  ASSERT_TRUE(h.load("default_backend = \"no\"\n"
                     "[[module.config.acl]]\nname = \"static\"\npath_beg = \"/static/\"\n"
                     "[[module.config.acl]]\nname = \"static\"\npath_end = [\".css\", \".js\"]\n"
                     "[[module.config.rule]]\nuse_backend = \"yes\"\nif = \"static\"\n"))
      << h.error();
  EXPECT_EQ(h.route("/static/x"), "yes");
  EXPECT_EQ(h.route("/app/site.css"), "yes");
  EXPECT_EQ(h.route("/app/site.html"), "no");
}

// The seed rule set from HAProxy, translated.
TEST(AclConditions, SeedRuleSet) {
  AclHarness h;
  ASSERT_TRUE(h.load("[[module.config.acl]]\nname = \"is_websocket\"\n"
                     "path_reg = \"^/socket.io/.*$\"\n"
                     "[[module.config.rule]]\nuse_backend = \"socket_io\"\nif = \"is_websocket\"\n"
                     "[[module.config.rule]]\nuse_backend = \"nginx\"\nif = \"!is_websocket\"\n"))
      << h.error();
  EXPECT_EQ(h.route("/socket.io/?EIO=4&transport=websocket"), "socket_io");
  EXPECT_EQ(h.route("/socket.io/x"), "socket_io");
  EXPECT_EQ(h.route("/"), "nginx");
  EXPECT_EQ(h.route("/index.html"), "nginx");
  EXPECT_EQ(h.route("/socket.io"), "nginx");
}

}  // namespace
}  // namespace gantry::acl_test
