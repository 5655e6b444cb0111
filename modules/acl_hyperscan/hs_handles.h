#pragma once
// Owning handles for Hyperscan objects (Hyperscan and Vectorscan share this API).
#include <hs.h>

#include <memory>

namespace gantry::acl {

struct HsDatabaseFree {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
struct HsScratchFree {
  void operator()(hs_scratch_t* s) const { hs_free_scratch(s); }
};
struct HsCompileErrorFree {
  void operator()(hs_compile_error_t* e) const { hs_free_compile_error(e); }
};

using DatabasePtr = std::unique_ptr<hs_database_t, HsDatabaseFree>;
using ScratchPtr = std::unique_ptr<hs_scratch_t, HsScratchFree>;
using CompileErrorPtr = std::unique_ptr<hs_compile_error_t, HsCompileErrorFree>;

}  // namespace gantry::acl
