// Module loading: every refusal names the module, its file and the config
// line; accepted modules get instances, scopes, transports and teardown.
#include <gtest/gtest.h>

#include <cstdio>

#include "config/loader.h"
#include "module_loader/generation.h"
#include "module_loader/list_modules.h"
#include "module_loader/check_config.h"
#include "module_loader/loaded_module.h"
#include "test_support.h"

namespace gantry::modules {
namespace {

using testing::TempDir;

const std::string kFixtures = FIXTURE_DIR;

class ModuleLoaderTest : public ::testing::Test {
 protected:
  // Writes `body` after a modules_dir line and a listener, so line numbers in
  // expectations are those of `body` plus kHeaderLines.
  std::string write_config(const std::string& body) {
    file_ = dir_.write("gantry.toml", "modules_dir = \"" + kFixtures + "\"\n" + body +
                                          "\n[[listener]]\nname = \"l\"\nbind = \"127.0.0.1:0\"\n");
    return file_;
  }
  Result<std::shared_ptr<Generation>> build(const std::string& body) {
    auto cfg = config::load_config(write_config(body));
    if (!cfg) return Failure{"config: " + cfg.error()};
    return build_generation(*cfg);
  }
  // "<file>:<line>:<col>: " with line counted in `body` (1-based).
  std::string at(int body_line, int col) {
    return file_ + ":" + std::to_string(body_line + 1) + ":" + std::to_string(col) + ": ";
  }
  std::string fixture(const std::string& name) { return kFixtures + "/" + name + ".so"; }

  TempDir dir_;
  std::string file_;
};

TEST_F(ModuleLoaderTest, RefusesFileWithoutEntrySymbol) {
  auto g = build("[[module]]\nname = \"m\"\npath = \"fx_no_entry\"\n");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error(), at(1, 1) + "module[m] (" + fixture("fx_no_entry") +
                           "): not a gantry module (no gantry_module_v1 symbol)");
}

TEST_F(ModuleLoaderTest, RefusesModuleOfAnotherAbiMajor) {
  auto g = build("[[module]]\nname = \"m\"\npath = \"fx_abi_v2\"\n");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error(), at(1, 1) + "module[m] (" + fixture("fx_abi_v2") +
                           "): built for gantry ABI 2 (exports gantry_module_v2); this host "
                           "speaks ABI 1");
}

TEST_F(ModuleLoaderTest, RefusesDescriptorClaimingAnotherMajor) {
  auto g = build("[[module]]\nname = \"m\"\npath = \"fx_desc_major2\"\n");
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().find("module[m] (" + fixture("fx_desc_major2") +
                           "): built for gantry ABI 2 (descriptor abi_major)"),
            std::string::npos)
      << g.error();
}

TEST_F(ModuleLoaderTest, RefusesModuleNeedingNewerHostMinor) {
  auto g = build("\n[[module]]\nname = \"m\"\npath = \"fx_min_host\"\n");
  ASSERT_FALSE(g);
  const std::string v = "1." + std::to_string(GANTRY_ABI_MINOR);
  EXPECT_EQ(g.error(), at(2, 1) + "module[m] (" + fixture("fx_min_host") +
                           "): needs host ABI >= 1.3 (built for " + v + "); this host is " + v);
}

TEST_F(ModuleLoaderTest, RefusesTooShortDescriptor) {
  auto g = build("[[module]]\nname = \"m\"\npath = \"fx_short_desc\"\n");
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().find("): descriptor struct_size 16 is smaller than ABI 1.0's "),
            std::string::npos)
      << g.error();
}

TEST_F(ModuleLoaderTest, OldHookTableLoadsWithMissingHooksNull) {
  auto g = build("[[module]]\nname = \"m\"\npath = \"fx_old_hooks\"\n");
  ASSERT_TRUE(g) << g.error();
  const Instance& in = (*g)->instances.at(0);
  EXPECT_NE(in.hooks.instance_new, nullptr);
  EXPECT_NE(in.hooks.scope_free, nullptr);
  // on_accept is set in the fixture's static table but lies past the
  // struct_size an older minor had, so the host must not pick it up.
  EXPECT_EQ(in.hooks.on_accept, nullptr);
  EXPECT_EQ(in.hooks.on_request_headers, nullptr);
  EXPECT_TRUE((*g)->with_accept.empty());
  EXPECT_EQ(in.hooks.struct_size, sizeof(gantry_hooks_t));

  auto full = build("[[module]]\nname = \"m\"\npath = \"fx_plain\"\n");
  ASSERT_TRUE(full) << full.error();
  EXPECT_NE((*full)->instances.at(0).hooks.on_accept, nullptr);
  EXPECT_EQ((*full)->with_accept, std::vector<size_t>{0});
  EXPECT_EQ((*full)->with_request_headers, std::vector<size_t>{0});
}

