// A main for the fuzz targets in builds without libFuzzer: replays every file
// of the given corpus directories (or single files, e.g. a crash reproducer)
// through LLVMFuzzerTestOneInput, then a fixed number of deterministic
// mutations of each seed. The same inputs run on every build, so a failure is
// reproducible by rerunning the test.
//
// Seeds read from a directory name the verdict the target must reach on
// them (fuzz_support.h): ok_* accepted, bad_* rejected, part_* incomplete.
//
//   usage: <target>_replay [--mutations N] [--seed S] PATH...
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Present when a sanitizer runtime is linked (gcc and clang alike).
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));
// Defined by the targets that link fuzz_support.cc.
extern "C" int gantry_fuzz_verdict() __attribute__((weak));
extern "C" int gantry_fuzz_replay_end() __attribute__((weak));

// UBSan findings abort (and so reach the SIGABRT hook that saves the input)
// instead of exiting quietly; gcc links UBSan as a runtime of its own that
// ignores the ASan death callback.
extern "C" __attribute__((visibility("default"))) const char* __ubsan_default_options() { return "abort_on_error=1:print_stacktrace=1"; }

namespace {

// splitmix64: tiny, seedable and the same everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }

 private:
  uint64_t s_;
};

// Fragments that matter to HTTP and TOML framing; inserting them reaches
// interesting states far faster than random bytes.
const char* const kTokens[] = {
    "\r\n", "\n", "\r", " ", "\t", ":", ";", ",", "=", "\"", "'", "[", "]", "{", "}", "[[",
    "\r\n\r\n", "0\r\n\r\n", "\r\n ", "\x00", "\xff", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0",
    "Content-Length: ", "Transfer-Encoding: chunked", "Transfer-Encoding: ", "chunked",
    "Connection: close", "Connection: upgrade", "Upgrade: websocket", "Host: a\r\n",
    "Expect: 100-continue", "18446744073709551616", "99999999999999999999", "-1", "0x",
    "ffffffffffffffff", "GET / HTTP/1.1\r\n", "HTTP/1.1 200 OK\r\n", "HTTP/1.1 100 Continue\r\n\r\n",
    "[[listener]]\n", "[[backend]]\n", "[[route]]\n", "[[module]]\n", "[limits]\n", "[timeouts]\n",
    "name = \"x\"\n", "bind = \"127.0.0.1:0\"\n", "servers = [\"127.0.0.1:1\"]\n", "\"\"\"",
    "1e999", "inf", "nan", "\\u0000", "\\", "#", "true", "1979-05-27T07:32:00Z",
};

std::string mutate(const std::string& in, const std::vector<std::string>& seeds, Rng& rng) {
  std::string s = in;
  size_t steps = 1 + rng.below(4);
  for (size_t i = 0; i < steps; ++i) {
    size_t pos = rng.below(s.size() + 1);
    switch (rng.below(9)) {
      case 0:  // flip a bit
        if (!s.empty()) s[rng.below(s.size())] ^= static_cast<char>(1u << rng.below(8));
        break;
      case 1:  // overwrite a byte
        if (!s.empty()) s[rng.below(s.size())] = static_cast<char>(rng.next());
        break;
      case 2:  // insert a random byte
        s.insert(s.begin() + static_cast<long>(pos), static_cast<char>(rng.next()));
        break;
      case 3: {  // delete a range
        size_t n = std::min(s.size() - std::min(pos, s.size()), 1 + rng.below(16));
        s.erase(pos, n);
        break;
      }
      case 4: {  // duplicate a range (repeated headers, pipelining)
        if (s.empty()) break;
        size_t from = rng.below(s.size());
        size_t n = 1 + rng.below(std::min<size_t>(s.size() - from, 64));
        s.insert(pos, s.substr(from, n));
        break;
      }
      case 5:
      case 6: {  // insert a framing token
        const char* t = kTokens[rng.below(std::size(kTokens))];
        s.insert(pos, t[0] == '\0' ? std::string(1, '\0') : std::string(t));
        break;
      }
      case 7: {  // splice with another seed
        const std::string& o = seeds[rng.below(seeds.size())];
        size_t from = rng.below(o.size() + 1);
        s = s.substr(0, pos) + o.substr(from);
        break;
      }
      case 8:  // truncate
        s.resize(pos);
        break;
    }
  }
  // Keep inputs small so the run stays quick under sanitizers.
  if (s.size() > 65536) s.resize(65536);
  return s;
}

bool read_file(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out->assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

struct SeedFile {
  std::string path;
  bool from_dir = false;  // a corpus seed, which must name its verdict
};

// Files of a directory (not recursive), sorted so runs are reproducible.
bool collect(const std::string& path, std::vector<SeedFile>* files) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  if (S_ISREG(st.st_mode)) {
    files->push_back({path, false});
    return true;
  }
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return false;
  std::vector<std::string> found;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string p = path + "/" + e->d_name;
    if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode)) found.push_back(p);
  }
  ::closedir(d);
  std::sort(found.begin(), found.end());
  for (std::string& f : found) files->push_back({std::move(f), true});
  return true;
}

