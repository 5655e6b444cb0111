#pragma once
// The parsed ACL configuration of one instance: predicates (one per [[acl]]
// table), named ACLs (a name may be given to several tables; they are OR'ed,
// as repeated `acl` lines are in HAProxy), conditions and rules. Immutable
// once instance_new returns.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cidr_set.h"
#include "condition.h"

namespace gantry::acl {

// The request value a string predicate looks at. One Hyperscan database is
// built per distinct (kind, arg) pair.
enum class FieldKind : uint8_t { kPath, kUrl, kQuery, kParam, kHost, kHeader, kMethod, kSni };

struct FieldSpec {
  FieldKind kind = FieldKind::kPath;
  std::string arg;  // header name (lowercase) for kHeader, parameter name for kParam
  std::string label() const;  // "path", "hdr(x-foo)", "urlp(id)" for logs and cache keys
  bool operator==(const FieldSpec& o) const { return kind == o.kind && arg == o.arg; }
};

enum class PredKind : uint8_t {
  kString,        // Hyperscan match on a field; the result comes from the field's scan
  kSource,        // client address in a CIDR set
  kTls,           // connection is (or is not) TLS
  kHeaderExists,  // the named header is present
  kConst,         // TRUE / FALSE, or a string predicate left without patterns
};

struct Predicate {
  PredKind kind = PredKind::kConst;
  uint32_t field = 0;       // kString: index into AclConfig::fields
  bool expect = false;      // kTls: wanted TLS state; kConst: the value
  std::string header;       // kHeaderExists: lowercase name
  std::unique_ptr<CidrSet> cidrs;  // kSource
};

struct Acl {
  std::string name;
  std::vector<uint32_t> preds;  // true if any of them is true
};

struct HeaderAction {
  enum class Op : uint8_t { kSet, kAdd, kDel };
  Op op = Op::kSet;
  std::string name;
  std::string value;
};

struct PathAction {
  enum class Op : uint8_t { kSet, kStripPrefix, kAddPrefix };
  Op op = Op::kSet;
  std::string arg;
};

struct LocalResponse {
  int32_t status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct Redirect {
  enum class Kind : uint8_t { kLocation, kScheme, kPrefix };
  Kind kind = Kind::kLocation;
  std::string arg;  // the location, the scheme, or the prefix
  int32_t code = 302;
  bool drop_query = false;
};

struct Rule {
  std::string name;  // optional; reported in the access log note "acl_rule"
  int32_t cond = -1;  // root node in AclConfig::conditions; -1: always
  bool negate = false;  // written with `unless`
  std::vector<HeaderAction> header_actions;
  std::vector<PathAction> path_actions;
  enum class Final : uint8_t { kNone, kUseBackend, kRespond, kRedirect, kDeny };
  Final final = Final::kNone;
  std::string backend;       // kUseBackend
  int32_t backend_index = -1;  // resolved at load; -1: the host routes by name
  LocalResponse response;    // kRespond and kDeny
  Redirect redirect;         // kRedirect
  int32_t hits_metric = -1;  // host metric counting the rule's matches; -1: none
};

// Consecutive rules of the form `if = "one_acl"` whose ACL has only string
// predicates. Instead of testing them one by one, the request walks the set
// bits of the bitset and jumps to the first rule one of them names, so a
// request that matches none of 10,000 such rules costs one pass over the
// bitset words, not 10,000 condition evaluations.
struct RuleRun {
  uint32_t begin = 0;
  uint32_t end = 0;             // one past the last rule
  std::vector<uint32_t> fields;  // every field the run's predicates read
};

struct AclConfig {
  int32_t default_hits_metric = -1;  // requests that fell through to default_backend
  std::vector<FieldSpec> fields;
  std::vector<Predicate> preds;
  std::vector<Acl> acls;
  std::unordered_map<std::string, uint32_t> acl_by_name;  // index into acls
  ConditionSet conditions;
  std::vector<Rule> rules;
  std::vector<RuleRun> runs;
  std::vector<int32_t> run_of_rule;                // per rule: index in runs, or -1
  std::vector<std::vector<uint32_t>> rules_of_pred;  // per predicate: simple rules using it, ascending
  std::string default_backend;  // empty: leave the request to later modules and core routes
  int32_t default_index = -1;
  std::string cache_dir;        // resolved; empty: no on-disk cache

  // Builds runs, run_of_rule and rules_of_pred once the rules are parsed.
  void index_rules();
  // Index of the field, adding it if new.
  uint32_t field_index(const FieldSpec& spec);
  // Index of the ACL named `name`, or -1.
  int32_t acl_index(const std::string& name) const;
  // Index of the ACL named `name`, created empty if new.
  uint32_t acl_for(const std::string& name);
};

}  // namespace gantry::acl
