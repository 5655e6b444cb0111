#include "condition.h"

#include <cctype>

namespace gantry::acl {
namespace {

// Nesting deeper than this is refused so evaluation recursion stays shallow.
constexpr int kMaxDepth = 64;

bool is_name_char(char c) {
  // HAProxy's ACL name alphabet: letters, digits, '-', '_', '.', ':'.
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == ':';
}

struct Token {
  enum class Kind : uint8_t { kName, kNot, kAnd, kOr, kOpen, kClose, kEnd, kBad };
  Kind kind = Kind::kEnd;
  std::string text;
};

}  // namespace

class ConditionParser {
 public:
  ConditionParser(ConditionSet* set, const std::string& text,
                  const std::function<int32_t(const std::string&)>& resolve)
      : set_(set), text_(text), resolve_(resolve) {
    advance();
  }

  int32_t parse_all(std::string* why) {
    if (tok_.kind == Token::Kind::kEnd) return fail("empty condition", why);
    int32_t root = parse_or(0, why);
    if (root < 0) return -1;
    if (tok_.kind != Token::Kind::kEnd) return fail("unexpected \"" + tok_.text + "\"", why);
    return root;
  }

 private:
  void advance() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    tok_ = Token{};
    if (pos_ >= text_.size()) return;
    char c = text_[pos_];
    auto two = [&](const char* s) { return text_.compare(pos_, 2, s) == 0; };
    if (two("||")) {
      tok_ = {Token::Kind::kOr, "||"};
      pos_ += 2;
    } else if (two("&&")) {
      tok_ = {Token::Kind::kAnd, "&&"};
      pos_ += 2;
    } else if (c == '!') {
      tok_ = {Token::Kind::kNot, "!"};
      ++pos_;
    } else if (c == '(') {
      tok_ = {Token::Kind::kOpen, "("};
      ++pos_;
    } else if (c == ')') {
      tok_ = {Token::Kind::kClose, ")"};
      ++pos_;
    } else if (is_name_char(c)) {
      size_t start = pos_;
      while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
      std::string word = text_.substr(start, pos_ - start);
      if (word == "or") {
        tok_ = {Token::Kind::kOr, word};
      } else if (word == "and") {
        tok_ = {Token::Kind::kAnd, word};
      } else if (word == "not") {
        tok_ = {Token::Kind::kNot, word};
      } else {
        tok_ = {Token::Kind::kName, word};
      }
    } else {
      tok_ = {Token::Kind::kBad, std::string(1, c)};
      ++pos_;
    }
  }

  int32_t fail(const std::string& msg, std::string* why) {
    *why = msg;
    return -1;
  }

  bool starts_unary() const {
    return tok_.kind == Token::Kind::kName || tok_.kind == Token::Kind::kNot ||
           tok_.kind == Token::Kind::kOpen;
  }

  // Collapses a list of operands into one node: itself when alone.
  uint32_t make_list(CondNode::Op op, const std::vector<uint32_t>& items) {
    if (items.size() == 1) return items[0];
    CondNode n;
    n.op = op;
    n.first = static_cast<uint32_t>(set_->children_.size());
    n.count = static_cast<uint32_t>(items.size());
    set_->children_.insert(set_->children_.end(), items.begin(), items.end());
    set_->nodes_.push_back(n);
    return static_cast<uint32_t>(set_->nodes_.size() - 1);
  }

  int32_t parse_or(int depth, std::string* why) {
    std::vector<uint32_t> items;
    for (;;) {
      int32_t t = parse_and(depth, why);
      if (t < 0) return -1;
      items.push_back(static_cast<uint32_t>(t));
      if (tok_.kind != Token::Kind::kOr) break;
      advance();
    }
    return static_cast<int32_t>(make_list(CondNode::Op::kOr, items));
  }

  int32_t parse_and(int depth, std::string* why) {
    std::vector<uint32_t> items;
    for (;;) {
      int32_t u = parse_unary(depth, why);
      if (u < 0) return -1;
      items.push_back(static_cast<uint32_t>(u));
      if (tok_.kind == Token::Kind::kAnd) {
        advance();
        if (!starts_unary()) return fail("expected an ACL name after \"and\"", why);
      } else if (!starts_unary()) {
        break;
      }
    }
    return static_cast<int32_t>(make_list(CondNode::Op::kAnd, items));
  }

  int32_t parse_unary(int depth, std::string* why) {
    if (depth > kMaxDepth) return fail("condition nested too deeply", why);
    switch (tok_.kind) {
      case Token::Kind::kNot: {
        advance();
        int32_t inner = parse_unary(depth + 1, why);
        if (inner < 0) return -1;
        CondNode n;
        n.op = CondNode::Op::kNot;
        n.first = static_cast<uint32_t>(set_->children_.size());
        n.count = 1;
        set_->children_.push_back(static_cast<uint32_t>(inner));
        set_->nodes_.push_back(n);
        return static_cast<int32_t>(set_->nodes_.size() - 1);
      }
      case Token::Kind::kOpen: {
        advance();
        int32_t inner = parse_or(depth + 1, why);
        if (inner < 0) return -1;
        if (tok_.kind != Token::Kind::kClose) return fail("missing \")\"", why);
        advance();
        return inner;
      }
      case Token::Kind::kName: {
        int32_t acl = resolve_(tok_.text);
        if (acl < 0) return fail("unknown acl \"" + tok_.text + "\"", why);
        advance();
        CondNode n;
        n.op = CondNode::Op::kAcl;
        n.acl = static_cast<uint32_t>(acl);
        set_->nodes_.push_back(n);
        return static_cast<int32_t>(set_->nodes_.size() - 1);
      }
      case Token::Kind::kEnd:
        return fail("condition ends where an ACL name was expected", why);
      default:
        return fail("unexpected \"" + tok_.text + "\"", why);
    }
  }

  ConditionSet* set_;
  const std::string& text_;
  const std::function<int32_t(const std::string&)>& resolve_;
  size_t pos_ = 0;
  Token tok_;
};

int32_t ConditionSet::parse(const std::string& text,
                            const std::function<int32_t(const std::string&)>& resolve,
                            std::string* why) {
  // On failure the partly built nodes are dropped again.
  size_t nodes = nodes_.size();
  size_t children = children_.size();
  ConditionParser parser(this, text, resolve);
  int32_t root = parser.parse_all(why);
  if (root < 0) {
    nodes_.resize(nodes);
    children_.resize(children);
  }
  return root;
}

}  // namespace gantry::acl
