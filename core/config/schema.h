#pragma once
// The schema of every config key the core owns: for each key its type, its
// default, the range or values it allows, a line of documentation, and where
// its value goes in Config. It is data: the tables are constexpr arrays in
// schema.cc. The loader validates and fills Config from them (apply() below),
// `gantry config-keys` prints them (schema_doc.cc, which also generates the
// key tables of docs/config.md), and the names a module may not take come
// from the listener and backend tables.
//
// Adding a key is one entry in its table plus the Config field it fills.
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "config/config.h"
#include "config/section.h"

namespace gantry::config::schema {

enum class Type : uint8_t {
  kBool,
  kInt,
  kString,
  kEnum,      // a string out of `choices`; fills an enum (by position) or a string
  kPath,      // a string; relative paths are resolved against the config's directory
  kDuration,  // milliseconds
  kSize,      // bytes
  kAddress,   // "host:port"; the range is the port's
  kTable,     // a sub-table, read by its own table or a reader
  kArray,
  kTables,  // an array of tables: [[listener]]
};

constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();
constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kKiB = 1024;
constexpr int64_t kMiB = 1024 * kKiB;

// What a value may be: the number for integers, durations (ms) and sizes
// (bytes); the length of a string; the port of an address; the number of
// entries of an array (checked by the array's reader, which names what is
// missing).
struct Range {
  int64_t lo = 0;
  int64_t hi = kNoLimit;
};

// The values of an enum key, in the order of the C++ enum it fills.
struct Names {
  const std::string_view* items = nullptr;
  size_t size = 0;
  const std::string_view* begin() const { return items; }
  const std::string_view* end() const { return items + size; }
};
template <size_t N>
constexpr Names names(const std::string_view (&items)[N]) {
  return {items, N};
}

// The default as documented: a TOML literal (`"10s"`, `true`), which a test
// checks against the Config field's initializer, or words when it depends on
// something else ("number of CPUs").
struct Default {
  enum Kind : uint8_t { kNone, kRequired, kLiteral, kProse };
  Kind kind = kNone;
  std::string_view text;
};
constexpr Default kRequired{Default::kRequired, {}};
constexpr Default kNoDefault{Default::kNone, {}};
constexpr Default lit(std::string_view toml) { return {Default::kLiteral, toml}; }
constexpr Default prose(std::string_view words) { return {Default::kProse, words}; }

struct Spec {
  std::string_view name;
  Type type;
  Default def;
  std::string_view doc;  // one line, Markdown
  Range range{};
  Names choices{};
};

// A checked value on its way into Config.
struct Value {
  const Spec& spec;
  const toml::node& node;
  std::string path;  // "backend[web].health.interval", as messages name it
  const Config& cfg;
  int64_t number = 0;  // bool, integer, enum position, duration ms, size bytes
  std::string text;    // string, enum name, resolved path
  Address address;

