#include "module_loader/node_path.h"

namespace gantry::modules {
namespace {

bool search(const toml::node& n, const toml::node* target, std::string* path) {
  if (&n == target) return true;
  if (const toml::table* t = n.as_table()) {
    for (auto&& [k, v] : *t) {
      size_t mark = path->size();
      if (!path->empty()) *path += ".";
      *path += k.str();
      if (search(v, target, path)) return true;
      path->resize(mark);
    }
  } else if (const toml::array* a = n.as_array()) {
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::node& e = *a->get(i);
      const toml::table* et = e.as_table();
      const toml::node* name = et ? et->get("name") : nullptr;
      size_t mark = path->size();
      *path += "[" + (name && name->is_string() ? *name->value<std::string>() : std::to_string(i)) +
               "]";
      if (search(e, target, path)) return true;
      path->resize(mark);
    }
  }
  return false;
}

}  // namespace

std::string node_path(const toml::table& root, const toml::node* target) {
  std::string path;
  if (target == nullptr || !search(root, target, &path)) return "";
  return path;
}

}  // namespace gantry::modules