TEST_F(ModuleLoaderTest, RejectsUnknownModuleKeyAtItsLine) {
  auto g = build("[[module]]\nname = \"m\"\npath = \"fx_plain\"\n[module.config]\ncount = 1\n"
                 "bogus = 2\n");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error(), at(6, 1) + "module[m].config: unknown key 'bogus' (module 'm' accepts "
                                  "here: trace, fail, count, ratio, timeout, buffer, list)");
}

TEST_F(ModuleLoaderTest, RejectsIllTypedModuleKeys) {
  struct Case {
    std::string line;
    std::string what;
  } cases[] = {
      {"count = \"7\"", "module[m].config.count: expected integer, got string"},
      {"ratio = true", "module[m].config.ratio: expected float, got boolean"},
      {"timeout = \"5x\"", "module[m].config.timeout: expected a duration"},
      {"buffer = -1", "module[m].config.buffer: expected a size"},
      {"list = {}", "module[m].config.list: expected array, got table"},
  };
  for (const Case& c : cases) {
    auto g = build("[[module]]\nname = \"m\"\npath = \"fx_plain\"\n[module.config]\n" + c.line);
    ASSERT_FALSE(g) << c.line;
    int col = static_cast<int>(c.line.find('=')) + 3;
    EXPECT_EQ(g.error().rfind(at(5, col) + c.what, 0), 0u) << g.error();
  }
  // Integers are floats too, and integer durations are milliseconds.
  EXPECT_TRUE(build("[[module]]\nname = \"m\"\npath = \"fx_plain\"\n[module.config]\n"
                    "ratio = 2\ntimeout = 250\nbuffer = \"16k\""));
}

TEST_F(ModuleLoaderTest, InstanceNewFailureReportsTheNodeItBlamed) {
  auto g = build("[[module]]\nname = \"m\"\npath = \"fx_plain\"\n[module.config]\nfail = true\n");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error(), at(5, 8) + "module[m].config.fail: asked to fail (module[m] (" +
                           fixture("fx_plain") + "), instance_new)");
}

TEST_F(ModuleLoaderTest, RefusesTwoModulesProvidingOneTransportName) {
  auto g = build("[[module]]\nname = \"a\"\npath = \"fx_tls_a\"\n"
                 "[[module]]\nname = \"b\"\npath = \"fx_tls_b\"\n");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error(), at(4, 1) + "module[b] (" + fixture("fx_tls_b") +
                           "): provides transport 'dummy-tls', which module[a] at " + file_ +
                           ":2:1 already provides");
}

TEST_F(ModuleLoaderTest, SameFileTwiceIsOneLoadedModule) {
  auto g = build("[[module]]\nname = \"a\"\npath = \"fx_plain\"\n"
                 "[[module]]\nname = \"b\"\npath = \"" + kFixtures + "/./fx_plain.so\"\n");
  ASSERT_TRUE(g) << g.error();
  EXPECT_EQ((*g)->instances[0].module, (*g)->instances[1].module);
  EXPECT_NE((*g)->instances[0].self, (*g)->instances[1].self);
}

