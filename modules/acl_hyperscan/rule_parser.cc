#include "rule_parser.h"

#include <hs.h>

#include <algorithm>
#include <cctype>

#include "db_cache.h"

namespace gantry::acl {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool valid_header_name(const std::string& name) {
  if (name.empty()) return false;
  for (unsigned char c : name)
    if (!(std::isalnum(c) || std::string("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                                 std::string::npos))
      return false;
  return true;
}

struct StringPredicateKey {
  FieldKind field;
  MatchKind match;
};

// "path_beg" -> (kPath, kBeg). Field prefixes follow HAProxy's fetch names.
bool string_predicate(const std::string& key, StringPredicateKey* out) {
  static const std::pair<const char*, FieldKind> kFields[] = {
      {"path", FieldKind::kPath},     {"url", FieldKind::kUrl},   {"query", FieldKind::kQuery},
      {"urlp", FieldKind::kParam},    {"host", FieldKind::kHost}, {"hdr", FieldKind::kHeader},
      {"method", FieldKind::kMethod}, {"sni", FieldKind::kSni}};
  static const std::pair<const char*, MatchKind> kMatches[] = {
      {"", MatchKind::kExact},     {"_beg", MatchKind::kBeg}, {"_end", MatchKind::kEnd},
      {"_sub", MatchKind::kSub},   {"_reg", MatchKind::kReg}, {"_dir", MatchKind::kDir},
      {"_dom", MatchKind::kDom}};
  for (const auto& f : kFields) {
    for (const auto& m : kMatches) {
      if (key == std::string(f.first) + m.first) {
        *out = {f.second, m.second};
        return true;
      }
    }
  }
  return false;
}

bool is_option_key(const std::string& key) {
  return key == "name" || key == "ignore_case" || key == "file" || key == "header" ||
         key == "param";
}

class AclTableParser {
 public:
  AclTableParser(const CfgReader& r, AclConfig* cfg, std::vector<std::vector<Pattern>>* patterns)
      : r_(r), cfg_(cfg), patterns_(patterns) {}

  bool parse(const gantry::Config& table) {
    if (!r_.is(table, GANTRY_CFG_TABLE)) return r_.fail(table, "acl: expected a table");
    gantry::Config name_node = table["name"];
    if (!name_node) return r_.fail(table, "acl: missing \"name\"");
    if (!r_.string(name_node, "acl.name", &name_)) return false;
    if (name_.empty() || name_ == "and" || name_ == "or" || name_ == "not" ||
        name_.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") !=
            std::string::npos)
      return r_.fail(name_node, "acl name \"" + name_ +
                                    "\": use letters, digits, '-', '_', '.', ':' (not and/or/not)");
    what_ = "acl \"" + name_ + "\"";

    // Find the one predicate key.
    std::string pred_key;
    gantry::Config pred_node;
    for (size_t i = 0; i < table.size(); ++i) {
      auto [k, v] = table.entry(i);
      std::string key(k);
      if (is_option_key(key)) continue;
      StringPredicateKey unused;
      if (!string_predicate(key, &unused) && key != "src" && key != "ssl_fc" &&
          key != "hdr_exists")
        return r_.fail(v, what_ + ": unknown key \"" + key + "\"");
      if (pred_node) {
        // Point at whichever of the two comes later in the file.
        gantry::Config at = v.line() >= pred_node.line() ? v : pred_node;
        return r_.fail(at, what_ + ": one predicate per acl table (\"" + pred_key + "\" and \"" +
                               key + "\"); repeat the name in another table to OR them");
      }
      pred_key = key;
      pred_node = v;
    }
    if (!pred_node)
      return r_.fail(table, what_ + ": no predicate (path_reg, host, src, ...)");

    if (gantry::Config ic = table["ignore_case"])
      if (!r_.boolean(ic, what_ + ".ignore_case", &ignore_case_)) return false;

    uint32_t pred = static_cast<uint32_t>(cfg_->preds.size());
    cfg_->preds.emplace_back();
    add_to_acl(pred);

    StringPredicateKey sk;
    if (string_predicate(pred_key, &sk)) return parse_string(table, pred, sk, pred_node);
    if (pred_key == "src") return parse_source(table, pred, pred_node);
    if (!only_options(table, pred_key, {})) return false;
    if (pred_key == "ssl_fc") {
      Predicate& p = cfg_->preds[pred];
      p.kind = PredKind::kTls;
      return r_.boolean(pred_node, what_ + ".ssl_fc", &p.expect);
    }
    // hdr_exists
    std::string header;
    if (!r_.string(pred_node, what_ + ".hdr_exists", &header)) return false;
    if (!valid_header_name(header))
      return r_.fail(pred_node, what_ + ": invalid header name \"" + header + "\"");
    Predicate& p = cfg_->preds[pred];
    p.kind = PredKind::kHeaderExists;
    p.header = lower(header);
    return true;
  }

 private:
  // Refuses option keys that make no sense for this predicate.
  bool only_options(const gantry::Config& table, const std::string& pred_key,
                    const std::vector<std::string>& allowed) {
    for (const char* opt : {"ignore_case", "file", "header", "param"}) {
      if (std::find(allowed.begin(), allowed.end(), opt) != allowed.end()) continue;
      if (gantry::Config v = table[opt])
        return r_.fail(v, what_ + ": \"" + opt + "\" does not apply to " + pred_key);
    }
    return true;
  }

  void add_to_acl(uint32_t pred) {
    cfg_->acls[cfg_->acl_for(name_)].preds.push_back(pred);
  }

  // Inline patterns followed by those of the `file` entries.
  bool collect(const gantry::Config& table, const gantry::Config& pred_node,
               std::vector<CfgItem>* items, std::vector<std::string>* origins) {
    if (!r_.string_list(pred_node, what_, items)) return false;
    origins->assign(items->size(), std::string());
    gantry::Config files = table["file"];
    if (!files) return true;
    std::vector<CfgItem> names;
    if (!r_.string_list(files, what_ + ".file", &names)) return false;
    for (const CfgItem& f : names) {
      std::vector<FileLine> lines;
      std::string why;
      if (!read_pattern_file(r_.resolve_path(f.text), &lines, &why))
        return r_.fail(f.node, what_ + ": " + why);
      for (FileLine& l : lines) {
        items->push_back({std::move(l.text), f.node});
        origins->push_back(f.text + ":" + std::to_string(l.line));
      }
    }
    return true;
  }

  bool parse_string(const gantry::Config& table, uint32_t pred, const StringPredicateKey& sk,
                    const gantry::Config& pred_node) {
    FieldSpec spec;
    spec.kind = sk.field;
    if (sk.field == FieldKind::kHeader) {
      gantry::Config h = table["header"];
      if (!h) return r_.fail(table, what_ + ": hdr predicates need \"header\"");
      if (!r_.string(h, what_ + ".header", &spec.arg)) return false;
      if (!valid_header_name(spec.arg))
        return r_.fail(h, what_ + ": invalid header name \"" + spec.arg + "\"");
      spec.arg = lower(spec.arg);
      if (!only_options(table, "hdr", {"ignore_case", "file", "header"})) return false;
    } else if (sk.field == FieldKind::kParam) {
      gantry::Config pn = table["param"];
      if (!pn) return r_.fail(table, what_ + ": urlp predicates need \"param\"");
      if (!r_.string(pn, what_ + ".param", &spec.arg)) return false;
      if (spec.arg.empty()) return r_.fail(pn, what_ + ": empty parameter name");
      if (!only_options(table, "urlp", {"ignore_case", "file", "param"})) return false;
    } else if (!only_options(table, "this predicate", {"ignore_case", "file"})) {
      return false;
    }

    std::vector<CfgItem> items;
    std::vector<std::string> origins;
    if (!collect(table, pred_node, &items, &origins)) return false;
    Predicate& p = cfg_->preds[pred];
    if (items.empty()) {
      p.kind = PredKind::kConst;  // nothing to match: never true, like an empty HAProxy list
      p.expect = false;
      return true;
    }
    p.kind = PredKind::kString;
    p.field = cfg_->field_index(spec);
    if (patterns_->size() < cfg_->fields.size()) patterns_->resize(cfg_->fields.size());

    // Host names and SNI compare without regard to case, as DNS does.
    bool caseless = ignore_case_ || sk.field == FieldKind::kHost || sk.field == FieldKind::kSni;
    for (size_t i = 0; i < items.size(); ++i) {
      Pattern pat;
      pat.expr = to_expression(sk.match, items[i].text);
      pat.flags = HS_FLAG_SINGLEMATCH | (caseless ? HS_FLAG_CASELESS : 0u);
      // An expression that can match the empty string needs ALLOWEMPTY; it
      // costs nothing for the others.
      if (sk.match == MatchKind::kReg || items[i].text.empty()) pat.flags |= HS_FLAG_ALLOWEMPTY;
      pat.id = pred;
      pat.written = items[i].text;
      pat.origin = origins[i];
      pat.acl = name_;
      pat.node = items[i].node;
      (*patterns_)[p.field].push_back(std::move(pat));
    }
    return true;
  }

  bool parse_source(const gantry::Config& table, uint32_t pred, const gantry::Config& pred_node) {
    if (!only_options(table, "src", {"file"})) return false;
    std::vector<CfgItem> items;
    std::vector<std::string> origins;
    if (!collect(table, pred_node, &items, &origins)) return false;
    Predicate& p = cfg_->preds[pred];
    p.kind = PredKind::kSource;
    p.cidrs = std::make_unique<CidrSet>();
    for (size_t i = 0; i < items.size(); ++i) {
      std::string why;
      if (!p.cidrs->add(items[i].text, &why)) {
        std::string where = origins[i].empty() ? "" : " (" + origins[i] + ")";
        return r_.fail(items[i].node, what_ + ": " + why + where);
      }
    }
    return true;
  }

  const CfgReader& r_;
  AclConfig* cfg_;
  std::vector<std::vector<Pattern>>* patterns_;
  std::string name_;
  std::string what_;
  bool ignore_case_ = false;
};

bool parse_response(const CfgReader& r, const gantry::Config& t, const std::string& what,
                    LocalResponse* out) {
  if (!r.check_keys(t, what, {"status", "headers", "body"})) return false;
  if (gantry::Config s = t["status"]) {
    int64_t v = 0;
    if (!r.integer(s, what + ".status", &v)) return false;
    if (v < 100 || v > 599) return r.fail(s, what + ".status: must be 100..599");
    out->status = static_cast<int32_t>(v);
  }
  if (gantry::Config h = t["headers"]) {
    if (!r.is(h, GANTRY_CFG_TABLE)) return r.fail(h, what + ".headers: expected a table");
    // request_eval.cc hands at most 32 headers (with Location) to respond().
    if (h.size() > 30) return r.fail(h, what + ".headers: at most 30 headers");
    for (size_t i = 0; i < h.size(); ++i) {
      auto [k, v] = h.entry(i);
      std::string key(k);
      std::string value;
      if (!valid_header_name(key)) return r.fail(v, what + ": invalid header name \"" + key + "\"");
      if (!r.string(v, what + ".headers." + key, &value)) return false;
      out->headers.emplace_back(key, value);
    }
  }
  if (gantry::Config b = t["body"])
    if (!r.string(b, what + ".body", &out->body)) return false;
  return true;
}

bool parse_deny(const CfgReader& r, const gantry::Config& node, const std::string& what,
                LocalResponse* out) {
  out->status = 403;
  out->body = "Forbidden\n";
  out->headers = {{"Content-Type", "text/plain"}};
  if (r.is(node, GANTRY_CFG_BOOL)) {
    bool v = false;
    if (!r.boolean(node, what, &v)) return false;
    if (!v) return r.fail(node, what + ": deny = false means nothing; remove the key");
    return true;
  }
  if (r.is(node, GANTRY_CFG_INT)) {
    int64_t v = 0;
    if (!r.integer(node, what, &v)) return false;
    if (v < 200 || v > 599) return r.fail(node, what + ": status must be 200..599");
    out->status = static_cast<int32_t>(v);
    out->body = "Denied\n";
    return true;
  }
  if (r.is(node, GANTRY_CFG_TABLE)) return parse_response(r, node, what, out);
  return r.fail(node, what + ": expected true, a status code or a {status, headers, body} table");
}

bool parse_redirect(const CfgReader& r, const gantry::Config& t, const std::string& what,
                    Redirect* out) {
  if (!r.is(t, GANTRY_CFG_TABLE)) return r.fail(t, what + ": expected a table");
  if (!r.check_keys(t, what, {"location", "scheme", "prefix", "code", "drop_query"})) return false;
  int kinds = 0;
  const std::pair<const char*, Redirect::Kind> kKinds[] = {{"location", Redirect::Kind::kLocation},
                                                           {"scheme", Redirect::Kind::kScheme},
                                                           {"prefix", Redirect::Kind::kPrefix}};
  for (const auto& k : kKinds) {
    if (gantry::Config v = t[k.first]) {
      ++kinds;
      out->kind = k.second;
      if (!r.string(v, what + "." + k.first, &out->arg)) return false;
    }
  }
  if (kinds != 1) return r.fail(t, what + ": give exactly one of location, scheme, prefix");
  if (gantry::Config c = t["code"]) {
    int64_t v = 0;
    if (!r.integer(c, what + ".code", &v)) return false;
    if (v != 301 && v != 302 && v != 303 && v != 307 && v != 308)
      return r.fail(c, what + ".code: one of 301, 302, 303, 307, 308");
    out->code = static_cast<int32_t>(v);
  }
  if (gantry::Config d = t["drop_query"])
    if (!r.boolean(d, what + ".drop_query", &out->drop_query)) return false;
  return true;
}

bool parse_header_actions(const CfgReader& r, const gantry::Config& rule, const std::string& what,
                          Rule* out) {
  const std::pair<const char*, HeaderAction::Op> kOps[] = {{"del_header", HeaderAction::Op::kDel},
                                                          {"set_header", HeaderAction::Op::kSet},
                                                          {"add_header", HeaderAction::Op::kAdd}};
  // Deletions first, then sets, then adds, whatever the key order in the file.
  for (const auto& op : kOps) {
    gantry::Config node = rule[op.first];
    if (!node) continue;
    std::string w = what + "." + op.first;
    if (op.second == HeaderAction::Op::kDel) {
      std::vector<CfgItem> names;
      if (!r.string_list(node, w, &names)) return false;
      for (const CfgItem& n : names) {
        if (!valid_header_name(n.text)) return r.fail(n.node, w + ": invalid header name");
        out->header_actions.push_back({op.second, n.text, {}});
      }
      continue;
    }
    if (!r.is(node, GANTRY_CFG_TABLE)) return r.fail(node, w + ": expected a table of name = value");
    for (size_t i = 0; i < node.size(); ++i) {
      auto [k, v] = node.entry(i);
      std::string key(k);
      if (!valid_header_name(key)) return r.fail(v, w + ": invalid header name \"" + key + "\"");
      std::vector<CfgItem> values;
      if (!r.string_list(v, w + "." + key, &values)) return false;
      for (const CfgItem& val : values) {
        if (val.text.find_first_of("\r\n") != std::string::npos)
          return r.fail(val.node, w + ": header values may not contain CR or LF");
        out->header_actions.push_back({op.second, key, val.text});
      }
    }
  }
  return true;
}

bool parse_path_actions(const CfgReader& r, const gantry::Config& rule, const std::string& what,
                        Rule* out) {
  const std::pair<const char*, PathAction::Op> kOps[] = {{"set_path", PathAction::Op::kSet},
                                                        {"strip_prefix", PathAction::Op::kStripPrefix},
                                                        {"add_prefix", PathAction::Op::kAddPrefix}};
  for (const auto& op : kOps) {
    gantry::Config node = rule[op.first];
    if (!node) continue;
    PathAction a{op.second, {}};
    if (!r.string(node, what + "." + op.first, &a.arg)) return false;
    if (a.arg.find_first_of(" \t\r\n?#") != std::string::npos)
      return r.fail(node, what + "." + op.first + ": no blanks, '?' or '#' in a path");
    if (op.second != PathAction::Op::kStripPrefix && (a.arg.empty() || a.arg[0] != '/'))
      return r.fail(node, what + "." + op.first + ": must start with '/'");
    out->path_actions.push_back(std::move(a));
  }
  return true;
}

bool parse_rule(const CfgReader& r, const gantry::Config& t, size_t index, AclConfig* cfg) {
  std::string what = "rule " + std::to_string(index + 1);
  if (!r.is(t, GANTRY_CFG_TABLE)) return r.fail(t, what + ": expected a table");
  if (!r.check_keys(t, what,
                    {"name", "if", "unless", "use_backend", "deny", "redirect", "respond",
                     "set_header", "add_header", "del_header", "set_path", "strip_prefix",
                     "add_prefix"}))
    return false;
  Rule rule;
  if (gantry::Config n = t["name"]) {
    if (!r.string(n, what + ".name", &rule.name)) return false;
    what = "rule \"" + rule.name + "\"";
  }
  gantry::Config if_node = t["if"];
  gantry::Config unless_node = t["unless"];
  if (if_node && unless_node)
    return r.fail(unless_node, what + ": \"if\" and \"unless\" together");
  if (gantry::Config c = if_node ? if_node : unless_node) {
    std::string text;
    if (!r.string(c, what + (if_node ? ".if" : ".unless"), &text)) return false;
    std::string why;
    rule.cond = cfg->conditions.parse(
        text, [cfg](const std::string& name) { return cfg->acl_index(name); }, &why);
    if (rule.cond < 0) return r.fail(c, what + ": condition \"" + text + "\": " + why);
    rule.negate = static_cast<bool>(unless_node);
  }

  int finals = 0;
  if (gantry::Config b = t["use_backend"]) {
    ++finals;
    rule.final = Rule::Final::kUseBackend;
    if (!r.string(b, what + ".use_backend", &rule.backend)) return false;
    if (rule.backend.empty()) return r.fail(b, what + ".use_backend: empty backend name");
    if (!r.backend(b, what + ".use_backend", rule.backend, &rule.backend_index)) return false;
  }
  if (gantry::Config d = t["deny"]) {
    ++finals;
    rule.final = Rule::Final::kDeny;
    if (!parse_deny(r, d, what + ".deny", &rule.response)) return false;
  }
  if (gantry::Config d = t["redirect"]) {
    ++finals;
    rule.final = Rule::Final::kRedirect;
    if (!parse_redirect(r, d, what + ".redirect", &rule.redirect)) return false;
  }
  if (gantry::Config d = t["respond"]) {
    ++finals;
    rule.final = Rule::Final::kRespond;
    if (!r.is(d, GANTRY_CFG_TABLE)) return r.fail(d, what + ".respond: expected a table");
    if (!parse_response(r, d, what + ".respond", &rule.response)) return false;
  }
  if (finals > 1)
    return r.fail(t, what + ": at most one of use_backend, deny, redirect, respond");
  if (!parse_header_actions(r, t, what, &rule) || !parse_path_actions(r, t, what, &rule))
    return false;
  if (finals == 0 && rule.header_actions.empty() && rule.path_actions.empty())
    return r.fail(t, what + ": no action");
  cfg->rules.push_back(std::move(rule));
  return true;
}

// TRUE and FALSE exist unless the config defines ACLs by those names.
void add_builtin_acls(AclConfig* cfg) {
  for (bool value : {true, false}) {
    const char* name = value ? "TRUE" : "FALSE";
    if (cfg->acl_index(name) >= 0) continue;
    Predicate p;
    p.kind = PredKind::kConst;
    p.expect = value;
    cfg->preds.push_back(std::move(p));
    cfg->acls[cfg->acl_for(name)].preds.push_back(static_cast<uint32_t>(cfg->preds.size() - 1));
  }
}

}  // namespace

bool parse_module_config(const CfgReader& r, const gantry::Config& config, AclConfig* out,
                         std::vector<std::vector<Pattern>>* patterns) {
  if (gantry::Config acls = config["acl"]) {
    if (!r.is(acls, GANTRY_CFG_ARRAY)) return r.fail(acls, "acl: expected [[acl]] tables");
    for (size_t i = 0; i < acls.size(); ++i) {
      AclTableParser parser(r, out, patterns);
      if (!parser.parse(acls.at(i))) return false;
    }
  }
  patterns->resize(out->fields.size());
  add_builtin_acls(out);
  if (gantry::Config rules = config["rule"]) {
    if (!r.is(rules, GANTRY_CFG_ARRAY)) return r.fail(rules, "rule: expected [[rule]] tables");
    for (size_t i = 0; i < rules.size(); ++i) {
      if (!parse_rule(r, rules.at(i), i, out)) return false;
    }
  }
  if (gantry::Config d = config["default_backend"]) {
    if (!r.string(d, "default_backend", &out->default_backend)) return false;
    if (!out->default_backend.empty() &&
        !r.backend(d, "default_backend", out->default_backend, &out->default_index))
      return false;
  }
  out->index_rules();

  std::string cache_dir = "auto";
  if (gantry::Config c = config["cache_dir"])
    if (!r.string(c, "cache_dir", &cache_dir)) return false;
  if (r.check_only()) {
    // `gantry -t` compiles every pattern but neither reads nor writes (nor
    // creates) the cache: a check must leave the disk as it found it.
    out->cache_dir.clear();
  } else if (cache_dir == "auto") {
    out->cache_dir = default_cache_dir();
  } else if (cache_dir == "off" || cache_dir.empty()) {
    out->cache_dir.clear();
  } else {
    out->cache_dir = r.resolve_path(cache_dir);
  }
  return true;
}

void AclConfig::index_rules() {
  run_of_rule.assign(rules.size(), -1);
  rules_of_pred.assign(preds.size(), {});
  for (uint32_t i = 0; i < rules.size(); ++i) {
    const Rule& rule = rules[i];
    if (rule.cond < 0 || rule.negate) continue;
    const CondNode& root = conditions.node(static_cast<uint32_t>(rule.cond));
    if (root.op != CondNode::Op::kAcl) continue;
    const Acl& acl = acls[root.acl];
    bool simple = !acl.preds.empty();
    for (uint32_t p : acl.preds) simple = simple && preds[p].kind == PredKind::kString;
    if (!simple) continue;
    if (i == 0 || run_of_rule[i - 1] < 0) {
      runs.push_back(RuleRun{i, i, {}});
    }
    RuleRun& run = runs.back();
    run.end = i + 1;
    run_of_rule[i] = static_cast<int32_t>(runs.size() - 1);
    for (uint32_t p : acl.preds) {
      if (rules_of_pred[p].empty() || rules_of_pred[p].back() != i) rules_of_pred[p].push_back(i);
      uint32_t f = preds[p].field;
      if (std::find(run.fields.begin(), run.fields.end(), f) == run.fields.end())
        run.fields.push_back(f);
    }
  }
}

uint32_t AclConfig::field_index(const FieldSpec& spec) {
  for (uint32_t i = 0; i < fields.size(); ++i)
    if (fields[i] == spec) return i;
  fields.push_back(spec);
  return static_cast<uint32_t>(fields.size() - 1);
}

int32_t AclConfig::acl_index(const std::string& name) const {
  auto it = acl_by_name.find(name);
  return it == acl_by_name.end() ? -1 : static_cast<int32_t>(it->second);
}

uint32_t AclConfig::acl_for(const std::string& name) {
  auto it = acl_by_name.find(name);
  if (it != acl_by_name.end()) return it->second;
  acls.push_back(Acl{name, {}});
  uint32_t idx = static_cast<uint32_t>(acls.size() - 1);
  acl_by_name.emplace(name, idx);
  return idx;
}

std::string FieldSpec::label() const {
  switch (kind) {
    case FieldKind::kPath: return "path";
    case FieldKind::kUrl: return "url";
    case FieldKind::kQuery: return "query";
    case FieldKind::kParam: return "urlp(" + arg + ")";
    case FieldKind::kHost: return "host";
    case FieldKind::kHeader: return "hdr(" + arg + ")";
    case FieldKind::kMethod: return "method";
    case FieldKind::kSni: return "sni";
  }
  return "?";
}

}  // namespace gantry::acl
