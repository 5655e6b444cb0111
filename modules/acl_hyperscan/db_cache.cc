#include "db_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

namespace gantry::acl {
namespace {

constexpr char kMagic[8] = {'G', 'A', 'C', 'L', 'D', 'B', '1', '\n'};

uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

void put_u64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool get_u64(const std::string& in, size_t* pos, uint64_t* v) {
  if (in.size() - *pos < 8) return false;
  *v = 0;
  for (int i = 0; i < 8; ++i)
    *v |= static_cast<uint64_t>(static_cast<unsigned char>(in[*pos + i])) << (8 * i);
  *pos += 8;
  return true;
}

// mkdir -p, tolerating directories that already exist.
bool make_dirs(const std::string& dir) {
  std::string partial;
  size_t i = 0;
  while (i <= dir.size()) {
    size_t slash = dir.find('/', i);
    if (slash == std::string::npos) slash = dir.size();
    partial = dir.substr(0, slash);
    if (!partial.empty() && mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) return false;
    i = slash + 1;
  }
  return true;
}

bool writable_dir(const std::string& dir) {
  return make_dirs(dir) && access(dir.c_str(), W_OK | X_OK) == 0;
}

}  // namespace

std::string canonical_pattern_set(const std::string& label, const std::vector<Pattern>& patterns) {
  hs_platform_info_t plat{};
  hs_populate_platform(&plat);
  std::string out = "gantry-acl v1\nhyperscan ";
  out += hs_version();
  out += "\nplatform " + std::to_string(plat.tune) + " " + std::to_string(plat.cpu_features) +
         "\nfield " + label + "\n";
  for (const Pattern& p : patterns) {
    out += std::to_string(p.id) + " " + std::to_string(p.flags) + " " +
           std::to_string(p.expr.size()) + " " + p.expr + "\n";
  }
  return out;
}

std::string default_cache_dir() {
  const std::string system_dir = "/var/cache/gantry/acl";
  if (writable_dir(system_dir)) return system_dir;
  const char* tmp = std::getenv("TMPDIR");
  std::string base = (tmp != nullptr && tmp[0] != '\0') ? tmp : "/tmp";
  return base + "/gantry-acl-cache";
}

std::string DbCache::path_for(const std::string& canonical) const {
  char name[32];
  std::snprintf(name, sizeof(name), "/acl-%016llx.hsdb",
                static_cast<unsigned long long>(fnv1a64(canonical)));
  return dir_ + name;
}

DatabasePtr DbCache::load(const std::string& canonical, std::string* warning) const {
  if (!enabled()) return nullptr;
  std::string path = path_for(canonical);
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;  // not cached yet: not worth a warning
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t pos = sizeof(kMagic);
  uint64_t canon_len = 0;
  uint64_t db_len = 0;
  if (data.size() < sizeof(kMagic) || std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0 ||
      !get_u64(data, &pos, &canon_len) || data.size() - pos < canon_len) {
    *warning = "ignoring malformed cache file " + path;
    return nullptr;
  }
  if (data.compare(pos, canon_len, canonical) != 0 || canon_len != canonical.size()) {
    *warning = "cache file " + path + " holds another pattern set; recompiling";
    return nullptr;
  }
  pos += canon_len;
  if (!get_u64(data, &pos, &db_len) || data.size() - pos != db_len) {
    *warning = "ignoring truncated cache file " + path;
    return nullptr;
  }
  hs_database_t* db = nullptr;
  if (hs_deserialize_database(data.data() + pos, db_len, &db) != HS_SUCCESS) {
    *warning = "cannot deserialize cache file " + path + "; recompiling";
    return nullptr;
  }
  return DatabasePtr(db);
}

bool DbCache::store(const std::string& canonical, const hs_database_t* db,
                    std::string* warning) const {
  if (!enabled()) return true;
  if (!make_dirs(dir_)) {
    *warning = "cannot create cache directory " + dir_ + ": " + std::strerror(errno);
    return false;
  }
  char* bytes = nullptr;
  size_t len = 0;
  if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) {
    *warning = "cannot serialize database for the cache";
    return false;
  }
  std::string blob(kMagic, sizeof(kMagic));
  put_u64(&blob, canonical.size());
  blob += canonical;
  put_u64(&blob, len);
  blob.append(bytes, len);
  std::free(bytes);  // hs_serialize_database allocates with the default allocator (malloc)

  // Write a private temporary file, then rename: a concurrent reader sees the
  // old file or the complete new one, never a partial write.
  std::string final_path = path_for(canonical);
  std::string tmp_path = final_path + ".tmp." + std::to_string(getpid());
  int fd = open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *warning = "cannot write cache file " + tmp_path + ": " + std::strerror(errno);
    return false;
  }
  size_t off = 0;
  while (off < blob.size()) {
    ssize_t n = write(fd, blob.data() + off, blob.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  bool ok = off == blob.size();
  if (close(fd) != 0) ok = false;
  if (!ok || rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    *warning = "cannot write cache file " + final_path + ": " + std::strerror(errno);
    unlink(tmp_path.c_str());
    return false;
  }
  return true;
}

}  // namespace gantry::acl
