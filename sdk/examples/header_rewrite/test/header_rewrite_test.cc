// Loads header_rewrite.so the way gantry does (dlopen, entry symbol, version
// check) and drives it through the SDK's mock host.
//   usage: header_rewrite_test path/to/header_rewrite.so
#include <gantry/mock_host.hpp>

#include <cstdio>
#include <string>

using gantry::testing::LoadedModule;
using gantry::testing::MockCfg;
using gantry::testing::MockHost;
using gantry::testing::MockStream;

namespace {

int g_failures = 0;
#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) {                                                       \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++g_failures;                                                      \
    }                                                                    \
  } while (0)

const gantry_module_desc_t* g_desc = nullptr;

// Runs one request through a fresh instance built from `config`.
void run(const MockCfg& config, MockStream* s) {
  MockHost host;
  void* inst = nullptr;
  CHECK(host.instance_new(*g_desc, config, &inst) == GANTRY_OK);
  void* stream_ctx = nullptr;
  CHECK(g_desc->hooks->on_request_headers(inst, s->raw(), nullptr, &stream_ctx) == GANTRY_CONTINUE);
  g_desc->hooks->instance_free(inst);
}

// instance_new must fail with a message; returns the error's line.
uint32_t expect_config_error(const MockCfg& config, const std::string& needle) {
  MockHost host;
  void* inst = nullptr;
  CHECK(host.instance_new(*g_desc, config, &inst) == GANTRY_ERR_INVAL);
  CHECK(host.errors.size() == 1);
  if (host.errors.empty()) return 0;
  CHECK(host.errors[0].msg.find(needle) != std::string::npos);
  return host.errors[0].line;
}

void test_descriptor() {
  CHECK(std::string(g_desc->name) == "header_rewrite");
  CHECK(g_desc->struct_size == sizeof(gantry_module_desc_t));
  CHECK(g_desc->abi_major == 1);
  CHECK(g_desc->min_host_minor <= GANTRY_ABI_MINOR);
  CHECK((g_desc->capabilities & GANTRY_CAP_HEADERS) != 0);
  CHECK(std::string(g_desc->config_keys[0].name) == "set");
  CHECK(std::string(g_desc->config_keys[1].name) == "remove");
  CHECK(g_desc->config_keys[2].name == nullptr);
  // Only the hooks it needs: the host skips it everywhere else.
  CHECK(g_desc->hooks->on_request_headers != nullptr);
  CHECK(g_desc->hooks->on_response_headers == nullptr);
  CHECK(g_desc->hooks->on_log == nullptr);
}

void test_set_and_remove() {
  MockStream s("GET", "/", {{"Host", "a"}, {"X-Debug", "1"}, {"x-debug", "2"}, {"X-Env", "dev"},
                            {"Accept", "*/*"}});
  run(MockCfg::table({{"remove", MockCfg::array({MockCfg::string("X-DEBUG")})},
                      {"set", MockCfg::table({{"X-Env", MockCfg::string("prod")},
                                              {"X-New", MockCfg::string("yes")}})}}),
      &s);
  CHECK(s.header_count("x-debug") == 0);  // every header of that name, any case
  CHECK(s.header_count("x-env") == 1);    // set replaces, never duplicates
  CHECK(s.header("x-env") != nullptr && *s.header("x-env") == "prod");
  CHECK(s.header("x-new") != nullptr && *s.header("x-new") == "yes");
  CHECK(s.header("host") != nullptr && *s.header("host") == "a");
  CHECK(s.header("accept") != nullptr);
}

void test_remove_then_set_same_name() {
  MockStream s("GET", "/", {{"X-A", "old"}});
  run(MockCfg::table({{"remove", MockCfg::array({MockCfg::string("x-a")})},
                      {"set", MockCfg::table({{"X-A", MockCfg::string("new")}})}}),
      &s);
  CHECK(s.header_count("x-a") == 1);
  CHECK(s.header("x-a") != nullptr && *s.header("x-a") == "new");
}

void test_empty_config_changes_nothing() {
  MockStream s("GET", "/", {{"Host", "a"}, {"X-B", "1"}});
  MockHost host;
  void* inst = nullptr;
  CHECK(host.instance_new(*g_desc, MockCfg::table(), &inst) == GANTRY_OK);
  CHECK(host.logged(GANTRY_LOG_WARN, "nothing to do"));
  void* ctx = nullptr;
  CHECK(g_desc->hooks->on_request_headers(inst, s.raw(), nullptr, &ctx) == GANTRY_CONTINUE);
  CHECK(s.headers.size() == 2);
  g_desc->hooks->instance_free(inst);
}

void test_bad_config() {
  CHECK(expect_config_error(
            MockCfg::table({{"set", MockCfg::table({{"X-A", MockCfg::integer(1).at_line(7)}})}}),
            "must be strings") == 7);
  CHECK(expect_config_error(
            MockCfg::table({{"set", MockCfg::table({{"Bad Name", MockCfg::string("v").at_line(3)}})}}),
            "not a valid header name") == 3);
  CHECK(expect_config_error(
            MockCfg::table({{"set", MockCfg::table({{"X-A", MockCfg::string("a\r\nX-B: b").at_line(4)}})}}),
            "CR, LF") == 4);
  CHECK(expect_config_error(
            MockCfg::table({{"remove", MockCfg::array({MockCfg::string("ok"), MockCfg::boolean(true).at_line(9)})}}),
            "must be strings") == 9);
  CHECK(expect_config_error(MockCfg::table({{"remove", MockCfg::array({MockCfg::string("")})}}),
                            "not a valid header name") != 0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s header_rewrite.so\n", argv[0]);
    return 2;
  }
  try {
    g_desc = LoadedModule::open(argv[1]).desc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  test_descriptor();
  test_set_and_remove();
  test_remove_then_set_same_name();
  test_empty_config_changes_nothing();
  test_bad_config();
  if (g_failures != 0) {
    std::fprintf(stderr, "%d check(s) failed\n", g_failures);
    return 1;
  }
  std::printf("header_rewrite: all checks passed\n");
  return 0;
}