const char* const kVerdictNames[] = {"no verdict", "accepted", "rejected", "incomplete", "open finding"};
constexpr int kVerdictOpen = 4;  // an open finding cut the checks short: any promise holds

// The verdict a seed's file name promises (fuzz_support.h), 0 for none.
int promised_verdict(const std::string& path) {
  std::string base = path.substr(path.rfind('/') + 1);
  const char* const kPrefixes[] = {"ok_", "bad_", "part_"};
  for (int i = 0; i < 3; ++i)
    if (base.compare(0, std::strlen(kPrefixes[i]), kPrefixes[i]) == 0) return i + 1;
  return 0;
}

// Whether the seed got the verdict its name promises; prints why not.
bool verdict_as_promised(const SeedFile& f) {
  if (gantry_fuzz_verdict == nullptr) return true;  // the target reports none
  int promised = promised_verdict(f.path);
  if (promised == 0) {
    if (!f.from_dir) return true;
    std::fprintf(stderr, "FAIL %s: a seed's name starts with ok_, bad_ or part_\n", f.path.c_str());
    return false;
  }
  int got = gantry_fuzz_verdict();
  if (got == promised || got == kVerdictOpen) return true;
  std::fprintf(stderr, "FAIL %s: %s, expected %s\n", f.path.c_str(),
               kVerdictNames[got >= 0 && got <= 4 ? got : 0], kVerdictNames[promised]);
  return false;
}

// The input being run, saved to kCrashFile if the process dies on it, so a
// failing mutation can be replayed and debugged on its own.
const char kCrashFile[] = "replay-crash-input";
const std::string* g_current = nullptr;

void save_current() {
  static volatile sig_atomic_t saved = 0;
  if (g_current == nullptr || saved) return;
  saved = 1;
  // Only async-signal-safe calls: this may run from a signal handler.
  int fd = ::open(kCrashFile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  ssize_t w = ::write(fd, g_current->data(), g_current->size());
  (void)w;
  ::close(fd);
  const char msg[] = "replay: the failing input is in ./replay-crash-input\n";
  w = ::write(2, msg, sizeof msg - 1);
  (void)w;
}

void on_fatal_signal(int sig) {
  save_current();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void install_crash_hooks() {
  ::signal(SIGABRT, on_fatal_signal);  // failed invariants
  if (__sanitizer_set_death_callback != nullptr) {
    // The sanitizer reports faults itself; taking its SIGSEGV handler away
    // would lose the report.
    __sanitizer_set_death_callback(save_current);
    return;
  }
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) ::signal(sig, on_fatal_signal);
}

void run(const std::string& input) {
  g_current = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  g_current = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  size_t mutations = 2000;
  uint64_t seed = 0x67616e747279ull;
  std::vector<SeedFile> files;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--mutations" && i + 1 < argc) {
      mutations = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 0);
    } else if (!collect(std::string(a), &files)) {
      std::fprintf(stderr, "cannot read %s\n", argv[i]);
      return 2;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s [--mutations N] [--seed S] CORPUS_DIR_OR_FILE...\n", argv[0]);
    return 2;
  }

  install_crash_hooks();
  std::vector<std::string> seeds;
  size_t broken_promises = 0;
  for (const SeedFile& f : files) {
    std::string data;
    if (!read_file(f.path, &data)) {
      std::fprintf(stderr, "cannot read %s\n", f.path.c_str());
      return 2;
    }
    // Print before running: if the input crashes, the log names it.
    std::fprintf(stderr, "replay %s (%zu bytes)\n", f.path.c_str(), data.size());
    run(data);
    if (!verdict_as_promised(f)) ++broken_promises;
    seeds.push_back(std::move(data));
  }

  size_t runs = seeds.size();
  for (size_t i = 0; i < seeds.size(); ++i) {
    // One stream per seed: a failing mutation is reproducible from its seed
    // file, its index and --seed alone.
    Rng rng(seed ^ (0x9e3779b97f4a7c15ull * (i + 1)));
    for (size_t m = 0; m < mutations; ++m) {
      std::string input = mutate(seeds[i], seeds, rng);
      run(input);
      ++runs;
    }
  }
  if (gantry_fuzz_replay_end != nullptr && gantry_fuzz_replay_end() != 0) return 1;
  if (broken_promises > 0) {
    std::fprintf(stderr, "%zu seed(s) did not get the verdict their name promises\n", broken_promises);
    return 1;
  }
  std::fprintf(stderr, "ok: %zu seed files, %zu inputs run\n", seeds.size(), runs);
  return 0;
}
