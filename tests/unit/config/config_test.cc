// Config validation: each bad config yields one exact "file:line:col: key:
// what" message; a good config yields the values and defaults it implies.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "config/loader.h"
#include "test_support.h"

namespace gantry::config {
namespace {

using gantry::testing::TempDir;

struct BadCase {
  const char* name;
  std::string toml;
  std::string message;  // after "<file>:"
};

const std::string kListener = "[[listener]]\nbind = \"127.0.0.1:0\"\n";
const std::string kBackend = "[[backend]]\nname = \"web\"\nservers = [\"127.0.0.1:9001\"]\n";
const std::string kModule = "[[module]]\nname = \"m\"\npath = \"./m.so\"\n";

std::vector<BadCase> bad_cases() {
  return {
      {"unknown top-level key", "bogus = 1\n" + kListener, "1:1: unknown key 'bogus'"},
      {"unknown listener key", "\n\n[[listener]]\nbnd = \"127.0.0.1:1\"\n",
       "4:1: listener[0]: unknown key 'bnd'"},
      {"listener needs bind", "[[listener]]\nname = \"pub\"\n",
       "1:1: listener[pub]: missing required key 'bind'"},
      {"bad server address",
       kListener + "[[backend]]\nname = \"web\"\nservers = [\"127.0.0.1:1\",\n  \"foo:bar\"]\n",
       "6:3: backend[web].servers[1]: cannot parse address \"foo:bar\""},
      // A host name is resolved at run time (docs/discovery.md), but its
      // port is checked while loading, and so is anything that is no name.
      {"host name with a bad port", kListener + "[[backend]]\nname = \"web\"\n"
       "servers = [\"example.com:0\"]\n",
       "5:12: backend[web].servers[0]: port 0 of \"example.com:0\" is out of range 1..65535"},
      {"neither address nor host name", kListener + "[[backend]]\nname = \"web\"\n"
       "servers = [\"exa mple:80\"]\n",
       "5:12: backend[web].servers[0]: cannot parse address \"exa mple:80\" (use an IPv4 "
       "address, [IPv6] or localhost; names are not resolved)"},
      {"bad ipv6", "[[listener]]\nbind = \"[::1:80\"\n",
       "2:8: listener[0].bind: cannot parse address \"[::1:80\" (IPv6 form is \"[::1]:port\")"},
      {"listener port too high", "[[listener]]\nbind = \"127.0.0.1:70000\"\n",
       "2:8: listener[0].bind: port 70000 of \"127.0.0.1:70000\" is out of range 0..65535"},
      {"server port zero", kListener + "[[backend]]\nname = \"web\"\nservers = [\"127.0.0.1:0\"]\n",
       "5:12: backend[web].servers[0]: port 0 of \"127.0.0.1:0\" is out of range 1..65535"},
      {"server weight", kListener + "[[backend]]\nname = \"web\"\n"
       "servers = [{ address = \"127.0.0.1:1\", weight = 0 }]\n",
       "5:48: backend[web].servers[0].weight: must be between 1 and 256, got 0"},
      {"server table unknown key", kListener + "[[backend]]\nname = \"web\"\n"
       "servers = [{ addr = \"127.0.0.1:1\" }]\n",
       "5:14: backend[web].servers[0]: unknown key 'addr'"},
      {"backend without servers", kListener + "[[backend]]\nname = \"web\"\nservers = []\n",
       "5:11: backend[web].servers: a backend needs at least one server"},
      {"backend missing servers", kListener + "[[backend]]\nname = \"web\"\n",
       "3:1: backend[web]: missing required key 'servers'"},
      {"backend needs a name", kListener + "[[backend]]\nservers = [\"127.0.0.1:1\"]\n",
       "3:1: backend[0]: missing required key 'name'"},
      {"duplicate backend", kListener + kBackend + kBackend,
       "7:8: backend[web].name: duplicate backend name \"web\" (first at FILE:3:1)"},
      {"duplicate listener", kListener + kListener,
       "4:8: listener[1].bind: duplicate listener name \"127.0.0.1:0\" (first at "
       "FILE:1:1)"},
      {"duplicate module", kListener + kModule + kModule,
       "7:8: module[1].name: duplicate module name \"m\" (first at FILE:3:1)"},
      {"unknown balance", kListener + "[[backend]]\nname = \"web\"\nbalance = \"fastest\"\n"
       "servers = [\"127.0.0.1:1\"]\n",
       "5:11: backend[web].balance: unknown balance \"fastest\" (roundrobin, source, cookie, "
       "leastconn, random, hash)"},
      {"route unknown backend", kListener + kBackend + "[[route]]\nbackend = \"api\"\n",
       "7:11: route[0].backend: unknown backend \"api\""},
      {"route without action", kListener + kBackend + "[[route]]\npath_prefix = \"/x\"\n",
       "6:1: route[0]: needs a 'backend' or a [route.respond] table"},
      {"route with both", kListener + kBackend +
       "[[route]]\nbackend = \"web\"\n[route.respond]\nstatus = 204\n",
       "6:1: route[0]: set either 'backend' or a [route.respond] table, not both"},
      {"respond status", kListener + "[[route]]\n[route.respond]\nstatus = 99\n",
       "5:10: route[0].respond.status: must be between 100 and 599, got 99"},
      {"respond header type", kListener + "[[route]]\n[route.respond]\nheaders = { a = 1 }\n",
       "5:17: route[0].respond.headers.a: expected a string, got integer"},
      {"path prefix", kListener + kBackend + "[[route]]\nbackend = \"web\"\npath_prefix = \"x\"\n",
       "8:15: route[0].path_prefix: must start with '/'"},
      {"workers too many", "workers = 257\n" + kListener,
       "1:11: workers: must be between 1 and 256, got 257"},
      {"workers type", "workers = \"2\"\n" + kListener,
       "1:11: workers: expected an integer, got string"},
      {"bad duration", "shutdown_timeout = \"5x\"\n" + kListener,
       "1:20: shutdown_timeout: expected a duration (\"250ms\", \"30s\", \"5m\", \"1h\" or integer "
       "ms), got \"5x\""},
      {"negative duration", "[timeouts]\nserver = -5\n" + kListener,
       "2:10: timeouts.server: expected a duration (\"250ms\", \"30s\", \"5m\", \"1h\" or integer "
       "ms), got -5"},
      {"unknown timeout", "[timeouts]\nserevr = \"1s\"\n" + kListener,
       "2:1: timeouts: unknown key 'serevr'"},
      {"bad size", "[limits]\nmax_head_size = \"16q\"\n" + kListener,
       "2:17: limits.max_head_size: expected a size (\"16k\", \"1m\" or integer bytes), got "
       "\"16q\""},
      {"line longer than head", "[limits]\nmax_line_size = \"32k\"\n" + kListener,
       "2:17: limits.max_line_size: must be between 256 and max_head_size (16384)"},
      {"response head too small", "[limits]\nmax_response_head_size = 512\n" + kListener,
       "2:26: limits.max_response_head_size: must be between 1k and 64m, got 512"},
      {"response head too large", "[limits]\nmax_response_head_size = \"65m\"\n" + kListener,
       "2:26: limits.max_response_head_size: must be between 1k and 64m, got 65m"},
      {"response headers zero", "[limits]\nmax_response_headers = 0\n" + kListener,
       "2:24: limits.max_response_headers: must be between 1 and 10000, got 0"},
      {"log level", "[log]\nlevel = \"loud\"\n" + kListener,
       "2:9: log.level: unknown level \"loud\" (debug, info, warn, error)"},
      {"no listener", "workers = 1\n", "1:1: listener: at least one [[listener]] is required"},
      {"listener not an array", "[listener]\nbind = \"127.0.0.1:0\"\n",
       "1:1: listener: expected an array of tables ([[listener]]), got table"},
      {"unknown listener sub-table", kListener + "[listener.socket_tuning]\nx = 1\n",
       "3:1: listener[0]: unknown key 'socket_tuning'"},
      {"tls without provider", kListener + "[listener.tls]\ncert = \"x\"\n",
       "3:1: listener[0].tls: missing required key 'provider'"},
      {"module file missing", kListener + "[[module]]\nname = \"m\"\npath = \"nope/x.so\"\n",
       "5:8: module[m].path: module file DIR/nope/x.so does not exist"},
      {"module name clashes", kListener + "[[module]]\nname = \"tls\"\npath = \"./m.so\"\n",
       "4:8: module[0].name: \"tls\" is a listener/backend key and cannot name a module"},
      {"module name charset", kListener + "[[module]]\nname = \"a b\"\npath = \"./m.so\"\n",
       "4:8: module[0].name: \"a b\" is not a valid module name (letters, digits, '_', '-')"},
      {"module config not a table", kListener + kModule + "config = 3\n",
       "6:10: module[m].config: expected a table, got integer"},
      {"syntax error", "workers = \n",
       "1:11: syntax: Error while parsing key-value pair"},
  };
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

TEST(ConfigLoaderTest, BadConfigsNameFileLineAndKey) {
  TempDir dir;
  dir.write("m.so", "");
  for (const BadCase& c : bad_cases()) {
    std::string file = dir.write("x.toml", c.toml);
    auto cfg = load_config(file);
    ASSERT_FALSE(cfg) << c.name;
    std::string want = replace_all(replace_all(c.message, "FILE", file), "DIR", dir.path());
    if (std::string(c.name) == "syntax error") {
      EXPECT_EQ(cfg.error().rfind(file + ":" + want, 0), 0u) << c.name << "\n" << cfg.error();
    } else {
      EXPECT_EQ(cfg.error(), file + ":" + want) << c.name;
    }
  }
}

TEST(ConfigLoaderTest, MissingFile) {
  auto cfg = load_config("/nonexistent/gantry.toml");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error(), "/nonexistent/gantry.toml:1:1: cannot read config file");
}

TEST(ConfigLoaderTest, GoodConfigValuesAndDefaults) {
  TempDir dir;
  dir.write("m.so", "");
  std::string file = dir.write("gantry.toml", R"(
workers = 3
shutdown_timeout = "1m"
modules_dir = "mods"
[log]
access = "logs/access.log"
level = "debug"
[timeouts]
server = "90s"
tunnel = 3600000
[limits]
max_head_size = "32k"
max_line_size = "4k"
max_headers = 50
[proxy]
via = true
x_forwarded_for = false

[[module]]
name = "m"
path = "./m.so"

[[listener]]
name = "public"
bind = "[::1]:8443"
backlog = 128
[listener.tls]
provider = "tls-x"
cert = "c.pem"
[listener.m]
opt = 1

[[listener]]
bind = "localhost:0"

[[backend]]
name = "web"
balance = "cookie"
cookie_name = "SRV"
servers = [ "127.0.0.1:9001", { address = "127.0.0.1:9002", weight = 2, name = "b" } ]
connect_timeout = "2s"
[backend.health]
path = "/health"
interval = "5s"
rise = 3
[backend.tls]
provider = "tls-x"
server_name = "internal.example"

[[backend]]
name = "api"
servers = [ "10.0.0.1:80" ]

[[route]]
path_prefix = "/api/"
host = "example.com"
backend = "api"

[[route]]
path_prefix = "/teapot"
[route.respond]
status = 418
headers = { "Content-Type" = "text/plain" }
body = "short and stout"
)");
  auto r = load_config(file);
  ASSERT_TRUE(r) << r.error();
  const Config& c = **r;
  EXPECT_EQ(c.file, file);
  EXPECT_EQ(c.dir, dir.path());
  EXPECT_EQ(c.workers, 3u);
  EXPECT_EQ(c.shutdown_timeout, 60000u);
  EXPECT_EQ(c.modules_dir, dir.path() + "/mods");
  EXPECT_EQ(c.access_log, dir.path() + "/logs/access.log");
  EXPECT_EQ(c.error_log_level, "debug");
  EXPECT_EQ(c.timeouts.server, 90000u);
  EXPECT_EQ(c.timeouts.tunnel, 3600000u);
  EXPECT_EQ(c.timeouts.client_head, 10000u);  // default
  EXPECT_EQ(c.limits.max_head_bytes, 32768u);
  EXPECT_EQ(c.limits.max_line_bytes, 4096u);
  EXPECT_EQ(c.limits.max_headers, 50u);
  EXPECT_EQ(c.limits.max_connections, 10000u);  // default
  EXPECT_TRUE(c.proxy.via);
  EXPECT_FALSE(c.proxy.x_forwarded_for);
  EXPECT_TRUE(c.proxy.x_forwarded_proto);

  ASSERT_EQ(c.modules.size(), 1u);
  EXPECT_EQ(c.modules[0].path, dir.path() + "/./m.so");
  ASSERT_NE(c.modules[0].config, nullptr);  // an empty table was supplied
  EXPECT_EQ(c.modules[0].pos.line, 19u);

  ASSERT_EQ(c.listeners.size(), 2u);
  const Listener& pub = c.listeners[0];
  EXPECT_EQ(pub.name, "public");
  EXPECT_EQ(pub.bind.sa.ss_family, AF_INET6);
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in6&>(pub.bind.sa).sin6_port), 8443);
  EXPECT_EQ(pub.backlog, 128);
  EXPECT_EQ(pub.tls.provider, "tls-x");
  EXPECT_NE(pub.tls.table, nullptr);
  EXPECT_EQ(pub.tls.pos.line, 27u);
  ASSERT_EQ(pub.module_scopes.size(), 1u);
  EXPECT_EQ(pub.module_scopes[0].module, "m");
  EXPECT_EQ(pub.module_scopes[0].pos.str(), file + ":30:1");
  const Listener& second = c.listeners[1];
  EXPECT_EQ(second.name, "localhost:0");
  EXPECT_EQ(second.backlog, 511);
  EXPECT_TRUE(second.tls.provider.empty());
  const auto& sin = reinterpret_cast<const sockaddr_in&>(second.bind.sa);
  EXPECT_EQ(sin.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  EXPECT_EQ(second.bind.len, sizeof(sockaddr_in));

  ASSERT_EQ(c.backends.size(), 2u);
  const Backend& web = c.backends[0];
  EXPECT_EQ(web.balance, Balance::kCookie);
  EXPECT_EQ(web.cookie_name, "SRV");
  ASSERT_EQ(web.servers.size(), 2u);
  EXPECT_EQ(web.servers[0].name, "127.0.0.1:9001");
  EXPECT_EQ(web.servers[0].weight, 1u);
  EXPECT_EQ(web.servers[1].name, "b");
  EXPECT_EQ(web.servers[1].weight, 2u);
  EXPECT_EQ(web.connect_timeout, 2000u);
  EXPECT_EQ(web.server_timeout, 0u);
  EXPECT_TRUE(web.health.enabled);
  EXPECT_EQ(web.health.path, "/health");
  EXPECT_EQ(web.health.interval, 5000u);
  EXPECT_EQ(web.health.rise, 3u);
  EXPECT_EQ(web.health.fall, 3u);
  EXPECT_EQ(web.tls.provider, "tls-x");
  EXPECT_EQ(web.tls_server_name, "internal.example");
  const Backend& api = c.backends[1];
  EXPECT_EQ(api.balance, Balance::kRoundRobin);
  EXPECT_FALSE(api.health.enabled);
  EXPECT_EQ(api.keepalive, 32u);

  EXPECT_EQ(c.backend_index("api"), 1);
  EXPECT_EQ(c.backend_index("nope"), -1);
  ASSERT_EQ(c.routes.size(), 2u);
  EXPECT_EQ(c.routes[0].backend, 1);
  EXPECT_EQ(c.routes[0].path_prefix, "/api/");
  EXPECT_EQ(c.routes[0].host, "example.com");
  EXPECT_FALSE(c.routes[0].has_respond);
  EXPECT_TRUE(c.routes[1].has_respond);
  EXPECT_EQ(c.routes[1].backend, -1);
  EXPECT_EQ(c.routes[1].respond.status, 418);
  ASSERT_EQ(c.routes[1].respond.headers.size(), 1u);
  EXPECT_EQ(c.routes[1].respond.headers[0].first, "Content-Type");
  EXPECT_EQ(c.routes[1].respond.body, "short and stout");
}

TEST(ConfigLoaderTest, MinimalConfigDefaults) {
  auto r = load_config_text("[[listener]]\nbind = \"0.0.0.0:80\"\n", "/tmp/min.toml");
  ASSERT_TRUE(r) << r.error();
  const Config& c = **r;
  unsigned cpus = std::thread::hardware_concurrency();
  EXPECT_EQ(c.workers, cpus == 0 ? 1u : std::min(cpus, 256u));
  EXPECT_EQ(c.shutdown_timeout, 30000u);
  EXPECT_EQ(c.access_log, "stdout");
  EXPECT_EQ(c.error_log_level, "info");
  EXPECT_EQ(c.modules_dir, default_modules_dir());
  EXPECT_FALSE(c.modules_dir.empty());
  EXPECT_TRUE(c.modules.empty());
  EXPECT_TRUE(c.backends.empty());
  EXPECT_TRUE(c.routes.empty());
  EXPECT_NE(c.document, nullptr);
  // Response heads get limits like request heads.
  EXPECT_EQ(c.limits.max_response_head_bytes, 16384u);
  EXPECT_EQ(c.limits.max_response_headers, 100u);
}

TEST(ConfigLoaderTest, ResponseHeadLimits) {
  auto r = load_config_text(
      "[limits]\nmax_response_head_size = \"64k\"\nmax_response_headers = 500\n"
      "[[listener]]\nbind = \"0.0.0.0:80\"\n",
      "/tmp/limits.toml");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ((*r)->limits.max_response_head_bytes, 65536u);
  EXPECT_EQ((*r)->limits.max_response_headers, 500u);
  EXPECT_EQ((*r)->limits.max_head_bytes, 16384u) << "the request side keeps its own";
}

TEST(ConfigLoaderTest, AdminListenerIsOffByDefaultAndLoopbackOnly) {
  auto off = load_config_text(kListener, "/tmp/admin.toml");
  ASSERT_TRUE(off) << off.error();
  EXPECT_TRUE((*off)->admin.bind.empty());

  auto tcp = load_config_text(
      "[admin]\nbind = \"127.0.0.1:8404\"\ntoken_file = \"token\"\n" + kListener, "/etc/g/g.toml");
  ASSERT_TRUE(tcp) << tcp.error();
  EXPECT_FALSE((*tcp)->admin.unix_socket);
  EXPECT_EQ((*tcp)->admin.token_file, "/etc/g/token");

  auto unix_path = load_config_text("[admin]\nbind = \"/run/gantry.sock\"\n" + kListener,
                                    "/tmp/admin.toml");
  ASSERT_TRUE(unix_path) << unix_path.error();
  EXPECT_TRUE((*unix_path)->admin.unix_socket);

  auto pub = load_config_text("[admin]\nbind = \"0.0.0.0:8404\"\n" + kListener, "/tmp/admin.toml");
  ASSERT_FALSE(pub);
  EXPECT_NE(pub.error().find("admin.bind"), std::string::npos) << pub.error();
  EXPECT_NE(pub.error().find("allow_public"), std::string::npos) << pub.error();

  auto allowed = load_config_text(
      "[admin]\nbind = \"0.0.0.0:8404\"\nallow_public = true\n" + kListener, "/tmp/admin.toml");
  EXPECT_TRUE(allowed) << allowed.error();

  auto v6 = load_config_text("[admin]\nbind = \"[::1]:8404\"\n" + kListener, "/tmp/admin.toml");
  EXPECT_TRUE(v6) << v6.error();
}

TEST(ConfigLoaderTest, DurationAndSizeUnits) {
  struct {
    const char* text;
    uint64_t ms;
  } durations[] = {{"\"250ms\"", 250}, {"\"30s\"", 30000}, {"\"5m\"", 300000},
                   {"\"1h\"", 3600000}, {"42", 42}, {"\"0s\"", 0}};
  for (const auto& d : durations) {
    auto r = load_config_text(std::string("shutdown_timeout = ") + d.text +
                                  "\n[[listener]]\nbind = \"127.0.0.1:0\"\n",
                              "/tmp/d.toml");
    ASSERT_TRUE(r) << d.text << ": " << r.error();
    EXPECT_EQ((*r)->shutdown_timeout, d.ms) << d.text;
  }
  for (const char* bad : {"\"30\"", "\"1.5s\"", "\"s\"", "\"-1s\"", "1.5", "\"10 s\""}) {
    auto r = load_config_text(std::string("shutdown_timeout = ") + bad +
                                  "\n[[listener]]\nbind = \"127.0.0.1:0\"\n",
                              "/tmp/d.toml");
    EXPECT_FALSE(r) << bad;
  }
  struct {
    const char* text;
    uint32_t bytes;
  } sizes[] = {{"\"16k\"", 16384}, {"\"1m\"", 1 << 20}, {"\"2048\"", 2048}, {"4096", 4096},
               {"\"8KB\"", 8192}};
  for (const auto& s : sizes) {
    auto r = load_config_text(std::string("[limits]\nmax_head_size = ") + s.text +
                                  "\n[[listener]]\nbind = \"127.0.0.1:0\"\n",
                              "/tmp/s.toml");
    ASSERT_TRUE(r) << s.text << ": " << r.error();
    EXPECT_EQ((*r)->limits.max_head_bytes, s.bytes) << s.text;
  }
}

}  // namespace
}  // namespace gantry::config