  [[noreturn]] void fail(const std::string& what) const;
  // The sub-table of a kTable value, named by `path`.
  config::detail::Section section() const;
};

// Where a checked value goes: `fill` stores it. For a key bound to a field,
// `show` renders the field's current value the way a test compares it to the
// documented default, and `field_max` is the largest value the field holds.
template <class T>
struct Bind {
  void (*fill)(const Value&, T*) = nullptr;
  std::string (*show)(const Spec&, const T&) = nullptr;
  int64_t field_max = kNoLimit;
};

template <class T>
struct Key {
  Spec spec;
  Bind<T> bind;
};

// Keys a table accepts besides its own.
enum class Extra : uint8_t {
  kNone,
  kModuleTables,  // a sub-table named after a [[module]] (its listener/backend keys)
  kProviderKeys,  // any: the TLS provider's keys, checked once the provider is loaded
};

template <class T>
struct Table {
  std::string_view id;  // "backend.health": its name in docs/config.md and `gantry config-keys`
  const Key<T>* keys;
  size_t size;
  Extra extra = Extra::kNone;
  const Key<T>* begin() const { return keys; }
  const Key<T>* end() const { return keys + size; }
};
template <class T, size_t N>
constexpr Table<T> table(std::string_view id, const Key<T> (&keys)[N], Extra extra = Extra::kNone) {
  return {id, keys, N, extra};
}

// Every table, in the order of docs/config.md. A TableDoc is the typeless
// view of a Table that documentation and checks need.
struct TableDoc {
  std::string_view id;
  Extra extra;
  std::vector<Spec> keys;
};
std::vector<TableDoc> all_tables();

// Names a module may not take: the keys of [[listener]] and [[backend]],
// whose module sub-tables share their namespace.
std::vector<std::string_view> host_keys();
// The keys the host reads in a [listener.tls] or [backend.tls] table; all
// others belong to the provider.
std::vector<std::string> tls_host_keys(bool backend);

// `path` resolved against the directory of the config file.
std::string config_relative(const Config& cfg, const std::string& path);

// A range bound in the key's own unit, as an operator writes it ("24h", "64m").
std::string bound(Type type, int64_t x);

// Reads `node` as `spec` says: type, range, enum values. Throws
// detail::Invalid with "file:line:col: path: what" on a bad value.
Value read_value(const Spec& spec, const toml::node& node, std::string path, const Config& cfg);

namespace internal {
[[noreturn]] void fail_unknown(const config::detail::Section& s, const toml::key& k,
                               const toml::node& v);
[[noreturn]] void fail_missing(const config::detail::Section& s, const Spec& spec);
bool is_module_name(const Config& cfg, std::string_view key);

template <class T>
bool known(const Table<T>& t, std::string_view name, const Config& cfg) {
  for (const Key<T>& k : t) {
    if (k.spec.name == name) return true;
  }
  if (t.extra == Extra::kProviderKeys) return true;
  return t.extra == Extra::kModuleTables && is_module_name(cfg, name);
}
}  // namespace internal

// Validates the TOML table in `s` against `t` (unknown keys, then each key in
// table order: required, type, range) and fills *out. Keys are read in table
// order, so a key may depend on the ones above it (routes on backends).
template <class T>
void apply(const Table<T>& t, const config::detail::Section& s, const Config& cfg, T* out) {
  for (auto&& [k, v] : s.table()) {
    if (!internal::known(t, k.str(), cfg)) internal::fail_unknown(s, k, v);
  }
  for (const Key<T>& key : t) {
    const toml::node* n = s.node(key.spec.name);
    if (n == nullptr) {
      if (key.spec.def.kind == Default::kRequired) internal::fail_missing(s, key.spec);
      continue;
    }
    key.bind.fill(read_value(key.spec, *n, s.key_path(key.spec.name), cfg), out);
  }
}

template <class T>
const Spec& spec_of(const Table<T>& t, std::string_view name) {
  for (const Key<T>& k : t) {
    if (k.spec.name == name) return k.spec;
  }
  std::abort();  // a name the tables do not have is a bug in the caller
}

// ---- Binding keys to Config fields --------------------------------------

namespace internal {
template <class P>
struct MemberOf;
template <class C, class F>
struct MemberOf<F C::*> {
  using Owner = C;
};
template <auto M>
using OwnerOf = typename MemberOf<decltype(M)>::Owner;

// obj.*M0.*M1... : a field, possibly inside a nested struct.
template <auto M, auto... Rest, class O>
auto& field_of(O& obj) {
  if constexpr (sizeof...(Rest) == 0) {
    return obj.*M;
  } else {
    return field_of<Rest...>(obj.*M);
  }
}

template <class F>
void store(const Value& v, F* f) {
  if constexpr (std::is_same_v<F, std::string>) {
    *f = v.text;
  } else if constexpr (std::is_same_v<F, Address>) {
    *f = v.address;
  } else if constexpr (std::is_same_v<F, bool>) {
    *f = v.number != 0;
  } else {
    static_assert(std::is_enum_v<F> || std::is_integral_v<F>, "no way to store this type");
    *f = static_cast<F>(v.number);  // fits: a test holds every range within field_max
  }
}

template <class F>
std::string show(const Spec& spec, const F& f) {
  if constexpr (std::is_same_v<F, std::string>) {
    return f;
  } else if constexpr (std::is_enum_v<F>) {
    auto i = static_cast<size_t>(f);
    return i < spec.choices.size ? std::string(spec.choices.items[i]) : "?";
  } else if constexpr (std::is_integral_v<F>) {
    return std::to_string(static_cast<int64_t>(f));
  } else {
    return "";
  }
}

template <class F>
constexpr int64_t max_of() {
  if constexpr (std::is_integral_v<F> && !std::is_same_v<F, bool>) {
    constexpr auto max = static_cast<uint64_t>(std::numeric_limits<F>::max());
    return max > static_cast<uint64_t>(kNoLimit) ? kNoLimit : static_cast<int64_t>(max);
  } else {
    return kNoLimit;
  }
}

template <auto M, auto... Rest>
struct FieldBind {
  using Owner = OwnerOf<M>;
  using F = std::decay_t<decltype(field_of<M, Rest...>(std::declval<Owner&>()))>;
  static void fill(const Value& v, Owner* out) { store(v, &field_of<M, Rest...>(*out)); }
  static std::string show_field(const Spec& s, const Owner& o) {
    return internal::show(s, field_of<M, Rest...>(o));
  }
};

template <class T>
struct TargetOf;
template <class T>
struct TargetOf<Table<T>> {
  using type = T;
};
template <const auto& Sub>
using TargetOfTable = typename TargetOf<std::decay_t<decltype(Sub)>>::type;

template <const auto& Sub>
void fill_here(const Value& v, TargetOfTable<Sub>* out) {
  apply(Sub, v.section(), v.cfg, out);
}
template <const auto& Sub, auto M>
void fill_nested(const Value& v, OwnerOf<M>* out) {
  apply(Sub, v.section(), v.cfg, &(out->*M));
}
}  // namespace internal

// The key fills obj.*M (or obj.*M.*N, a field of a nested struct).
template <auto M, auto... Rest>
constexpr Bind<internal::OwnerOf<M>> field{
    &internal::FieldBind<M, Rest...>::fill, &internal::FieldBind<M, Rest...>::show_field,
    internal::max_of<typename internal::FieldBind<M, Rest...>::F>()};

// The key is a sub-table that table `Sub` reads into obj.*M ...
template <const auto& Sub, auto M>
constexpr Bind<internal::OwnerOf<M>> nested{&internal::fill_nested<Sub, M>};
// ... or into obj itself ([log] fills Config directly).
template <const auto& Sub>
constexpr Bind<internal::TargetOfTable<Sub>> nested_here{&internal::fill_here<Sub>};

// The key is read by a function of the loader (checks across keys, lookups).
template <class T>
constexpr Bind<T> reader(void (*fn)(const Value&, T*)) {
  return Bind<T>{fn};
}

// ---- The tables (schema.cc) ------------------------------------------------

extern const Table<Config> kTop;
extern const Table<Config> kLog;
extern const Table<Timeouts> kTimeouts;
extern const Table<Limits> kLimits;
extern const Table<ProxyOptions> kProxy;
extern const Table<Resolver> kResolver;
extern const Table<Http2> kHttp2;
extern const Table<Admin> kAdmin;
extern const Table<ModuleEntry> kModule;
extern const Table<Listener> kListener;
extern const Table<Listener> kListenerTls;
extern const Table<Backend> kBackend;
extern const Table<Server> kServer;
extern const Table<HealthCheck> kHealth;
extern const Table<Outlier> kOutlier;
extern const Table<Backend> kBackendTls;
extern const Table<Route> kRoute;
extern const Table<Respond> kRespond;

}  // namespace gantry::config::schema