TEST_F(ModuleLoaderTest, BindsTransportsAndScopesAndTearsDownInReverse) {
  std::string trace = dir_.path() + "/trace.txt";
  auto cfg = config::load_config(dir_.write(
      "gantry.toml",
      "modules_dir = \"" + kFixtures + "\"\n"
      "[[module]]\nname = \"plain\"\npath = \"fx_plain\"\n"
      "[module.config]\ntrace = \"" + trace + "\"\n"
      "[[module]]\nname = \"sec\"\npath = \"fx_tls_a\"\n"
      "[module.config]\ntrace = \"" + trace + "\"\n"
      "[[listener]]\nname = \"pub\"\nbind = \"127.0.0.1:0\"\n"
      "[listener.tls]\nprovider = \"dummy-tls\"\ncert = \"c.pem\"\n"
      "[listener.plain]\nmark = 7\n"
      "[[backend]]\nname = \"web\"\nservers = [\"127.0.0.1:9\"]\n"
      "[backend.tls]\nprovider = \"dummy-tls\"\nserver_name = \"x\"\ncert = \"c.pem\"\n"
      "[backend.plain]\nmark = 8\n"));
  ASSERT_TRUE(cfg) << cfg.error();
  {
    auto g = build_generation(*cfg);
    ASSERT_TRUE(g) << g.error();
    const Generation& gen = **g;
    ASSERT_EQ(gen.listeners.size(), 1u);
    EXPECT_NE(gen.listeners[0].tls.transport, nullptr);
    EXPECT_STREQ(gen.listeners[0].tls.transport->name, "dummy-tls");
    EXPECT_EQ(gen.listeners[0].tls.instance, 1u);
    EXPECT_NE(gen.listeners[0].tls.tctx, nullptr);
    EXPECT_NE(gen.listeners[0].scope_ctx.at(0), nullptr);
    EXPECT_EQ(gen.listeners[0].scope_ctx.at(1), nullptr);
    EXPECT_NE(gen.backends[0].tls.tctx, nullptr);
    gantry_str_t dir = host_api()->cfg_dir();  // the directory of the config just built
    EXPECT_EQ(std::string(dir.ptr, dir.len), dir_.path());
    EXPECT_EQ(dir_.read("trace.txt"),
              "instance_new\ninstance_new\nscope_new listener 7\nctx_new server\n"
              "scope_new backend 8\nctx_new client\n");
  }  // no main loop runs here, so the deleter tears down right away
  EXPECT_EQ(dir_.read("trace.txt"),
            "instance_new\ninstance_new\nscope_new listener 7\nctx_new server\n"
            "scope_new backend 8\nctx_new client\n"
            "ctx_free\nscope_free backend\nctx_free\nscope_free listener\n"
            "instance_free\ninstance_free\n");
}

TEST_F(ModuleLoaderTest, FailedBuildFreesWhatWasBuilt) {
  std::string trace = dir_.path() + "/trace.txt";
  auto g = build("[[module]]\nname = \"a\"\npath = \"fx_plain\"\n[module.config]\ntrace = \"" +
                 trace + "\"\n[[module]]\nname = \"b\"\npath = \"fx_plain\"\n"
                 "[module.config]\nfail = true\n");
  ASSERT_FALSE(g);
  EXPECT_EQ(dir_.read("trace.txt"), "instance_new\ninstance_free\n");
}

TEST_F(ModuleLoaderTest, TransportAndScopeTablesAreValidated) {
  const std::string mods = "[[module]]\nname = \"t\"\npath = \"fx_tls_a\"\n";
  auto cfg_with = [&](const std::string& tail) {
    auto cfg = config::load_config(dir_.write(
        "gantry.toml", "modules_dir = \"" + kFixtures + "\"\n" + mods +
                           "[[listener]]\nname = \"pub\"\nbind = \"127.0.0.1:0\"\n" + tail));
    EXPECT_TRUE(cfg) << cfg.error();
    return build_generation(*cfg);
  };
  file_ = dir_.path() + "/gantry.toml";
  auto g = cfg_with("[listener.tls]\nprovider = \"other-tls\"\n");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error(), file_ + ":9:12: listener[pub].tls.provider: no loaded module provides "
                               "transport 'other-tls' (available: dummy-tls)");
  g = cfg_with("[listener.tls]\nprovider = \"dummy-tls\"\n");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error(), file_ + ":8:1: listener[pub].tls: missing required key 'cert' "
                               "(transport 'dummy-tls')");
  g = cfg_with("[listener.tls]\nprovider = \"dummy-tls\"\ncert = \"c\"\nserver_name = \"x\"\n");
  ASSERT_FALSE(g);  // server_name is host-owned only toward servers
  EXPECT_NE(g.error().find(":11:1: listener[pub].tls: unknown key 'server_name'"),
            std::string::npos)
      << g.error();
  g = cfg_with("[listener.tls]\nprovider = \"dummy-tls\"\ncert = \"fail\"\n");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error(), file_ + ":10:8: listener[pub].tls.cert: cannot read certificate (module[t] (" +
                           fixture("fx_tls_a") + "), ctx_new for listener[pub].tls)");
  g = cfg_with("[listener.t]\nmark = \"x\"\n");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error(), file_ + ":9:8: listener[pub].t.mark: expected integer, got string "
                               "(module 't')");
  g = cfg_with("[[backend]]\nname = \"b\"\nservers = [\"127.0.0.1:1\"]\n[backend.t]\n");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error(), file_ + ":11:1: backend[b].t: missing required key 'mark' (module 't')");
  g = cfg_with("[listener.t]\nmark = -1\n");
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().find(":9:8: listener[pub].t.mark: mark must not be negative"),
            std::string::npos)
      << g.error();
}

