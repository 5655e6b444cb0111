// Every predicate against a table of requests: one ACL "x", routed to "yes"
// when true and to the default "no" otherwise.
#include <gtest/gtest.h>

#include "acl_harness.h"

namespace gantry::acl_test {
namespace {

struct Probe {
  MockStream req;
  bool expect;
};

MockStream get(const std::string& target, Headers h = {}) { return request(target, std::move(h)); }
MockStream from(const std::string& peer) {
  MockStream r = request("/");
  r.own_conn.set_peer(peer, 40000);
  return r;
}
MockStream tls(const std::string& sni) {
  MockStream r = request("/");
  use_tls(&r, sni);
  return r;
}
MockStream method(const std::string& m) {
  MockStream r = request("/");
  r.method = m;
  return r;
}

struct PredicateCase {
  const char* name;
  std::string acl;  // the body of [[module.config.acl]] after name = "x"
  std::vector<Probe> probes;
};

void PrintTo(const PredicateCase& c, std::ostream* os) { *os << c.name; }

class AclPredicateTest : public ::testing::TestWithParam<PredicateCase> {};

TEST_P(AclPredicateTest, MatchesTable) {
  const PredicateCase& c = GetParam();
  AclHarness h;
  ASSERT_TRUE(h.load("default_backend = \"no\"\n[[module.config.acl]]\nname = \"x\"\n" + c.acl +
                     "\n[[module.config.rule]]\nuse_backend = \"yes\"\nif = \"x\"\n"))
      << h.error();
  for (size_t i = 0; i < c.probes.size(); ++i) {
    MockStream r = c.probes[i].req;
    EXPECT_EQ(h.run(&r), GANTRY_CONTINUE);
    EXPECT_EQ(r.backend, c.probes[i].expect ? "yes" : "no")
        << c.name << " probe " << i << ": " << r.method << " " << r.target << " peer "
        << peer_of(r) << " sni " << (r.own_conn.tls ? r.own_conn.tls->sni : "");
  }
}

const PredicateCase kCases[] = {
    {"path_exact", "path = \"/a\"",
     {{get("/a"), true}, {get("/a/"), false}, {get("/ab"), false}, {get("/A"), false},
      {get("/a?q=1"), true}, {get("/x/a"), false}}},
    {"path_exact_list", "path = [\"/a\", \"/b\"]",
     {{get("/a"), true}, {get("/b"), true}, {get("/c"), false}}},
    {"path_exact_ignore_case", "path = \"/Admin\"\nignore_case = true",
     {{get("/admin"), true}, {get("/ADMIN"), true}, {get("/admin2"), false}}},
    {"path_beg", "path_beg = \"/api/\"",
     {{get("/api/"), true}, {get("/api/v1"), true}, {get("/api"), false}, {get("/x/api/"), false},
      {get("/API/"), false}}},
    {"path_end", "path_end = \".jpg\"",
     {{get("/a.jpg"), true}, {get("/a.jpg?x=.png"), true}, {get("/a.jpgx"), false},
      {get("/a.JPG"), false}, {get("/a.png?x=.jpg"), false}}},
    {"path_end_ignore_case", "path_end = \".jpg\"\nignore_case = true",
     {{get("/a.JPG"), true}, {get("/a.Jpg"), true}, {get("/a.png"), false}}},
    {"path_sub", "path_sub = \"admin\"",
     {{get("/x/admin/y"), true}, {get("/administrator"), true}, {get("/adm"), false},
      {get("/?admin"), false}}},
    {"path_reg_seed", "path_reg = \"^/socket.io/.*$\"",
     {{get("/socket.io/"), true}, {get("/socket.io/?EIO=4&transport=websocket"), true},
      {get("/socket.io"), false}, {get("/x/socket.io/"), false}, {get("/"), false}}},
    {"path_reg_unanchored", "path_reg = \"img[0-9]+\"",
     {{get("/a/img12/b"), true}, {get("/img"), false}, {get("/IMG12"), false}}},
    {"path_reg_ignore_case", "path_reg = \"^/img[0-9]+$\"\nignore_case = true",
     {{get("/IMG12"), true}, {get("/img12/x"), false}}},
    {"path_reg_dot_is_regex", "path_reg = \"^/a.c$\"",
     {{get("/abc"), true}, {get("/a.c"), true}, {get("/ac"), false}}},
    {"path_literal_dot_is_literal", "path = \"/a.c\"", {{get("/a.c"), true}, {get("/abc"), false}}},
    {"path_literal_metachars", "path_beg = \"/a+(b)*[c]\"",
     {{get("/a+(b)*[c]/x"), true}, {get("/aab"), false}}},
    {"path_dir", "path_dir = \"img\"",
     {{get("/img"), true}, {get("/img/"), true}, {get("/a/img/b"), true}, {get("/a/img"), true},
      {get("/images/x"), false}, {get("/aimg/x"), false}}},
    {"path_dom_is_delimited", "path_dom = \"example.com\"",
     {{get("example.com"), true}, {get("a.example.com"), true}, {get("aexample.com"), false}}},
    {"url", "url = \"/a?x=1\"", {{get("/a?x=1"), true}, {get("/a"), false}, {get("/a?x=12"), false}}},
    {"url_beg", "url_beg = \"/a?x\"", {{get("/a?x=1"), true}, {get("/a"), false}}},
    {"url_reg", "url_reg = \"[?&]debug=1(&|$)\"",
     {{get("/p?debug=1"), true}, {get("/p?a=2&debug=1&b"), true}, {get("/p?debug=10"), false}}},
    {"query", "query = \"x=1&y=2\"",
     {{get("/p?x=1&y=2"), true}, {get("/p?x=1"), false}, {get("/x=1&y=2"), false}}},
    {"query_sub", "query_sub = \"y=2\"", {{get("/p?x=1&y=2"), true}, {get("/y=2"), false}}},
    {"query_empty", "query = \"\"", {{get("/p"), true}, {get("/p?x"), false}}},
    {"urlp", "urlp = \"42\"\nparam = \"id\"",
     {{get("/?id=42"), true}, {get("/?a=1&id=42"), true}, {get("/?id=1&id=42"), true},
      {get("/?id=420"), false}, {get("/?xid=42"), false}, {get("/id=42"), false},
      {get("/?id"), false}}},
    {"urlp_reg", "urlp_reg = \"^[0-9]+$\"\nparam = \"page\"",
     {{get("/?page=7"), true}, {get("/?page=7a"), false}, {get("/?page="), false}}},
    {"host", "host = \"example.com\"",
     {{get("/", {{"Host", "example.com"}}), true}, {get("/", {{"host", "EXAMPLE.com"}}), true},
      {get("/", {{"Host", "example.com:8080"}}), true},
      {get("/", {{"Host", "www.example.com"}}), false}, {get("/"), false}}},
    {"host_end", "host_end = \".example.com\"",
     {{get("/", {{"Host", "www.example.com"}}), true}, {get("/", {{"Host", "example.com"}}), false},
      {get("/", {{"Host", "a.example.com:443"}}), true}}},
    {"host_dom", "host_dom = \"example.com\"",
     {{get("/", {{"Host", "example.com"}}), true}, {get("/", {{"Host", "a.b.Example.com"}}), true},
      {get("/", {{"Host", "badexample.com"}}), false},
      {get("/", {{"Host", "example.com.evil.org"}}), false}}},
    {"host_reg", "host_reg = \"^www[0-9]+\\\\.\"",
     {{get("/", {{"Host", "www12.example.com"}}), true}, {get("/", {{"Host", "www.x"}}), false}}},
    {"host_ipv6_literal", "host = \"[::1]\"",
     {{get("/", {{"Host", "[::1]:8080"}}), true}, {get("/", {{"Host", "[::2]"}}), false}}},
    {"hdr", "hdr = \"yes\"\nheader = \"X-Flag\"",
     {{get("/", {{"x-flag", "yes"}}), true}, {get("/", {{"X-Flag", "yes!"}}), false},
      {get("/", {{"X-Flag", "YES"}}), false}, {get("/"), false}}},
    {"hdr_every_occurrence", "hdr = \"b\"\nheader = \"X-Tag\"",
     {{get("/", {{"X-Tag", "a"}, {"X-Tag", "b"}}), true}, {get("/", {{"X-Tag", "a, b"}}), false}}},
    {"hdr_sub_case", "hdr_sub = \"curl\"\nheader = \"User-Agent\"",
     {{get("/", {{"User-Agent", "curl/8.0"}}), true}, {get("/", {{"User-Agent", "Curl/8"}}), false}}},
    {"hdr_sub_ignore_case", "hdr_sub = \"curl\"\nheader = \"User-Agent\"\nignore_case = true",
     {{get("/", {{"User-Agent", "Curl/8"}}), true}, {get("/", {{"User-Agent", "wget"}}), false}}},
    {"hdr_beg", "hdr_beg = \"Bearer \"\nheader = \"Authorization\"",
     {{get("/", {{"Authorization", "Bearer abc"}}), true},
      {get("/", {{"Authorization", "Basic abc"}}), false}}},
    {"hdr_end", "hdr_end = \"websocket\"\nheader = \"Upgrade\"\nignore_case = true",
     {{get("/", {{"Upgrade", "WebSocket"}}), true}, {get("/", {{"Upgrade", "h2c"}}), false}}},
    {"hdr_reg", "hdr_reg = \"^text/(html|plain)\"\nheader = \"Accept\"",
     {{get("/", {{"Accept", "text/html,*/*"}}), true}, {get("/", {{"Accept", "image/png"}}), false}}},
    {"hdr_exists", "hdr_exists = \"Authorization\"",
     {{get("/", {{"authorization", ""}}), true}, {get("/", {{"X-Auth", "1"}}), false}}},
    {"method", "method = [\"GET\", \"HEAD\"]",
     {{method("GET"), true}, {method("HEAD"), true}, {method("POST"), false}, {method("get"), false},
      {method("GETX"), false}}},
    {"src_v4_v6", "src = [\"10.0.0.0/8\", \"192.0.2.7\", \"2001:db8::/32\"]",
     {{from("10.1.2.3"), true}, {from("11.0.0.1"), false}, {from("192.0.2.7"), true},
      {from("192.0.2.8"), false}, {from("2001:db8::1"), true}, {from("2001:db9::1"), false},
      {from("::ffff:10.0.0.1"), true}, {from("::1"), false}}},
    {"src_host_bits", "src = [\"10.1.2.3/8\", \"fe80::1/10\"]",
     {{from("10.200.0.1"), true}, {from("febf::1"), true}, {from("fec0::1"), false}}},
    {"src_zero", "src = [\"0.0.0.0/0\"]", {{from("203.0.113.5"), true}, {from("::1"), false}}},
    {"ssl_fc_true", "ssl_fc = true", {{tls(""), true}, {get("/"), false}}},
    {"ssl_fc_false", "ssl_fc = false", {{tls("a"), false}, {get("/"), true}}},
    {"sni", "sni = \"api.example.com\"",
     {{tls("api.example.com"), true}, {tls("API.example.com"), true}, {tls("www.example.com"), false},
      {tls(""), false}, {get("/"), false}}},
    {"sni_end", "sni_end = \".example.com\"", {{tls("a.example.com"), true}, {tls("example.org"), false}}},
    {"empty_list_never_true", "path_reg = []", {{get("/"), false}, {get("/x"), false}}},
};

INSTANTIATE_TEST_SUITE_P(Predicates, AclPredicateTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<PredicateCase>& i) {
                           return std::string(i.param.name);
                         });

}  // namespace
}  // namespace gantry::acl_test
