// The schema itself and validation driven by it: every numeric key at and
// past both ends of its range, a wrong type and an unknown key in every
// table, enum values, required keys, and durations and sizes too large for
// 64 bits. The cases are generated from the tables, so a key added to the
// schema is covered here without touching this file.
#include "config/schema.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "config/loader.h"
#include "config/units.h"
#include "util/log.h"

namespace gantry::config::schema {
namespace {

const std::string kListenerHead = "[[listener]]\nbind = \"127.0.0.1:0\"\n";
const std::string kBackendHead = "[[backend]]\nname = \"web\"\nservers = [\"127.0.0.1:1\"]\n";

// How to write a config that reaches one table: the text before its keys,
// the keys it needs anyway, how keys are separated, and the text after.
struct Way {
  std::string head;
  std::vector<std::pair<std::string, std::string>> base;
  std::string sep;
  std::string tail;
};

const std::map<std::string_view, Way>& ways() {
  const std::string backend = kListenerHead + "[[backend]]\n";
  const std::pair<std::string, std::string> name{"name", "\"web\""};
  const std::pair<std::string, std::string> servers{"servers", "[\"127.0.0.1:1\"]"};
  static const std::map<std::string_view, Way> kWays = {
      {"top", {"", {}, "\n", "\n" + kListenerHead}},
      {"log", {"[log]\n", {}, "\n", "\n" + kListenerHead}},
      {"timeouts", {"[timeouts]\n", {}, "\n", "\n" + kListenerHead}},
      // max_line_size may not pass max_head_size: give it all the room.
      {"limits", {"[limits]\n", {{"max_head_size", "\"64m\""}}, "\n", "\n" + kListenerHead}},
      {"proxy", {"[proxy]\n", {}, "\n", "\n" + kListenerHead}},
      {"resolver", {"[resolver]\n", {}, "\n", "\n" + kListenerHead}},
      {"http2", {"[http2]\n", {}, "\n", "\n" + kListenerHead}},
      {"admin", {"[admin]\n", {}, "\n", "\n" + kListenerHead}},
      // Any regular file passes the loader's check of a module path.
      {"module",
       {"[[module]]\n",
        {{"name", "\"m\""}, {"path", "\"/proc/self/exe\""}},
        "\n",
        "\n" + kListenerHead}},
      {"listener", {"[[listener]]\n", {{"bind", "\"127.0.0.1:0\""}}, "\n", "\n"}},
      {"listener.tls", {kListenerHead + "[listener.tls]\n", {{"provider", "\"p\""}}, "\n", "\n"}},
      {"backend", {backend, {name, servers}, "\n", "\n"}},
      {"backend.servers",
       {backend + "name = \"web\"\nservers = [{ ",
        {{"address", "\"127.0.0.1:1\""}},
        ", ",
        " }]\n"}},
      {"backend.health",
       {backend + "name = \"web\"\nservers = [\"127.0.0.1:1\"]\n[backend.health]\n",
        {},
        "\n",
        "\n"}},
      {"backend.outlier",
       {backend + "name = \"web\"\nservers = [\"127.0.0.1:1\"]\n[backend.outlier]\n",
        {},
        "\n",
        "\n"}},
      {"backend.tls",
       {backend + "name = \"web\"\nservers = [\"127.0.0.1:1\"]\n[backend.tls]\n",
        {{"provider", "\"p\""}},
        "\n",
        "\n"}},
      {"route",
       {backend + "name = \"web\"\nservers = [\"127.0.0.1:1\"]\n[[route]]\n",
        {{"backend", "\"web\""}},
        "\n",
        "\n"}},
      {"route.respond", {kListenerHead + "[[route]]\n[route.respond]\n", {}, "\n", "\n"}},
  };
  return kWays;
}

// A config with `key = value` in table `id` (replacing the key the table
// needs anyway, if it is one), or "" for a table no Way reaches.
std::string config_with(std::string_view id, const std::string& key, const std::string& value) {
  auto it = ways().find(id);
  if (it == ways().end()) return "";
  const Way& w = it->second;
  std::string keys;
  bool replaced = false;
  for (const auto& [k, v] : w.base) {
    replaced = replaced || k == key;
    keys += (keys.empty() ? "" : w.sep) + k + " = " + (k == key ? value : v);
  }
  if (!replaced) keys += (keys.empty() ? "" : w.sep) + key + " = " + value;
  return w.head + keys + w.tail;
}

Result<std::shared_ptr<const Config>> load(const std::string& text) {
  return load_config_text(text, "/tmp/schema.toml");
}

bool numeric(Type t) { return t == Type::kInt || t == Type::kDuration || t == Type::kSize; }

// The value as TOML: integers of ms and bytes for durations and sizes.
std::string literal(int64_t v) { return std::to_string(v); }

TEST(SchemaTest, EveryNumericKeyAcceptsItsRangeAndRefusesPastIt) {
  int checked = 0;
  for (const TableDoc& t : all_tables()) {
    for (const Spec& k : t.keys) {
      if (!numeric(k.type)) continue;
      std::string key(k.name);
      ASSERT_NE(config_with(t.id, key, "1"), "") << "no way to write table " << t.id;
      for (int64_t ok : {k.range.lo, k.range.hi}) {
        auto r = load(config_with(t.id, key, literal(ok)));
        EXPECT_TRUE(r) << t.id << "." << key << " = " << ok << ": " << r.error();
      }
      std::string between = "must be between " + bound(k.type, k.range.lo) + " and " +
                            bound(k.type, k.range.hi) + ", got ";
      auto high = load(config_with(t.id, key, literal(k.range.hi + 1)));
      ASSERT_FALSE(high) << t.id << "." << key;
      EXPECT_NE(high.error().find(key + ": " + between + literal(k.range.hi + 1)),
                std::string::npos)
          << high.error();
      auto low = load(config_with(t.id, key, literal(k.range.lo - 1)));
      ASSERT_FALSE(low) << t.id << "." << key;
      // Below 0 a duration or size is not one at all; an integer is out of range.
      std::string why = k.type == Type::kInt || k.range.lo > 0 ? between : "expected a ";
      EXPECT_NE(low.error().find(key + ": " + why), std::string::npos) << low.error();
      ++checked;
    }
  }
  EXPECT_GE(checked, 20);
}

TEST(SchemaTest, EveryKeyRefusesAWrongType) {
  for (const TableDoc& t : all_tables()) {
    for (const Spec& k : t.keys) {
      // An array is the wrong type for every key that is not one.
      std::string value = k.type == Type::kArray || k.type == Type::kTables ? "7" : "[7]";
      std::string text = config_with(t.id, std::string(k.name), value);
      ASSERT_FALSE(text.empty()) << "no way to write table " << t.id;
      if (t.id == "top" && k.name == "listener") continue;  // the key the config needs
      auto r = load(text);
      ASSERT_FALSE(r) << t.id << "." << k.name;
      EXPECT_NE(r.error().find(std::string(k.name) + ": expected "), std::string::npos)
          << t.id << "." << k.name << ": " << r.error();
    }
  }
}

TEST(SchemaTest, EveryTableRefusesAnUnknownKey) {
  for (const TableDoc& t : all_tables()) {
    std::string text = config_with(t.id, "bogus_key", "1");
    ASSERT_FALSE(text.empty()) << "no way to write table " << t.id;
    auto r = load(text);
    if (t.extra == Extra::kProviderKeys) {
      // The provider's keys: checked by module_loader once the provider is known.
      EXPECT_TRUE(r) << t.id << ": " << r.error();
      continue;
    }
    ASSERT_FALSE(r) << t.id;
    EXPECT_NE(r.error().find("unknown key 'bogus_key'"), std::string::npos) << r.error();
  }
}

TEST(SchemaTest, EnumValues) {
  for (std::string_view level : {"debug", "info", "warn", "error"}) {
    auto r = load(config_with("log", "level", "\"" + std::string(level) + "\""));
    ASSERT_TRUE(r) << r.error();
    log::Level parsed;
    EXPECT_TRUE(log::parse_level((*r)->error_log_level.c_str(), &parsed)) << level;
  }
  const std::pair<const char*, Balance> balances[] = {{"roundrobin", Balance::kRoundRobin},
                                                      {"source", Balance::kSourceHash},
                                                      {"cookie", Balance::kCookie}};
  for (const auto& [name, want] : balances) {
    auto r = load(config_with("backend", "balance", std::string("\"") + name + "\""));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ((*r)->backends[0].balance, want) << name;
  }
  auto r = load(config_with("backend", "balance", "\"RoundRobin\""));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(),
            "/tmp/schema.toml:6:11: backend[web].balance: unknown balance "
            "\"RoundRobin\" (roundrobin, source, cookie, leastconn, random, hash)");
}

TEST(SchemaTest, RequiredKeys) {
  struct {
    std::string text;
    std::string message;
  } cases[] = {
      {"[[listener]]\nbacklog = 5\n", "1:1: listener[0]: missing required key 'bind'"},
      {kListenerHead + "[[backend]]\nservers = [\"127.0.0.1:1\"]\n",
       "3:1: backend[0]: missing required key 'name'"},
      {kListenerHead + "[[backend]]\nname = \"b\"\n",
       "3:1: backend[b]: missing required key 'servers'"},
      {kListenerHead + "[[backend]]\nname = \"b\"\nservers = [{ weight = 2 }]\n",
       "5:12: backend[b].servers[0]: missing required key 'address'"},
      {kListenerHead + kBackendHead + "[backend.tls]\nserver_name = \"x\"\n",
       "6:1: backend[web].tls: missing required key 'provider'"},
      {kListenerHead + "[[module]]\npath = \"x.so\"\n",
       "3:1: module[0]: missing required key 'name'"},
      {kListenerHead + "[[module]]\nname = \"m\"\n", "3:1: module[m]: missing required key 'path'"},
      {"workers = 1\n", "1:1: listener: at least one [[listener]] is required"},
      {"listener = []\n", "1:12: listener: at least one [[listener]] is required"},
  };
  for (const auto& c : cases) {
    auto r = load(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error(), "/tmp/schema.toml:" + c.message);
  }
}

TEST(SchemaTest, DurationsAndSizesTooLargeForSixtyFourBitsAreRangeErrors) {
  const char* values[] = {"0x7fffffffffffffff", "\"99999999999h\"", "\"99999999999999999999999h\"",
                          "\"2562047788016h\""};
  for (const char* value : values) {
    auto r = load(config_with("backend.health", "interval", value));
    ASSERT_FALSE(r) << value;
    std::string got =
        value[0] == '"' ? std::string(value + 1, std::strlen(value) - 2) : "9223372036854775807";
    EXPECT_NE(
        r.error().find("backend[web].health.interval: must be between 100ms and 1h, got " + got),
        std::string::npos)
        << r.error();
  }
  auto tunnel = load(config_with("timeouts", "tunnel", "9223372036854775807"));
  ASSERT_FALSE(tunnel);
  EXPECT_EQ(tunnel.error(),
            "/tmp/schema.toml:2:10: timeouts.tunnel: must be between 0 and 24h, "
            "got 9223372036854775807");
  auto size = load(config_with("limits", "max_head_size", "\"17179869184g\""));
  ASSERT_FALSE(size);
  EXPECT_NE(size.error().find("max_head_size: must be between 1k and 64m, got 17179869184g"),
            std::string::npos)
      << size.error();
}

// The units parser never wraps: the largest values that fit in int64_t are
// exact, one more is kTooLarge.
TEST(SchemaTest, UnitsStopAtInt64) {
  uint64_t v = 0;
  EXPECT_EQ(read_duration_ms("9223372036854775807ms", &v), UnitRead::kOk);
  EXPECT_EQ(v, 9223372036854775807u);
  EXPECT_EQ(read_duration_ms("9223372036854775808ms", &v), UnitRead::kTooLarge);
  EXPECT_EQ(read_duration_ms("2562047788015h", &v), UnitRead::kOk);
  EXPECT_EQ(v, 2562047788015u * 3600000u);
  EXPECT_EQ(read_duration_ms("2562047788016h", &v), UnitRead::kTooLarge);
  EXPECT_EQ(read_duration_ms("99999999999h", &v), UnitRead::kOk);
  EXPECT_EQ(v, 99999999999u * 3600000u);  // exact; the schema's range refuses it
  EXPECT_EQ(read_duration_ms("184467440737095516160s", &v), UnitRead::kTooLarge);
  EXPECT_EQ(read_duration_ms("h", &v), UnitRead::kMalformed);
  EXPECT_EQ(read_duration_ms("99999999999999999999999", &v), UnitRead::kMalformed);  // no unit
  EXPECT_EQ(read_size_bytes("8589934591g", &v), UnitRead::kOk);
  EXPECT_EQ(v, 8589934591u << 30);
  EXPECT_EQ(read_size_bytes("8589934592g", &v), UnitRead::kTooLarge);
  EXPECT_EQ(read_size_bytes("18446744073709551616", &v), UnitRead::kTooLarge);
  EXPECT_EQ(format_duration_ms(24 * 3600000), "24h");
  EXPECT_EQ(format_duration_ms(90000), "90s");
  EXPECT_EQ(format_duration_ms(1500), "1500ms");
  EXPECT_EQ(format_size_bytes(64 << 20), "64m");
  EXPECT_EQ(format_size_bytes(8000), "8000");
}

// A range no wider than the field it fills, and the documented default equal
// to the field's initializer in config.h.
template <class T>
void check_table(const Table<T>& t) {
  Config cfg;
  T fresh{};
  for (const Key<T>& k : t) {
    std::string where = std::string(t.id) + "." + std::string(k.spec.name);
    if (numeric(k.spec.type)) {
      EXPECT_LE(k.spec.range.hi, k.bind.field_max) << where;
      EXPECT_LE(k.spec.range.lo, k.spec.range.hi) << where;
    }
    if (k.spec.type == Type::kDuration) {
      EXPECT_LE(k.spec.range.hi, 24 * kHour) << where;
    }
    if (k.spec.type == Type::kSize) {
      EXPECT_LE(k.spec.range.hi, 64 * kMiB) << where;
    }
    EXPECT_FALSE(k.spec.doc.empty()) << where;
    if (k.spec.def.kind != Default::kLiteral || k.bind.show == nullptr) continue;
    toml::table doc = toml::parse("x = " + std::string(k.spec.def.text));
    Value v = read_value(k.spec, *doc.get("x"), where, cfg);
    bool text = k.spec.type == Type::kString || k.spec.type == Type::kEnum;
    EXPECT_EQ(k.bind.show(k.spec, fresh), text ? v.text : std::to_string(v.number)) << where;
  }
}

TEST(SchemaTest, RangesFitTheirFieldsAndDefaultsMatchConfigH) {
  check_table(kTop);
  check_table(kLog);
  check_table(kTimeouts);
  check_table(kLimits);
  check_table(kProxy);
  check_table(kResolver);
  check_table(kHttp2);
  check_table(kAdmin);
  check_table(kModule);
  check_table(kListener);
  check_table(kListenerTls);
  check_table(kBackend);
  check_table(kServer);
  check_table(kHealth);
  check_table(kOutlier);
  check_table(kBackendTls);
  check_table(kRoute);
  check_table(kRespond);
  EXPECT_EQ(all_tables().size(), 18u) << "a new table: add it above";
}

TEST(SchemaTest, HostKeysComeFromListenerAndBackend) {
  std::vector<std::string_view> keys = host_keys();
  for (const TableDoc& t : all_tables()) {
    if (t.id != "listener" && t.id != "backend") continue;
    for (const Spec& k : t.keys) {
      EXPECT_NE(std::find(keys.begin(), keys.end(), k.name), keys.end()) << k.name;
    }
  }
  EXPECT_EQ(keys.size(), 26u);  // name is shared
  EXPECT_EQ(tls_host_keys(false), std::vector<std::string>{"provider"});
  EXPECT_EQ(tls_host_keys(true), (std::vector<std::string>{"provider", "server_name"}));
}

}  // namespace
}  // namespace gantry::config::schema