TEST_F(ModuleLoaderTest, HelloModuleLoadsAndItsKeysAreValidated) {
  const std::string hello = HELLO_MODULE;
  const std::string entry = "[[module]]\nname = \"hi\"\npath = \"" + hello + "\"\n";
  auto g = build(entry + "[module.config]\nvalue = \"world\"\n");
  ASSERT_TRUE(g) << g.error();
  EXPECT_STREQ((*g)->instances[0].module->desc.name, "hello");
  EXPECT_NE((*g)->instances[0].inst, nullptr);
  EXPECT_EQ((*g)->with_response_headers, std::vector<size_t>{0});
  EXPECT_TRUE((*g)->with_request_headers.empty());

  g = build(entry);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error(), at(1, 1) + "module[hi].config: missing required key 'value' (module 'hi')");
  g = build(entry + "[module.config]\nvalue = \"w\"\nheader = 5\n");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error(), at(6, 10) + "module[hi].config.header: expected string, got integer "
                                   "(module 'hi')");
  g = build(entry + "[module.config]\nvalue = \"w\"\nheader = \"Bad Name\"\n");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().rfind(at(6, 10) + "module[hi].config.header: not a valid header name", 0),
            0u)
      << g.error();
}

TEST_F(ModuleLoaderTest, ListsModulesWithKeysAndRefusals) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* out = open_memstream(&buf, &len);
  int rc = list_modules_cli(kFixtures, out);
  std::fclose(out);
  std::string text(buf, len);
  free(buf);
  EXPECT_EQ(rc, 1);  // some fixtures are broken on purpose
  EXPECT_NE(text.find(fixture("fx_plain") + "\n  name:         fixture\n"), std::string::npos)
      << text;
  const std::string v = "1." + std::to_string(GANTRY_ABI_MINOR);
  EXPECT_NE(text.find("abi:          " + v + " (needs host >= " + v + ")"), std::string::npos)
      << text;
  EXPECT_NE(text.find("capabilities: transport,log"), std::string::npos);
  EXPECT_NE(text.find("transport:    dummy-tls"), std::string::npos);
  EXPECT_NE(text.find("backend    mark                   integer  required  backend mark"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(fixture("fx_no_entry") + "\n  NOT LOADABLE: not a gantry module"),
            std::string::npos);
  EXPECT_NE(text.find("NOT LOADABLE: needs host ABI >= 1.3"), std::string::npos);

  out = open_memstream(&buf, &len);
  EXPECT_EQ(list_modules_cli(dir_.path() + "/missing", out), 2);
  std::fclose(out);
  free(buf);
}

TEST_F(ModuleLoaderTest, CheckConfigReportsValidAndInvalid) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* out = open_memstream(&buf, &len);
  EXPECT_EQ(check_config_cli(write_config("[[module]]\nname = \"m\"\npath = \"fx_plain\"\n"), out),
            0);
  std::fclose(out);
  EXPECT_NE(std::string(buf, len).find(": configuration is valid"), std::string::npos);
  free(buf);

  out = open_memstream(&buf, &len);
  EXPECT_EQ(check_config_cli(write_config("[[module]]\nname = \"m\"\npath = \"fx_min_host\"\n"),
                             out),
            1);
  std::fclose(out);
  EXPECT_NE(std::string(buf, len).find("needs host ABI >= 1.3"), std::string::npos);
  free(buf);
}

}  // namespace
}  // namespace gantry::modules
