#include "field_matcher.h"

#include <chrono>

namespace gantry::acl {
namespace {

int on_match(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/,
             unsigned int /*flags*/, void* ctx) {
  auto* bits = static_cast<uint64_t*>(ctx);
  bits[id >> 6] |= uint64_t{1} << (id & 63);
  return 0;  // keep scanning: other predicates may match further on
}

DatabasePtr compile_field(const std::vector<Pattern>& patterns, BuildError* error) {
  std::vector<const char*> exprs;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  exprs.reserve(patterns.size());
  for (const Pattern& p : patterns) {
    exprs.push_back(p.expr.c_str());
    flags.push_back(p.flags);
    ids.push_back(p.id);
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* raw_err = nullptr;
  hs_error_t rc = hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                                   static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr,
                                   &db, &raw_err);
  CompileErrorPtr err(raw_err);
  if (rc != HS_SUCCESS) {
    error->pattern = err ? err->expression : -1;
    error->message = err && err->message ? err->message : "hs_compile_multi failed";
    return nullptr;
  }
  return DatabasePtr(db);
}

}  // namespace

bool FieldMatcher::build(const std::vector<std::vector<Pattern>>& per_field,
                         const std::vector<std::string>& labels, const DbCache& cache,
                         BuildStats* stats, BuildError* error,
                         std::vector<std::string>* warnings) {
  auto start = std::chrono::steady_clock::now();
  dbs_.clear();
  dbs_.resize(per_field.size());
  for (uint32_t f = 0; f < per_field.size(); ++f) {
    const std::vector<Pattern>& patterns = per_field[f];
    if (patterns.empty()) continue;
    stats->patterns += patterns.size();
    ++stats->databases;
    std::string canonical = canonical_pattern_set(labels[f], patterns);
    std::string warning;
    dbs_[f] = cache.load(canonical, &warning);
    if (!warning.empty()) warnings->push_back(warning);
    if (dbs_[f]) {
      ++stats->from_cache;
      continue;
    }
    error->field = f;
    dbs_[f] = compile_field(patterns, error);
    if (!dbs_[f]) return false;
    warning.clear();
    if (!cache.store(canonical, dbs_[f].get(), &warning)) warnings->push_back(warning);
  }
  for (const DatabasePtr& db : dbs_) {
    if (!db) continue;
    hs_scratch_t* s = prototype_.release();
    if (hs_alloc_scratch(db.get(), &s) != HS_SUCCESS) {
      error->message = "hs_alloc_scratch failed";
      return false;
    }
    prototype_.reset(s);
  }
  stats->compile_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return true;
}

ScratchPtr FieldMatcher::new_scratch(std::string* why) const {
  if (!prototype_) return nullptr;
  hs_scratch_t* s = nullptr;
  if (hs_clone_scratch(prototype_.get(), &s) != HS_SUCCESS) {
    *why = "hs_clone_scratch failed";
    return nullptr;
  }
  return ScratchPtr(s);
}

void FieldMatcher::scan(uint32_t field, const char* data, size_t len, hs_scratch_t* scratch,
                        uint64_t* bits) const {
  const hs_database_t* db = dbs_[field].get();
  if (db == nullptr) return;
  // Hyperscan wants a non-null pointer even for an empty value.
  static const char kEmpty[1] = {0};
  hs_scan(db, data != nullptr ? data : kEmpty, static_cast<unsigned>(len), 0, scratch, on_match,
          bits);
}

}  // namespace gantry::acl
