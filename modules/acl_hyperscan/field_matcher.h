#pragma once
// One Hyperscan database per request field, compiled with hs_compile_multi
// from every pattern of every ACL on that field. Patterns of one predicate
// share its id and carry HS_FLAG_SINGLEMATCH, so a scan reports each true
// predicate at most once and the result is a bitset indexed by predicate.
#include <cstdint>
#include <string>
#include <vector>

#include "db_cache.h"
#include "hs_handles.h"
#include "patterns.h"

namespace gantry::acl {

struct BuildStats {
  size_t patterns = 0;
  size_t databases = 0;
  size_t from_cache = 0;
  double compile_ms = 0;  // wall time of the whole build, cache reads included
};

struct BuildError {
  uint32_t field = 0;
  int32_t pattern = -1;  // index in that field's pattern list, -1 if not pattern-specific
  std::string message;   // Hyperscan's words
};

class FieldMatcher {
 public:
  // per_field[f] are the patterns of field f (may be empty); labels[f] names it.
  bool build(const std::vector<std::vector<Pattern>>& per_field,
             const std::vector<std::string>& labels, const DbCache& cache, BuildStats* stats,
             BuildError* error, std::vector<std::string>* warnings);

  // One scratch usable with every database; null if there is none.
  ScratchPtr new_scratch(std::string* why) const;

  bool has_database(uint32_t field) const { return dbs_[field] != nullptr; }

  // Sets bit `id` of `bits` for every predicate whose pattern matches.
  // THREAD: any, with a scratch no other thread uses at the same time.
  void scan(uint32_t field, const char* data, size_t len, hs_scratch_t* scratch,
            uint64_t* bits) const;

 private:
  std::vector<DatabasePtr> dbs_;
  ScratchPtr prototype_;
};

}  // namespace gantry::acl
