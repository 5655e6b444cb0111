/*
 * gantry::testing: mock-host config trees from TOML text, so a module's
 * tests can write configs the way operators do and assert on the file:line
 * the module reports. Optional: it needs toml++ 3 (Debian:
 * libtomlplusplus-dev; CMake: find_package(tomlplusplus) and link
 * tomlplusplus::tomlplusplus; pkg-config: tomlplusplus).
 *
 *   MockCfg root = gantry::testing::load_toml(dir + "/gantry.toml");
 *   const MockCfg& cfg = *root.find("module")->at(0).find("config");
 *   host.instance_new(*mod.desc, cfg, &inst);   // errors carry gantry.toml:line:col
 *
 * Every node reports the file, line and column of its value (a table: of its
 * [header]); table entries come in the order gantry hands them to modules
 * (by key). Dates and times become MockCfg::other nodes.
 */
#ifndef GANTRY_MOCK_TOML_HPP
#define GANTRY_MOCK_TOML_HPP

#include <toml++/toml.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "gantry/testing/mock_cfg.hpp"

namespace gantry::testing {

namespace detail {

inline MockCfg from_toml(const toml::node& n, const std::string& source) {
  MockCfg out;
  if (const toml::table* t = n.as_table()) {
    for (auto&& [k, v] : *t) out.add(std::string(k.str()), from_toml(v, source));
  } else if (const toml::array* a = n.as_array()) {
    out = MockCfg::array({});
    for (const toml::node& v : *a) out.add(std::string(), from_toml(v, source));
  } else if (const auto* s = n.as_string()) {
    out = MockCfg::string(s->get());
  } else if (const auto* i = n.as_integer()) {
    out = MockCfg::integer(i->get());
  } else if (const auto* f = n.as_floating_point()) {
    out = MockCfg::number(f->get());
  } else if (const auto* b = n.as_boolean()) {
    out = MockCfg::boolean(b->get());
  } else {
    std::ostringstream text;
    n.visit([&](const auto& value) { text << value; });
    out = MockCfg::other(text.str());
  }
  const toml::source_region& src = n.source();
  out.at_position(src.path ? std::string(*src.path) : source, src.begin.line, src.begin.column);
  return out;
}

}  // namespace detail

// Parses `text`; nodes report `source` as their file. A syntax error throws
// std::runtime_error("source:line:col: what").
inline MockCfg parse_toml(std::string_view text, const std::string& source = "mock.toml") {
  try {
    toml::table root = toml::parse(text, source);
    return detail::from_toml(root, source);
  } catch (const toml::parse_error& e) {
    const toml::source_position& at = e.source().begin;
    throw std::runtime_error(source + ":" + std::to_string(at.line) + ":" +
                             std::to_string(at.column) + ": " + std::string(e.description()));
  }
}

// Reads and parses the file at `path` (its nodes report `path`).
inline MockCfg load_toml(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_toml(text.str(), path);
}

}  // namespace gantry::testing

#endif /* GANTRY_MOCK_TOML_HPP */
