#pragma once
// One module instance on the SDK's mock host, made from the [[module]]
// config of a gantry config file the way gantry makes it: the TOML is read
// with its positions, the host checks the module's keys, then instance_new.
// Shared by the unit tests of the first-party modules.
#include <gantry/mock_host.hpp>
#include <gantry/mock_toml.hpp>

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gantry::test {

class MockModule {
 public:
  // `so` is the module's shared object, opened as gantry opens it.
  explicit MockModule(const std::string& so) : mod_(testing::LoadedModule::open(so)) {
    host_.check_keys = true;
  }
  ~MockModule() { unload(); }
  MockModule(const MockModule&) = delete;
  MockModule& operator=(const MockModule&) = delete;

  // Reads the config file at `path` and creates the instance from the
  // config of its [[module]] number `index` (an empty table if it has
  // none). False with error() set when the file or the module refuses it.
  bool load(const std::string& path, size_t index = 0) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      unload();
      error_ = "cannot read " + path;
      return false;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return load_text(text, path, index);
  }
  // The same with the config's text; nodes report `source` as their file,
  // and relative paths resolve against its directory.
  bool load_text(const std::string& text, const std::string& source, size_t index = 0) {
    unload();
    host_.make_current();
    host_.errors.clear();
    host_.logs.clear();
    error_.clear();
    try {
      root_ = testing::parse_toml(text, source);
    } catch (const std::exception& e) {
      error_ = e.what();
      return false;
    }
    host_.config_dir = source.substr(0, source.find_last_of('/'));
    const testing::MockCfg* modules = root_.find("module");
    if (modules == nullptr || modules->size() <= index) {
      error_ = source + ": no [[module]] " + std::to_string(index);
      return false;
    }
    const testing::MockCfg* config = modules->at(index).find("config");
    testing::MockCfg empty = testing::MockCfg::table();
    if (host_.instance_new(*mod_.desc, config != nullptr ? *config : empty, &inst_) != GANTRY_OK) {
      inst_ = nullptr;
      error_ = host_.first_error();
      if (error_.empty()) error_ = "instance_new failed without a message";
      return false;
    }
    return true;
  }
  // Runs scope_new, as gantry does, for the table named `table` of every
  // [[section]] entry ("listener" or "backend", with scope
  // GANTRY_SCOPE_LISTENER or _BACKEND) and returns the contexts in entry
  // order, null where an entry has no such table. False with error() set on
  // the first refusal. The contexts are freed by unload().
  bool open_scopes(const std::string& section, uint32_t scope, const std::string& table,
                   std::vector<void*>* out) {
    out->clear();
    const testing::MockCfg* entries = root_.find(section);
    for (size_t i = 0; entries != nullptr && i < entries->size(); ++i) {
      const testing::MockCfg* t = entries->at(i).find(table);
      void* ctx = nullptr;
      if (t != nullptr && host_.scope_new(*mod_.desc, inst_, scope, *t, &ctx) != GANTRY_OK) {
        error_ = host_.first_error();
        return false;
      }
      if (ctx != nullptr) scopes_.emplace_back(scope, ctx);
      out->push_back(ctx);
    }
    return true;
  }
  void unload() {
    for (const auto& [scope, ctx] : scopes_) mod_.desc->hooks->scope_free(inst_, scope, ctx);
    scopes_.clear();
    if (inst_ != nullptr) mod_.desc->hooks->instance_free(inst_);
    inst_ = nullptr;
  }
  // The host's log lines, one per line of text.
  std::string log_text() const {
    std::string out;
    for (const auto& l : host_.logs) out += l.msg + "\n";
    return out;
  }

  const std::string& error() const { return error_; }
  testing::MockHost& host() { return host_; }
  const testing::MockHost& host() const { return host_; }
  const gantry_module_desc_t& desc() const { return *mod_.desc; }
  const gantry_hooks_t& hooks() const { return *mod_.desc->hooks; }
  void* inst() const { return inst_; }
  // The whole config file as last read.
  const testing::MockCfg& root() const { return root_; }

 private:
  testing::LoadedModule mod_;
  testing::MockHost host_;
  testing::MockCfg root_;
  void* inst_ = nullptr;
  std::vector<std::pair<uint32_t, void*>> scopes_;
  std::string error_;
};

}  // namespace gantry::test
