#pragma once
// Rule conditions: ACL names combined with and / or / not, parsed once at
// load into a flat node array and evaluated with short-circuit, so fields no
// remaining term needs are never scanned.
//
// Grammar (lowest precedence first, like HAProxy where `and` binds tighter):
//   expr  := term  ( ("or" | "||") term )*
//   term  := unary ( ["and" | "&&"] unary )*     juxtaposition means "and"
//   unary := ("!" | "not") unary | "(" expr ")" | ACL-NAME
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace gantry::acl {

struct CondNode {
  enum class Op : uint8_t { kAcl, kNot, kAnd, kOr };
  Op op = Op::kAcl;
  uint32_t acl = 0;     // kAcl
  uint32_t first = 0;   // kNot/kAnd/kOr: children are child_index[first .. first+count)
  uint32_t count = 0;
};

class ConditionSet {
 public:
  // Parses `text`; names are resolved with `resolve` (returns -1 if unknown).
  // Returns the root node index, or -1 with *why set.
  int32_t parse(const std::string& text, const std::function<int32_t(const std::string&)>& resolve,
                std::string* why);

  // Evaluates node `root`; acl_true(i) answers for ACL i.
  template <typename F>
  bool eval(uint32_t root, F&& acl_true) const {
    const CondNode& n = nodes_[root];
    switch (n.op) {
      case CondNode::Op::kAcl:
        return acl_true(n.acl);
      case CondNode::Op::kNot:
        return !eval(children_[n.first], acl_true);
      case CondNode::Op::kAnd:
        for (uint32_t i = 0; i < n.count; ++i)
          if (!eval(children_[n.first + i], acl_true)) return false;
        return true;
      case CondNode::Op::kOr:
        for (uint32_t i = 0; i < n.count; ++i)
          if (eval(children_[n.first + i], acl_true)) return true;
        return false;
    }
    return false;
  }

  size_t size() const { return nodes_.size(); }
  const CondNode& node(uint32_t i) const { return nodes_[i]; }

 private:
  friend class ConditionParser;
  std::vector<CondNode> nodes_;
  std::vector<uint32_t> children_;
};

}  // namespace gantry::acl
