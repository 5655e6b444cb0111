#pragma once
// On-disk cache of compiled Hyperscan databases. A file is named after a
// hash of the field's canonical pattern set and holds that canonical text in
// full, compared byte for byte on load, so a hash collision can never hand a
// request the wrong database. Every failure here is a warning for the caller:
// the database is then compiled as if there were no cache.
#include <string>
#include <vector>

#include "hs_handles.h"
#include "patterns.h"

namespace gantry::acl {

// Everything that determines the compiled bytes: library version, target
// platform, field label, and each pattern's id, flags and expression.
std::string canonical_pattern_set(const std::string& label, const std::vector<Pattern>& patterns);

// The default directory: /var/cache/gantry/acl when it can be created and
// written, else $TMPDIR/gantry-acl-cache (or /tmp/...).
std::string default_cache_dir();

class DbCache {
 public:
  explicit DbCache(std::string dir) : dir_(std::move(dir)) {}
  bool enabled() const { return !dir_.empty(); }
  // Null when absent or unusable; *warning is set when a file was present
  // but could not be used.
  DatabasePtr load(const std::string& canonical, std::string* warning) const;
  bool store(const std::string& canonical, const hs_database_t* db, std::string* warning) const;

 private:
  std::string path_for(const std::string& canonical) const;
  std::string dir_;
};

}  // namespace gantry::acl
