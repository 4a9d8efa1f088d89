#include "symbolize.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <spawn.h>
#include <sys/auxv.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <list>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "errors.h"
#include "parser/proto.h"

extern char** environ;

namespace perfscope {
namespace sym {
namespace {

// Bounds: everything read here comes from files and processes we do not trust (the parser
// process has its own, native/parser/parse.h; docs/stacks.md lists both).
constexpr size_t kMaxParsed = 512;             // files whose tables are held at once (LRU)
constexpr size_t kMaxName = 4096;              // longer names are cut
constexpr size_t kMaxSyms = 1 << 22;           // symbols per file (as the parser's bound)
constexpr size_t kMaxPhdrs = 4096;
constexpr size_t kMaxText = 64 << 20;          // maps, status
constexpr size_t kMaxKallsyms = 256 << 20;
constexpr size_t kMaxVdso = 1 << 20;
constexpr size_t kAddrCacheMax = 1 << 16;      // per handle and per file, then cleared
constexpr int kMaxPid = 4194304;               // PID_MAX_LIMIT
constexpr size_t kMaxHeldFds = 1024;           // descriptors of mapped files and debug files held
constexpr size_t kMaxCandidates = 8;           // debug-file candidates handed over per file
constexpr size_t kPerfMapEntries = 1 << 18;    // entries of one process's perf map held
constexpr size_t kPerfMapNames = 16 << 20;     // and the bytes of their names
constexpr size_t kPerfMapEntriesTotal = 1 << 20;  // all processes'
constexpr size_t kPerfMapNamesTotal = 64 << 20;
constexpr int64_t kPerfMapMinGapNs = 1000000000;  // a perf map re-read at most once a second...
constexpr int64_t kPerfMapGapFactor = 10;         // ...and at most a tenth of the time
// Per request to the parser: past it the parser is killed (and restarted for the next one).
constexpr int64_t kElfTimeoutNs = 10000000000;
constexpr int64_t kDebugTimeoutNs = 10000000000;
constexpr int64_t kDwarfTimeoutNs = 2000000000;
constexpr int64_t kCfiTimeoutNs = 10000000000;
constexpr size_t kMaxCfiRows = 1 << 22;        // as the parser's bound
constexpr size_t kMaxUnwind = 127;             // frames of one unwound stack
constexpr int64_t kPerfMapTimeoutNs = 5000000000;
constexpr int64_t kRespawnGapNs = 1000000000;  // a parser that cannot be started is tried again after this
int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct UniqueFd {
  int fd = -1;
  UniqueFd() = default;
  explicit UniqueFd(int f) : fd(f) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset(o.fd);
      o.fd = -1;
    }
    return *this;
  }
  ~UniqueFd() { reset(); }
  void reset(int f = -1) {
    if (fd >= 0) close(fd);
    fd = f;
  }
};

// A whole file (procfs files have st_size 0), at most max bytes.
bool ReadAll(int fd, std::string* out, size_t max) {
  out->clear();
  char buf[65536];
  while (out->size() < max) {
    ssize_t n = read(fd, buf, std::min(sizeof buf, max - out->size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    out->append(buf, size_t(n));
  }
  return true;
}

// A regular file only (a FIFO would block, a device is not a symbol file).
int KeepRegular(int fd) {
  struct stat st;
  if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
    close(fd);
    return -1;
  }
  return fd;
}

int OpenRegular(const std::string& path) {
  return KeepRegular(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
}

// PATH (absolute) inside another process's root: every symlink resolves inside that root,
// as it would for the process itself (RESOLVE_IN_ROOT), so a hostile link cannot point us at
// one of our own files. No openat2 (kernels before 5.6): no fallback, the lookup fails.
int OpenInRoot(int rootfd, const std::string& path) {
  if (rootfd < 0) return -1;
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const char* rel = path.c_str();
  while (*rel == '/') rel++;
  if (!*rel) return -1;
  return KeepRegular(int(syscall(SYS_openat2, rootfd, rel, &how, sizeof how)));
}

// A path from /proc/PID/maps may be used under /proc/PID/root only when it is absolute and
// has no ".." component.
bool SafePath(std::string_view p) {
  if (p.empty() || p[0] != '/' || p.find('\0') != std::string_view::npos) return false;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    if (p.substr(i, j - i) == "..") return false;
    i = j + 1;
  }
  return true;
}

// A .gnu_debuglink name: one path component.
bool SafeLinkName(const char* s) {
  size_t n = strnlen(s, 256);
  return n > 0 && n < 256 && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

std::string DirName(const std::string& p) {
  size_t k = p.rfind('/');
  return k == std::string::npos || k == 0 ? std::string() : p.substr(0, k);
}

std::string Hex(std::string_view bytes) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

std::string Cut(const char* s) { return std::string(s, strnlen(s, kMaxName)); }


// Bytes from a file or another process, as valid UTF-8: each byte of an invalid sequence
// becomes U+FFFD (the terminal escaping is the TypeScript layer's).
std::string ValidUtf8(std::string_view s) {
  if (std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    if (c < 0x80) {
      out += char(c);
      i++;
      continue;
    }
    size_t n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    bool ok = n > 0 && i + n < s.size();
    for (size_t k = 1; ok && k <= n; k++) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (ok) {
      unsigned char c1 = s[i + 1];
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0) || (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 >= 0x90))
        ok = false;
    }
    if (ok) {
      out.append(s.data() + i, n + 1);
      i += n + 1;
    } else {
      out += "\xef\xbf\xbd";
      i++;
    }
  }
  return out;
}


uint64_t Fnv(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// This process's own vDSO image: the same kernel maps the same one into every process of
// its ABI.
const std::string& SelfVdso() {
  static std::string image;
  static bool done = false;
  if (done) return image;
  done = true;
  uintptr_t base = getauxval(AT_SYSINFO_EHDR);
  UniqueFd fd(open("/proc/self/maps", O_RDONLY | O_CLOEXEC));
  std::string maps;
  if (!base || fd.fd < 0 || !ReadAll(fd.fd, &maps, kMaxText)) return image;
  size_t pos = 0;
  while (pos < maps.size()) {
    size_t eol = maps.find('\n', pos);
    if (eol == std::string::npos) eol = maps.size();
    std::string line = maps.substr(pos, eol - pos);
    pos = eol + 1;
    unsigned long long start, end;
    if (line.size() > 7 && line.compare(line.size() - 6, 6, "[vdso]") == 0 &&
        sscanf(line.c_str(), "%llx-%llx", &start, &end) == 2 && start == base && end > start && end - start <= kMaxVdso)
      image.assign(reinterpret_cast<const char*>(base), size_t(end - start));
  }
  return image;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Tables of one file, as the parser process sent them (checked on arrival): plain arrays,
// looked up here; nothing of the file itself is read in this process.

struct Sym {
  uint64_t addr;
  uint64_t end;   // exclusive
  uint32_t name;  // offset in Tables::names (demangled by the parser)
  uint8_t rank;
};

struct Segment {
  uint64_t off, filesz, vaddr;
};

struct DwFrame {
  std::string name, file;
  uint32_t line = 0;
  uint64_t low = 0;
  bool has_low = false;
};

// Call-frame information as the parser compiles it (native/parser/parse.h, CfiRow).
struct CfiRow {
  uint64_t pc;  // ELF virtual address; holds up to the next row's
  int32_t cfa_off, rbp_off, ra_off;
  uint8_t kind, rbp, ra;
  bool operator==(const CfiRow& o) const {
    return pc == o.pc && cfa_off == o.cfa_off && rbp_off == o.rbp_off && ra_off == o.ra_off && kind == o.kind && rbp == o.rbp && ra == o.ra;
  }
};
enum : uint8_t { kCfiGap = 0, kCfiRsp = 1, kCfiRbp = 2, kCfiUnknown = 3 };
enum : uint8_t { kRegSame = 0, kRegAt = 1, kRegUndef = 2 };
enum : uint8_t { kCfiNone = 0, kCfiOk = 1, kCfiCorrupt = 2 };  // Tables::cfi_state

struct Tables {
  std::vector<Segment> segs;
  std::vector<CfiRow> cfi;     // sorted by pc, strictly increasing
  uint8_t cfi_state = kCfiNone;
  std::vector<Sym> syms;
  std::string names;
  bool dwarf = false;  // the parser can be asked for this file's DWARF
  std::string build_id;
  std::string build_hex;  // build_id in lowercase hex (as `readelf -n` shows it), for frames
  uint64_t digest = 0;  // of all the above (computed on the worker): a key to find an equal table

  // Equal content: then one table serves both files (two containers' copies of one library).
  bool Same(const Tables& o) const {
    return digest == o.digest && dwarf == o.dwarf && build_id == o.build_id && names == o.names && segs.size() == o.segs.size() &&
           cfi_state == o.cfi_state && cfi == o.cfi &&
           syms.size() == o.syms.size() && memcmp(segs.data(), o.segs.data(), segs.size() * sizeof(Segment)) == 0 &&
           std::equal(syms.begin(), syms.end(), o.syms.begin(), [](const Sym& a, const Sym& b) {
             return a.addr == b.addr && a.end == b.end && a.name == b.name && a.rank == b.rank;
           });
  }

  size_t Bytes() const {
    return sizeof(*this) + segs.capacity() * sizeof(Segment) + syms.capacity() * sizeof(Sym) + names.capacity() +
           cfi.capacity() * sizeof(CfiRow);
  }

  // The call-frame row holding vaddr, or null (none: no CFI there).
  const CfiRow* FindCfi(uint64_t v) const {
    auto it = std::upper_bound(cfi.begin(), cfi.end(), v, [](uint64_t x, const CfiRow& r) { return x < r.pc; });
    if (it == cfi.begin()) return nullptr;
    --it;
    return it->kind == kCfiGap ? nullptr : &*it;
  }

  // File offset -> ELF virtual address, through the PT_LOAD segment holding that offset.
  bool Translate(uint64_t off, uint64_t* vaddr) const {
    for (const Segment& s : segs) {
      if (off >= s.off && off - s.off < s.filesz) {
        *vaddr = s.vaddr + (off - s.off);
        return true;
      }
    }
    return false;
  }

  // The innermost symbol covering vaddr, or null (past a symbol's size, or in a gap).
  const Sym* Find(uint64_t v) const {
    auto it = std::upper_bound(syms.begin(), syms.end(), v, [](uint64_t x, const Sym& s) { return x < s.addr; });
    for (int k = 0; k < 8 && it != syms.begin(); k++) {
      --it;
      if (v < it->end) return &*it;
    }
    return nullptr;
  }
};

struct JitSym {
  uint64_t start, end;
  uint32_t name, seq;
};

struct PerfMap {
  std::vector<JitSym> syms;
  std::string names;
  int64_t mtime = -1, size = -1;
  const JitSym* Find(uint64_t v) const {
    auto it = std::upper_bound(syms.begin(), syms.end(), v, [](uint64_t x, const JitSym& s) { return x < s.start; });
    const JitSym* best = nullptr;
    for (int k = 0; k < 8 && it != syms.begin(); k++) {  // overlaps: the line written last wins
      --it;
      if (v < it->end && (!best || it->seq > best->seq)) best = &*it;
    }
    return best;
  }
  size_t Bytes() const { return syms.capacity() * sizeof(JitSym) + names.capacity(); }
};

struct FileKey {
  uint64_t dev, ino;
  int64_t size, mtime;
  bool operator<(const FileKey& o) const {
    return std::tie(dev, ino, size, mtime) < std::tie(o.dev, o.ino, o.size, o.mtime);
  }
};

// What parsing a file needs, fixed once the file is opened: shared by its entry (main thread)
// and a job in flight (the worker), so either may go first.
struct Source {
  UniqueFd fd;                      // the file (the vDSO: a memfd of its image)
  std::string image;                // the vDSO's image (its identity)
  std::shared_ptr<UniqueFd> root;   // the root it was found under (for a .gnu_debuglink beside it)
  std::string path;                 // its path there, when safe to use
};

struct OutFrame {
  uint64_t addr = 0;
  bool has_sym = false;
  std::string sym;
  std::string module;
  uint64_t offset = 0;
  std::string file;
  uint32_t line = 0;
  std::string build_id;  // hex, of the module's file (its GNU build-id note), when it has one
  bool inlined = false;
  bool pending = false;
};

// Main thread only.
struct FileEntry {
  uint64_t id = 0;                  // never reused: a job's result finds its entry by it
  std::vector<FileKey> keys;
  std::shared_ptr<const Source> src;
  int users = 0;                    // handles that map it
  bool queued = false;              // handed to the worker, its tables not installed yet
  std::shared_ptr<const Tables> tables;  // null until parsed, and after an LRU eviction
  // The descriptor the parser reads the DWARF through (the file's own or its debug file's).
  std::shared_ptr<UniqueFd> dwarf_fd;
  bool dwarf_off = false;           // the parser failed on it: symbols only from now on
  // DWARF answers by ELF address (a handoff to the memo below), and those asked for.
  std::unordered_map<uint64_t, std::vector<DwFrame>> dw;
  std::set<uint64_t> dw_queued;
  // Lookups in these tables by file offset (and return-address bit), shared by every handle
  // that maps the file: a libc address every sleeping process has is walked once. Its
  // frames' addr and module are the asker's, set on the way out.
  std::unordered_map<uint64_t, std::vector<OutFrame>> memo;
  size_t memo_frames = 0;
  size_t fds = 0;                   // descriptors held (its own, its debug file's)
  std::list<FileEntry*>::iterator lru;
};

enum class Kind { File, Vdso, Anon, Special };

// How an unwound frame's address was found (Unwind()).
enum : uint8_t { kViaRegs = 0, kViaCfi = 1, kViaFp = 2, kViaFpCorrupt = 3, kViaFpPending = 4 };
// Why an unwind ended.
enum : uint8_t { kEndOutermost = 0, kEndCopy = 1, kEndDepth = 2, kEndBad = 3 };

struct UnwindOut {
  std::vector<uint64_t> addrs;  // leaf first
  std::vector<uint8_t> via;
  uint8_t end = kEndOutermost;
};

struct Mapping {
  uint64_t start, end, pgoff;
  Kind kind;
  std::string name;
  FileEntry* file = nullptr;
};

struct Proc {
  int handle = 0;
  int pid = 0, nspid = 0;
  UniqueFd procfd;                  // /proc/PID: fails once the process is gone (no pid reuse)
  std::shared_ptr<UniqueFd> root;   // /proc/PID/root
  std::vector<Mapping> maps;
  std::vector<FileEntry*> files;    // distinct, each counted once in users
  PerfMap perf;
  bool perf_queued = false;         // a read of its perf map is with the worker
  bool perf_loaded = false;
  int64_t perf_checked = INT64_MIN / 2;
  int64_t perf_gap = kPerfMapMinGapNs;
  std::unordered_map<uint64_t, std::vector<OutFrame>> cache;
};

struct KSym {
  uint64_t addr;
  uint32_t name, mod;  // mod: index in KernelTables::mods, 0 = the kernel
  uint8_t rank;
};

namespace {


struct KernelTables {
  std::vector<KSym> syms;
  std::string names;
  std::vector<std::string> mods;  // index 0: [kernel]
  uint64_t etext = 0;
  size_t Bytes() const {
    size_t b = sizeof(*this) + syms.capacity() * sizeof(KSym) + names.capacity();
    for (const std::string& m : mods) b += sizeof(m) + m.capacity();
    return b;
  }
};

// kallsyms read and sorted, on the worker thread (120k symbols: tens of milliseconds); null
// when cancelled. A file that cannot be read gives empty tables.
std::unique_ptr<KernelTables> LoadKallsyms(const std::string& path, const std::atomic<bool>& cancel) {
  auto k = std::make_unique<KernelTables>();
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  std::string text;
  if (fd.fd < 0 || !ReadAll(fd.fd, &text, kMaxKallsyms)) return k;
  if (cancel) return nullptr;
  k->mods.push_back("[kernel]");
  std::unordered_map<std::string, uint32_t> mods;
  bool nonzero = false;
  size_t pos = 0;
  for (size_t lines = 0; pos < text.size(); lines++) {
    if ((lines & 4095) == 0 && cancel) return nullptr;
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 1;
    // "ffffffff81000000 T _stext" or "ffffffffc0a01000 t fn\t[mod]"
    size_t sp1 = line.find(' ');
    if (sp1 == 0 || sp1 == std::string_view::npos || sp1 > 16 || line.size() < sp1 + 4 || line[sp1 + 2] != ' ') continue;
    uint64_t addr = 0;
    bool ok = true;
    for (size_t i = 0; i < sp1 && ok; i++) {
      char c = line[i];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      ok = d >= 0;
      addr = addr << 4 | uint64_t(d < 0 ? 0 : d);
    }
    if (!ok) continue;
    char type = line[sp1 + 1];
    std::string_view rest = line.substr(sp1 + 3);
    std::string_view name = rest, mod;
    size_t tab = rest.find_first_of("\t ");
    if (tab != std::string_view::npos) {
      name = rest.substr(0, tab);
      mod = rest.substr(tab + 1);
      while (!mod.empty() && (mod[0] == ' ' || mod[0] == '\t')) mod.remove_prefix(1);
    }
    if (name.empty() || name.size() > kMaxName) continue;
    if (mod.empty() && name == "_etext") {  // the end of the kernel's text: a marker, not a function
      k->etext = addr;
      continue;
    }
    if (type != 't' && type != 'T' && type != 'w' && type != 'W') continue;
    if (addr) nonzero = true;
    uint32_t mi = 0;
    if (!mod.empty()) {
      auto [m, fresh] = mods.emplace(std::string(mod), uint32_t(k->mods.size()));
      if (fresh) k->mods.push_back(std::string(mod));
      mi = m->second;
    }
    k->syms.push_back(KSym{addr, uint32_t(k->names.size()), mi, uint8_t(type == 'T' ? 2 : type == 't' ? 1 : 0)});
    k->names.append(name.data(), name.size());
    k->names.push_back('\0');
    if (k->names.size() > UINT32_MAX - kMaxName - 1) break;
  }
  if (!nonzero) {  // kptr_restrict: every address reads 0, none can be told apart
    k->syms.clear();
    k->names.clear();
    k->etext = 0;
  }
  std::stable_sort(k->syms.begin(), k->syms.end(), [](const KSym& a, const KSym& b) {
    return a.addr != b.addr ? a.addr < b.addr : a.rank > b.rank;
  });
  k->syms.erase(std::unique(k->syms.begin(), k->syms.end(), [](const KSym& a, const KSym& b) { return a.addr == b.addr; }),
               k->syms.end());
  k->syms.shrink_to_fit();
  k->names.shrink_to_fit();
  return k;
}


enum class JobKind { Kernel, File, Dwarf, PerfMap };

// The background queue: the main thread hands the worker jobs (a file to parse, an address's
// DWARF, a perf map, kallsyms) and takes finished ones back; the worker touches nothing else
// of the engine and no N-API. Everything here is under mu but the atomics and the parser link
// (the worker's alone); shared (shared_ptr) by the engine, the worker thread and any
// whenIdle() waiter, so whichever ends last frees it.
struct Job {
  JobKind kind = JobKind::Kernel;
  uint64_t id = 0;                      // a file's id, or (PerfMap) a handle
  std::shared_ptr<const Source> src;    // File
  std::vector<FileKey> keys;            // File: the file's own identities (a debug link to itself is skipped)
  std::shared_ptr<UniqueFd> fd;         // Dwarf: what holds the DWARF; PerfMap: the map
  uint64_t vaddr = 0;                   // Dwarf
  uint64_t max_entries = 0, max_names = 0;  // PerfMap
  int64_t mtime = 0, size = 0;          // PerfMap: what was opened
};

struct Done {
  JobKind kind = JobKind::Kernel;
  uint64_t id = 0;
  uint64_t vaddr = 0;
  bool failed = false;                  // the parser refused it, died on it or overran its time
  std::shared_ptr<const Tables> tables;
  std::shared_ptr<UniqueFd> dwarf_fd;   // File: where its DWARF is (null: none)
  size_t fds = 0;                       // File: descriptors dwarf_fd adds (a debug file's)
  std::unique_ptr<KernelTables> kernel;
  std::vector<DwFrame> frames;
  std::unique_ptr<PerfMap> perf;
  int64_t took = 0;
};

struct Work {
  std::mutex mu;
  std::condition_variable wake;     // the worker: a job, or stop
  std::condition_variable changed;  // waiters: a job finished, or stop
  std::deque<Job> queue;
  std::vector<Done> done;
  bool busy = false;                // a job in flight
  bool stop = false;
  std::atomic<bool> cancel{false};  // read by kallsyms in flight, between its steps
  UniqueFd stop_fd;                 // an eventfd: wakes the worker out of a wait on the parser
  std::vector<std::string> debug_dirs;
  std::string kallsyms_path;
  std::string parser_path;

  // The parser process (the worker's only).
  pid_t child = -1;
  UniqueFd sock;
  int64_t failed_at = INT64_MIN / 2;
  // Counters (read by stats()).
  std::atomic<int> parser_pid{0};
  std::atomic<uint64_t> starts{0}, timeouts{0}, crashes{0}, refused{0}, entries_cut{0}, bytes_cut{0}, start_errors{0};

  bool IdleLocked() const { return queue.empty() && !busy; }
  void WaitIdle() {
    std::unique_lock<std::mutex> l(mu);
    changed.wait(l, [&] { return stop || IdleLocked(); });
  }
};

// The parser, ended: SIGKILL (it may be stuck in a loop), reaped.
void EndParser(Work* w) {
  if (w->child > 0) {
    kill(w->child, SIGKILL);
    int st;
    while (waitpid(w->child, &st, 0) < 0 && errno == EINTR) {
    }
  }
  w->child = -1;
  w->parser_pid = 0;
  w->sock.reset();
}

bool StartParser(Work* w) {
  if (w->child > 0) return true;
  int64_t now = NowNs();
  if (now - w->failed_at < kRespawnGapNs) return false;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    w->failed_at = now;
    w->start_errors++;
    return false;
  }
  UniqueFd mine(sv[0]), theirs(sv[1]);
  if (theirs.fd == 3) theirs.reset(fcntl(3, F_DUPFD_CLOEXEC, 10));  // dup2(3, 3) would keep it close-on-exec
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&at);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, theirs.fd, 3);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &all);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string ppid = std::to_string(getpid());
  char* argv[] = {const_cast<char*>(w->parser_path.c_str()), const_cast<char*>(ppid.c_str()), nullptr};
  char* envp[] = {nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, w->parser_path.c_str(), &fa, &at, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  if (rc != 0) {
    w->failed_at = now;
    w->start_errors++;
    return false;
  }
  w->child = pid;
  w->parser_pid = pid;
  w->sock = std::move(mine);
  w->starts++;
  return true;
}

// Waits (poll) until fd is ready for `events`, the deadline passes (false) or the engine stops (false).
bool WaitFd(Work* w, short events, int64_t deadline) {
  for (;;) {
    int64_t left = deadline - NowNs();
    if (left <= 0) return false;
    struct pollfd p[2] = {{w->sock.fd, events, 0}, {w->stop_fd.fd, POLLIN, 0}};
    int n = poll(p, 2, int(std::min<int64_t>(left / 1000000 + 1, 1000)));
    if (n < 0 && errno != EINTR) return false;
    if (p[1].revents) return false;
    if (n > 0 && p[0].revents) return true;
  }
}

bool SendAll(Work* w, const char* p, size_t n, const std::vector<int>& fds, int64_t deadline) {
  bool first = true;
  while (n) {
    if (!WaitFd(w, POLLOUT, deadline)) return false;
    struct iovec iov = {const_cast<char*>(p), n};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    char cbuf[CMSG_SPACE(sizeof(int) * proto::kMaxFds)];
    if (first && !fds.empty()) {
      msg.msg_control = cbuf;
      msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    ssize_t r = sendmsg(w->sock.fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) return false;
    first = false;
    p += r;
    n -= size_t(r);
  }
  return true;
}

bool RecvAll(Work* w, char* p, size_t n, int64_t deadline) {
  while (n) {
    if (!WaitFd(w, POLLIN, deadline)) return false;
    ssize_t r = recv(w->sock.fd, p, n, MSG_DONTWAIT);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) return false;
    p += r;
    n -= size_t(r);
  }
  return true;
}

// One request to the parser, started if it is not running. True with its answer; false when
// it refused (the parser lives on), or when it died, overran the time or could not be reached
// (then it is killed, and started again for the next request).
bool Call(Work* w, uint32_t type, const std::string& payload, const std::vector<int>& fds, int64_t timeout, std::string* resp) {
  int st;
  if (w->child > 0 && waitpid(w->child, &st, WNOHANG) == w->child) {
    w->child = -1;  // died between requests (killed from outside, its CPU limit): started again
    w->crashes++;
    EndParser(w);
  }
  if (!StartParser(w)) return false;
  int64_t deadline = NowNs() + timeout;
  proto::Hdr h = {type, uint32_t(fds.size()), payload.size()};
  std::string msg(reinterpret_cast<const char*>(&h), sizeof h);
  msg += payload;
  proto::Hdr rh;
  bool ok = SendAll(w, msg.data(), msg.size(), fds, deadline) && RecvAll(w, reinterpret_cast<char*>(&rh), sizeof rh, deadline) &&
            (rh.type == proto::kOk || rh.type == proto::kFail) && rh.nfds == 0 && rh.len <= proto::kMaxResponse;
  if (ok) {
    resp->resize(size_t(rh.len));
    ok = RecvAll(w, resp->data(), resp->size(), deadline);
  }
  if (!ok) {
    bool stopping;
    {
      std::lock_guard<std::mutex> l(w->mu);
      stopping = w->stop;
    }
    // Past the deadline: it overran (killed here); before it: it died on its own (a signal, a
    // limit, the seccomp filter) or broke the protocol.
    if (!stopping) {
      if (NowNs() >= deadline) w->timeouts++;
      else w->crashes++;
    }
    EndParser(w);
    return false;
  }
  return rh.type == proto::kOk;
}

// A symbol table as the parser writes it, checked: counts within the bounds, every name inside
// the arena, sorted by address.
bool GetTable(proto::Reader* r, Tables* t, uint64_t* cut) {
  uint32_t n = r->U32();
  if (!r->ok() || n > kMaxSyms || uint64_t(n) * 21 > r->left()) return false;
  t->syms.resize(n);
  for (Sym& s : t->syms) {
    s.addr = r->U64();
    s.end = r->U64();
    s.name = r->U32();
    s.rank = r->U8();
  }
  t->names = std::string(r->Bytes(UINT32_MAX));
  *cut += r->U64();
  if (!r->ok() || (n && (t->names.empty() || t->names.back() != '\0'))) return false;
  for (size_t i = 0; i < n; i++) {
    const Sym& s = t->syms[i];
    if (s.name >= t->names.size() || s.end < s.addr || (i && t->syms[i - 1].addr >= s.addr)) return false;
  }
  return true;
}

// A file's call-frame information, from the parser (a request of its own, kCfi), checked: the
// row count within the bound, pcs strictly increasing, every kind and rule known. A file the
// parser fails on, or whose CFI is unreadable, is kCfiCorrupt: its frames are walked by frame
// pointer (and say so).
void GetCfi(Work* w, const Source& f, Tables* t, uint64_t* cut) {
  std::string resp;
  if (f.fd.fd < 0) return;
  if (!Call(w, proto::kCfi, std::string(), {f.fd.fd}, kCfiTimeoutNs, &resp)) {
    t->cfi_state = kCfiCorrupt;
    return;
  }
  proto::Reader r(resp.data(), resp.size());
  uint32_t flags = r.U32();
  uint64_t c = r.U64();
  uint32_t n = r.U32();
  if (!r.ok() || n > kMaxCfiRows || uint64_t(n) * 23 > r.left()) {
    t->cfi_state = kCfiCorrupt;
    return;
  }
  t->cfi.resize(n);
  for (CfiRow& row : t->cfi) {
    row.pc = r.U64();
    row.cfa_off = int32_t(r.U32());
    row.rbp_off = int32_t(r.U32());
    row.ra_off = int32_t(r.U32());
    row.kind = r.U8();
    row.rbp = r.U8();
    row.ra = r.U8();
  }
  bool ok = r.done();
  for (size_t i = 0; ok && i < n; i++) {
    const CfiRow& row = t->cfi[i];
    if (row.kind > kCfiUnknown || row.rbp > kRegUndef || row.ra > kRegUndef || (i && t->cfi[i - 1].pc >= row.pc)) ok = false;
  }
  if (!ok) {
    std::vector<CfiRow>().swap(t->cfi);
    t->cfi_state = kCfiCorrupt;
    return;
  }
  *cut += c;
  t->cfi_state = (flags & 2) ? kCfiCorrupt : (flags & 1) ? kCfiOk : kCfiNone;
}

// The separate debug file's candidates, opened here (as before: perfscope opens, the parser
// reads): by build-id under each debug dir, by .gnu_debuglink beside the file (inside its
// process's root), in .debug/ there, and under <debugDir>/<its dir>. Never the file itself.
std::vector<UniqueFd> DebugCandidates(Work* w, const Source& f, const std::vector<FileKey>& keys, const std::string& id,
                                      bool has_link, const std::string& link) {
  std::vector<UniqueFd> out;
  auto add = [&](int fd) {
    UniqueFd d(fd);
    struct stat st;
    if (d.fd < 0 || out.size() >= kMaxCandidates || fstat(d.fd, &st) != 0) return;
    for (const FileKey& k : keys)
      if (k.dev == uint64_t(st.st_dev) && k.ino == uint64_t(st.st_ino)) return;
    out.push_back(std::move(d));
  };
  if (id.size() >= 2) {
    std::string hex = Hex(id);
    for (const std::string& dir : w->debug_dirs) add(OpenRegular(dir + "/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2) + ".debug"));
  }
  if (has_link && SafeLinkName(link.c_str()) && !f.path.empty()) {
    std::string dir = DirName(f.path);
    int rootfd = f.root ? f.root->fd : -1;
    add(OpenInRoot(rootfd, dir + "/" + link));
    add(OpenInRoot(rootfd, dir + "/.debug/" + link));
    for (const std::string& ddir : w->debug_dirs) add(OpenRegular(ddir + dir + "/" + link));
  }
  return out;
}

// A file's tables, from the parser: its segments and symbols (.symtab, else its debug file's,
// else .dynsym) and where its DWARF is. A file the parser refuses, or dies or overruns on,
// gets empty tables (its frames module+offset), counted.
void ParseFileJob(Work* w, const Job& job, Done* d) {
  auto t = std::make_shared<Tables>();
  d->tables = t;
  const Source& f = *job.src;
  if (f.fd.fd < 0) return;
  std::string resp;
  if (!Call(w, proto::kElf, std::string(), {f.fd.fd}, kElfTimeoutNs, &resp)) {
    d->failed = true;
    return;
  }
  proto::Reader r(resp.data(), resp.size());
  uint32_t flags = r.U32();
  std::string id(r.Bytes(64));
  std::string link(r.Bytes(255));
  uint32_t crc = r.U32();
  uint32_t nsegs = r.U32();
  uint64_t cut = 0;
  if (!r.ok() || nsegs > kMaxPhdrs) {
    d->failed = true;
    return;
  }
  for (uint32_t i = 0; i < nsegs; i++) {
    Segment s;
    s.off = r.U64();
    s.filesz = r.U64();
    s.vaddr = r.U64();
    t->segs.push_back(s);
  }
  if (!GetTable(&r, t.get(), &cut) || !r.done()) {
    *t = Tables();
    d->failed = true;
    return;
  }
  bool symtab = flags & 1, dwarf = flags & 2, has_link = flags & 4;
  if (dwarf) d->dwarf_fd = std::shared_ptr<UniqueFd>(job.src, const_cast<UniqueFd*>(&job.src->fd));
  if ((!symtab || !dwarf) && f.image.empty()) {
    std::vector<UniqueFd> cands = DebugCandidates(w, f, job.keys, id, has_link, link);
    if (!cands.empty()) {
      proto::Writer q;
      q.Bytes(id);
      q.U32(crc);
      q.U8((id.empty() ? 1 : 0) | (!symtab ? 2 : 0));
      std::vector<int> fds;
      for (const UniqueFd& c : cands) fds.push_back(c.fd);
      std::string dresp;
      if (Call(w, proto::kDebug, q.buf, fds, kDebugTimeoutNs, &dresp)) {
        proto::Reader dr(dresp.data(), dresp.size());
        uint32_t k = dr.U32();
        uint32_t dflags = dr.U32();
        Tables dt;
        if (GetTable(&dr, &dt, &cut) && dr.done() && k < cands.size()) {
          if (!symtab && (dflags & 1) && !dt.syms.empty()) {
            t->syms = std::move(dt.syms);
            t->names = std::move(dt.names);
          }
          if (!dwarf && (dflags & 2)) {
            d->dwarf_fd = std::make_shared<UniqueFd>(std::move(cands[k]));
            d->fds = 1;
          }
        }
      }
    }
  }
  GetCfi(w, f, t.get(), &cut);
  t->dwarf = d->dwarf_fd != nullptr;
  t->build_id = id;
  t->build_hex = Hex(id);  // at most 64 bytes (r.Bytes(64) above): 128 hex digits
  uint64_t h = Fnv(id) ^ Fnv(t->names) * 31 ^ (t->dwarf ? 1 : 0);
  for (const Sym& sy : t->syms) h = (h ^ sy.addr ^ (sy.end << 1) ^ (uint64_t(sy.name) << 7) ^ sy.rank) * 1099511628211ull;
  for (const Segment& sg : t->segs) h = (h ^ sg.off ^ (sg.filesz << 3) ^ (sg.vaddr << 5)) * 1099511628211ull;
  h = (h ^ t->cfi_state ^ (uint64_t(t->cfi.size()) << 2)) * 1099511628211ull;
  for (const CfiRow& c : t->cfi) h = (h ^ c.pc ^ (uint64_t(uint32_t(c.cfa_off)) << 20) ^ (uint64_t(c.kind) << 56)) * 1099511628211ull;
  t->digest = h;
  w->entries_cut += cut;
}

void DwarfJob(Work* w, const Job& job, Done* d) {
  proto::Writer q;
  q.U64(job.id);
  q.U64(job.vaddr);
  std::string resp;
  if (!job.fd || job.fd->fd < 0 || !Call(w, proto::kDwarf, q.buf, {job.fd->fd}, kDwarfTimeoutNs, &resp)) {
    d->failed = true;
    return;
  }
  proto::Reader r(resp.data(), resp.size());
  uint32_t n = r.U32();
  if (!r.ok() || n > 64) {
    d->failed = true;
    return;
  }
  for (uint32_t i = 0; i < n && r.ok(); i++) {
    DwFrame f;
    f.name = std::string(r.Bytes(kMaxName));
    f.file = std::string(r.Bytes(kMaxName));
    f.line = r.U32();
    f.low = r.U64();
    f.has_low = r.U8() != 0;
    d->frames.push_back(std::move(f));
  }
  if (!r.done()) {
    d->frames.clear();
    d->failed = true;
  }
}

void PerfMapJob(Work* w, const Job& job, Done* d) {
  proto::Writer q;
  q.U64(job.max_entries);
  q.U64(job.max_names);
  std::string resp;
  if (!job.fd || !Call(w, proto::kPerfMap, q.buf, {job.fd->fd}, kPerfMapTimeoutNs, &resp)) {
    d->failed = true;
    return;
  }
  proto::Reader r(resp.data(), resp.size());
  auto pm = std::make_unique<PerfMap>();
  uint32_t n = r.U32();
  if (!r.ok() || n > job.max_entries || uint64_t(n) * 24 > r.left()) {
    d->failed = true;
    return;
  }
  pm->syms.resize(n);
  for (JitSym& s : pm->syms) {
    s.start = r.U64();
    s.end = r.U64();
    s.name = r.U32();
    s.seq = r.U32();
  }
  pm->names = std::string(r.Bytes(job.max_names));
  uint64_t ecut = r.U64(), bcut = r.U64();
  bool ok = r.done() && (n == 0 || (!pm->names.empty() && pm->names.back() == '\0'));
  for (size_t i = 0; ok && i < n; i++) {
    const JitSym& s = pm->syms[i];
    ok = s.name < pm->names.size() && s.end > s.start && (i == 0 || pm->syms[i - 1].start <= s.start);
  }
  if (!ok) {
    d->failed = true;
    return;
  }
  w->entries_cut += ecut;
  w->bytes_cut += bcut;
  pm->mtime = job.mtime;
  pm->size = job.size;
  d->perf = std::move(pm);
}

void WorkerMain(std::shared_ptr<Work> w) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);  // signals are the main thread's (libuv's handlers)
  std::unique_lock<std::mutex> l(w->mu);
  for (;;) {
    w->wake.wait(l, [&] { return w->stop || !w->queue.empty(); });
    if (w->stop) break;
    Job job = std::move(w->queue.front());
    w->queue.pop_front();
    w->busy = true;
    l.unlock();
    Done d;
    d.kind = job.kind;
    d.id = job.id;
    d.vaddr = job.vaddr;
    int64_t t0 = NowNs();
    try {
      switch (job.kind) {
        case JobKind::Kernel:
          d.kernel = LoadKallsyms(w->kallsyms_path, w->cancel);
          break;
        case JobKind::File:
          ParseFileJob(w.get(), job, &d);
          if (d.failed) w->refused++;
          break;
        case JobKind::Dwarf:
          DwarfJob(w.get(), job, &d);
          break;
        case JobKind::PerfMap:
          PerfMapJob(w.get(), job, &d);
          break;
      }
    } catch (const std::exception&) {  // out of memory: nothing, and it is asked for again
      d = Done{};
      d.kind = job.kind;
      d.id = job.id;
      d.vaddr = job.vaddr;
      d.failed = true;
    }
    d.took = NowNs() - t0;
    job = Job{};
    l.lock();
    w->busy = false;
    if (!w->stop) w->done.push_back(std::move(d));
    w->changed.notify_all();
    if (w->stop) {
      l.unlock();
      d = Done{};  // freed outside the lock
      l.lock();
    }
  }
  l.unlock();
  EndParser(w.get());
}

// Where the parser executable is: beside the addon (build/perfscope-parser).
std::string DefaultParserPath() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&DefaultParserPath), &info) && info.dli_fname) {
    std::string p = info.dli_fname;
    size_t k = p.rfind('/');
    return (k == std::string::npos ? std::string(".") : p.substr(0, k)) + "/perfscope-parser";
  }
  return "perfscope-parser";
}

}  // namespace

struct Counters {
  size_t handles, files, symbols, bytes;
  uint64_t starts, timeouts, crashes, refused, entries_cut, bytes_cut, start_errors, fds;
  int parser_pid;
};

class Engine {
 public:
  Engine(std::string proc_root, std::vector<std::string> debug_dirs, std::string kallsyms, std::string parser)
      : proc_root_(std::move(proc_root)), work_(std::make_shared<Work>()) {
    work_->debug_dirs = std::move(debug_dirs);
    work_->kallsyms_path = kallsyms.empty() ? proc_root_ + "/kallsyms" : std::move(kallsyms);
    work_->parser_path = parser.empty() ? DefaultParserPath() : std::move(parser);
    work_->stop_fd.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  }
  // The worker is told to stop (a request to the parser in flight is abandoned, the parser
  // killed) and joined: it never outlives the code and the tables it uses. (At process.exit no
  // destructor runs: the parser dies with the worker thread that started it, PR_SET_PDEATHSIG.)
  ~Engine() {
    {
      std::lock_guard<std::mutex> l(work_->mu);
      work_->stop = true;
      work_->cancel = true;
      work_->queue.clear();
    }
    uint64_t one = 1;
    if (work_->stop_fd.fd >= 0 && write(work_->stop_fd.fd, &one, sizeof one) < 0) {
    }
    work_->wake.notify_all();
    work_->changed.notify_all();
    if (thread_.joinable()) thread_.join();
    procs_.clear();
    owned_.clear();
  }

  // A handle, or 0 with errno in *err. prefetch: hand its files to the worker now.
  int Snapshot(int pid, bool prefetch, int* err);
  Proc* Find(int handle) {
    auto it = procs_.find(handle);
    return it == procs_.end() ? nullptr : it->second.get();
  }
  // deadline INT64_MAX: wait for the tables needed; else nothing is parsed here, and only a
  // DWARF answer is waited for, until the deadline.
  void User(Proc* p, const uint64_t* addrs, size_t n, int64_t deadline, std::vector<std::vector<OutFrame>>* out);
  void Kernel(const uint64_t* addrs, size_t n, int64_t deadline, std::vector<OutFrame>* out);
  void Unwind(Proc* p, uint64_t ip, uint64_t sp, uint64_t bp, const uint8_t* stack, size_t len, int64_t deadline, UnwindOut* out);
  void PrefetchKernel();
  bool Release(int handle);
  void Stats(Counters* c);
  // Nothing queued, nothing in flight.
  bool Idle() {
    std::lock_guard<std::mutex> l(work_->mu);
    return work_->IdleLocked();
  }
  const std::shared_ptr<Work>& work() const { return work_; }

 private:
  FileEntry* OpenMapped(Proc* p, uint64_t start, uint64_t end, uint64_t ino, const std::string& path);
  FileEntry* OpenVdso(Proc* p, uint64_t start, uint64_t end);
  FileEntry* Adopt(std::unique_ptr<FileEntry> f, std::unique_ptr<Source> src);
  void Use(Proc* p, FileEntry* f);
  void Touch(FileEntry* f);
  void RefreshPerfMap(Proc* p, int64_t now, bool force);
  bool ResolveUser(Proc* p, uint64_t addr, bool ret, int64_t deadline, std::vector<OutFrame>* out);
  bool ResolveInFile(FileEntry* f, const OutFrame& base, uint64_t fileoff, uint64_t delta, int64_t deadline,
                     std::vector<OutFrame>* out);
  bool ResolveInTables(FileEntry* f, const Tables* t, const OutFrame& base, uint64_t fileoff, uint64_t delta,
                       int64_t deadline, std::vector<OutFrame>* out);
  // The worker's side: hand over a job (urgent: ahead of the others), install what it finished,
  // wait (until a deadline) for something to hold.
  void Start();
  void Push(Job j, bool urgent);
  void Queue(FileEntry* f, bool urgent);
  void Drain();
  template <class Pred>
  bool WaitUntil(Pred ready, int64_t deadline);

  std::string proc_root_;
  std::shared_ptr<Work> work_;
  std::thread thread_;
  std::map<int, std::unique_ptr<Proc>> procs_;
  int next_handle_ = 1;
  uint64_t next_id_ = 1;
  std::map<FileEntry*, std::unique_ptr<FileEntry>> owned_;
  std::unordered_map<uint64_t, FileEntry*> by_id_;
  std::map<FileKey, FileEntry*> by_key_;
  std::list<FileEntry*> lru_;  // parsed files, most recently used first
  std::unordered_map<uint64_t, std::weak_ptr<const Tables>> by_content_;  // by Tables::digest
  bool kqueued_ = false;
  std::unique_ptr<KernelTables> kernel_;  // null until loaded
  size_t fds_ = 0;                        // descriptors the file entries hold
  size_t perf_entries_ = 0, perf_names_ = 0;  // what every process's perf map holds
  uint64_t fds_refused_ = 0;
};

void Engine::Start() {
  if (!thread_.joinable()) thread_ = std::thread(WorkerMain, work_);
}

void Engine::Push(Job j, bool urgent) {
  std::lock_guard<std::mutex> l(work_->mu);
  if (work_->stop) return;
  if (urgent) work_->queue.push_front(std::move(j));
  else work_->queue.push_back(std::move(j));
  Start();
  work_->wake.notify_one();
}

void Engine::Queue(FileEntry* f, bool urgent) {
  if (f->tables) return;
  if (f->queued) {
    if (!urgent) return;
    std::lock_guard<std::mutex> l(work_->mu);
    auto& q = work_->queue;
    auto it = std::find_if(q.begin(), q.end(), [&](const Job& j) { return j.kind == JobKind::File && j.id == f->id; });
    if (it != q.end() && it != q.begin()) {
      Job j = std::move(*it);
      q.erase(it);
      q.push_front(std::move(j));
    }
    return;
  }
  f->queued = true;
  Job j;
  j.kind = JobKind::File;
  j.id = f->id;
  j.src = f->src;
  j.keys = f->keys;
  Push(std::move(j), urgent);
}

void Engine::PrefetchKernel() {
  if (kernel_ || kqueued_) return;
  kqueued_ = true;
  Push(Job{}, true);
}

// What the worker finished, installed (a file or process released meanwhile: dropped here).
void Engine::Drain() {
  std::vector<Done> done;
  {
    std::lock_guard<std::mutex> l(work_->mu);
    done.swap(work_->done);
  }
  for (Done& d : done) {
    if (d.kind == JobKind::Kernel) {
      kqueued_ = false;
      kernel_ = std::move(d.kernel);
      continue;
    }
    if (d.kind == JobKind::PerfMap) {
      auto it = procs_.find(int(d.id));
      if (it == procs_.end()) continue;
      Proc* p = it->second.get();
      p->perf_queued = false;
      p->perf_gap = std::max(kPerfMapMinGapNs, d.took * kPerfMapGapFactor);
      if (!d.perf) continue;
      perf_entries_ -= p->perf.syms.size();
      perf_names_ -= p->perf.names.size();
      p->perf = std::move(*d.perf);
      p->perf_loaded = true;
      perf_entries_ += p->perf.syms.size();
      perf_names_ += p->perf.names.size();
      p->cache.clear();
      continue;
    }
    auto it = by_id_.find(d.id);
    if (it == by_id_.end()) continue;
    FileEntry* f = it->second;
    if (d.kind == JobKind::Dwarf) {
      f->dw_queued.erase(d.vaddr);
      if (d.failed) {
        f->dwarf_off = true;  // the parser failed on this file's DWARF: its symbols only
        f->dw.clear();
        continue;
      }
      if (f->dw.size() >= kAddrCacheMax) f->dw.clear();
      f->dw[d.vaddr] = std::move(d.frames);
      continue;
    }
    if (!f->queued) continue;
    f->queued = false;
    if (!d.tables) continue;  // out of memory: asked for again on its next use
    f->tables = std::move(d.tables);
    // Another file with the very same tables (build-id and every symbol, name and segment, so
    // not merely the same build-id and size) shares its table: its memory is held once.
    if (!f->tables->syms.empty()) {
      auto& slot = by_content_[f->tables->digest];
      std::shared_ptr<const Tables> same = slot.lock();
      if (same && same->Same(*f->tables)) f->tables = same;
      else if (!same) slot = f->tables;
      if (by_content_.size() > 4 * kMaxParsed)
        for (auto it = by_content_.begin(); it != by_content_.end();) it = it->second.expired() ? by_content_.erase(it) : std::next(it);
    }
    if (d.dwarf_fd && !f->dwarf_fd) {
      f->dwarf_fd = std::move(d.dwarf_fd);
      f->fds += d.fds;
      fds_ += d.fds;
    }
    Touch(f);
    while (lru_.size() > kMaxParsed) {
      FileEntry* old = lru_.back();
      lru_.pop_back();
      old->lru = lru_.end();
      old->tables.reset();  // parsed again if it is needed again
      old->memo.clear();
      old->memo_frames = 0;
      old->dw.clear();
    }
  }
}

// Drains until ready() holds (true), the deadline passes or the worker stops (false).
template <class Pred>
bool Engine::WaitUntil(Pred ready, int64_t deadline) {
  for (;;) {
    Drain();
    if (ready()) return true;
    std::unique_lock<std::mutex> l(work_->mu);
    if (work_->stop) return false;
    if (!work_->done.empty()) continue;
    if (deadline == INT64_MAX) {
      work_->changed.wait(l, [&] { return work_->stop || !work_->done.empty(); });
    } else {
      int64_t left = deadline - NowNs();
      if (left <= 0) return false;
      work_->changed.wait_for(l, std::chrono::nanoseconds(left), [&] { return work_->stop || !work_->done.empty(); });
    }
  }
}

int Engine::Snapshot(int pid, bool prefetch, int* err) {
  std::string dir = proc_root_ + "/" + std::to_string(pid);
  auto p = std::make_unique<Proc>();
  p->procfd.reset(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (p->procfd.fd < 0) {
    *err = errno == ENOENT ? ESRCH : errno;
    return 0;
  }
  std::string maps;
  {
    UniqueFd fd(openat(p->procfd.fd, "maps", O_RDONLY | O_CLOEXEC));
    if (fd.fd < 0 || !ReadAll(fd.fd, &maps, kMaxText)) {
      *err = errno == ENOENT ? ESRCH : errno;
      return 0;
    }
  }
  p->pid = p->nspid = pid;
  {
    // NSpid: the pid in each pid namespace, innermost last: the one the process writes its
    // perf map under.
    UniqueFd fd(openat(p->procfd.fd, "status", O_RDONLY | O_CLOEXEC));
    std::string status;
    if (fd.fd >= 0 && ReadAll(fd.fd, &status, kMaxText)) {
      size_t at = status.find("\nNSpid:");
      if (at != std::string::npos) {
        size_t eol = status.find('\n', at + 1);
        std::string line = status.substr(at + 7, eol == std::string::npos ? std::string::npos : eol - at - 7);
        size_t k = line.find_last_not_of(" \t");
        size_t b = k == std::string::npos ? std::string::npos : line.find_last_of(" \t", k);
        if (k != std::string::npos) {
          long v = strtol(line.substr(b == std::string::npos ? 0 : b + 1, k - (b == std::string::npos ? 0 : b + 1) + 1).c_str(),
                          nullptr, 10);
          if (v > 0 && v <= kMaxPid) p->nspid = int(v);
        }
      }
    }
  }
  p->root = std::make_shared<UniqueFd>(openat(p->procfd.fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC));

  size_t pos = 0;
  while (pos < maps.size()) {
    size_t eol = maps.find('\n', pos);
    if (eol == std::string::npos) eol = maps.size();
    std::string line = maps.substr(pos, eol - pos);
    pos = eol + 1;
    unsigned long long start, end, pgoff, ino;
    unsigned maj, min;
    char perms[8] = {0};
    int n = 0;
    if (sscanf(line.c_str(), "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &pgoff, &maj, &min, &ino, &n) < 7)
      continue;
    if (strlen(perms) < 3 || perms[2] != 'x' || end <= start) continue;
    std::string name = n > 0 && size_t(n) <= line.size() ? line.substr(size_t(n)) : std::string();
    Mapping m{start, end, pgoff, Kind::Anon, name, nullptr};
    if (!name.empty() && name[0] == '/') {
      m.kind = Kind::File;
      m.file = OpenMapped(p.get(), start, end, ino, name);
    } else if (name == "[vdso]") {
      m.kind = Kind::Vdso;
      m.file = OpenVdso(p.get(), start, end);
    } else if (!name.empty() && name.compare(0, 5, "[anon") != 0) {
      m.kind = Kind::Special;  // [vsyscall], ...
    }
    if (m.file) Use(p.get(), m.file);
    p->maps.push_back(std::move(m));
  }
  std::sort(p->maps.begin(), p->maps.end(), [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
  if (next_handle_ == INT_MAX) next_handle_ = 1;
  while (procs_.count(next_handle_)) next_handle_++;
  int h = next_handle_++;
  p->handle = h;
  Proc* raw = p.get();
  procs_[h] = std::move(p);
  RefreshPerfMap(raw, NowNs(), true);
  if (prefetch)
    for (FileEntry* f : raw->files) Queue(f, false);
  return h;
}

void Engine::Use(Proc* p, FileEntry* f) {
  if (std::find(p->files.begin(), p->files.end(), f) != p->files.end()) return;
  p->files.push_back(f);
  f->users++;
}

FileEntry* Engine::Adopt(std::unique_ptr<FileEntry> f, std::unique_ptr<Source> src) {
  FileEntry* raw = f.get();
  raw->id = next_id_++;
  raw->fds = src->fd.fd >= 0 ? 1 : 0;
  fds_ += raw->fds;
  raw->src = std::move(src);
  by_id_[raw->id] = raw;
  for (const FileKey& k : raw->keys) by_key_[k] = raw;
  raw->lru = lru_.end();
  owned_[raw] = std::move(f);
  return raw;
}

// The file behind a mapping: through map_files (the very file mapped, even deleted or in
// another mount namespace), else its path inside the process's root, if that is still the
// same inode. Shared with every other process mapping the same file (the same inode, size and
// mtime: nothing is read from the file here, and two files are never taken for one another).
FileEntry* Engine::OpenMapped(Proc* p, uint64_t start, uint64_t end, uint64_t ino, const std::string& path) {
  char mf[64];
  snprintf(mf, sizeof mf, "map_files/%" PRIx64 "-%" PRIx64, start, end);
  std::string clean = path;
  static const std::string kDeleted = " (deleted)";
  if (clean.size() > kDeleted.size() && clean.compare(clean.size() - kDeleted.size(), kDeleted.size(), kDeleted) == 0)
    clean.resize(clean.size() - kDeleted.size());
  bool safe = SafePath(clean);
  // Known already: found by the stat of map_files' link (no descriptor taken).
  struct stat st;
  if (fstatat(p->procfd.fd, mf, &st, 0) == 0 && S_ISREG(st.st_mode)) {
    FileKey key{uint64_t(st.st_dev), uint64_t(st.st_ino), int64_t(st.st_size),
                int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
    auto it = by_key_.find(key);
    if (it != by_key_.end()) return it->second;
  }
  if (fds_ >= kMaxHeldFds) {  // the bound on descriptors held: this file is not opened
    fds_refused_++;
    return nullptr;
  }
  UniqueFd fd(KeepRegular(openat(p->procfd.fd, mf, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)));
  if (fd.fd < 0 && safe) {
    fd.reset(OpenInRoot(p->root->fd, clean));
    if (fd.fd >= 0 && (fstat(fd.fd, &st) != 0 || st.st_ino != ino)) fd.reset();
  }
  if (fd.fd < 0 || fstat(fd.fd, &st) != 0) return nullptr;
  FileKey key{uint64_t(st.st_dev), uint64_t(st.st_ino), int64_t(st.st_size),
              int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
  auto it = by_key_.find(key);
  if (it != by_key_.end()) return it->second;
  auto f = std::make_unique<FileEntry>();
  f->keys.push_back(key);
  auto src = std::make_unique<Source>();
  src->fd = std::move(fd);
  if (safe) {
    src->root = p->root;
    src->path = clean;
  }
  return Adopt(std::move(f), std::move(src));
}

// The vDSO: the process's own image from /proc/PID/mem, else ours when it has the same size;
// handed to the parser as a memfd.
FileEntry* Engine::OpenVdso(Proc* p, uint64_t start, uint64_t end) {
  if (end - start > kMaxVdso) return nullptr;
  std::string img(size_t(end - start), '\0');
  UniqueFd mem(openat(p->procfd.fd, "mem", O_RDONLY | O_CLOEXEC));
  if (mem.fd < 0 || pread(mem.fd, img.data(), img.size(), off_t(start)) != ssize_t(img.size())) {
    const std::string& self = SelfVdso();
    if (self.size() != img.size()) return nullptr;
    img = self;
  }
  FileKey key{0, Fnv(img), int64_t(img.size()), 0};
  auto it = by_key_.find(key);
  if (it != by_key_.end() && it->second->src->image == img) return it->second;
  if (it != by_key_.end()) return nullptr;  // a hash collision: leave it unresolved rather than wrong
  if (fds_ >= kMaxHeldFds) {
    fds_refused_++;
    return nullptr;
  }
  UniqueFd mfd(int(syscall(SYS_memfd_create, "perfscope-vdso", MFD_CLOEXEC)));
  if (mfd.fd < 0 || pwrite(mfd.fd, img.data(), img.size(), 0) != ssize_t(img.size())) return nullptr;
  auto f = std::make_unique<FileEntry>();
  f->keys.push_back(key);
  auto src = std::make_unique<Source>();
  src->image = std::move(img);
  src->fd = std::move(mfd);
  return Adopt(std::move(f), std::move(src));
}

void Engine::Touch(FileEntry* f) {
  if (f->lru != lru_.end()) lru_.erase(f->lru);
  lru_.push_front(f);
  f->lru = lru_.begin();
}

// The perf map is opened here and read by the parser, on the worker: at most once a second,
// and at most a tenth of the time (a big map read often would keep the parser busy), within
// what the other processes' maps leave of the total bound.
void Engine::RefreshPerfMap(Proc* p, int64_t now, bool force) {
  if (p->perf_queued) return;
  if (!force && now - p->perf_checked < p->perf_gap) return;
  p->perf_checked = now;
  if (p->procfd.fd < 0) return;
  UniqueFd alive(openat(p->procfd.fd, "stat", O_RDONLY | O_CLOEXEC));
  if (alive.fd < 0) {  // gone: its perf map is what was read while it lived
    p->procfd.reset();
    return;
  }
  auto fd = std::make_shared<UniqueFd>(OpenInRoot(p->root->fd, "/tmp/perf-" + std::to_string(p->nspid) + ".map"));
  struct stat st;
  if (fd->fd < 0 || fstat(fd->fd, &st) != 0) return;
  int64_t mtime = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (mtime == p->perf.mtime && st.st_size == p->perf.size) return;
  size_t others = perf_entries_ - p->perf.syms.size(), other_names = perf_names_ - p->perf.names.size();
  Job j;
  j.kind = JobKind::PerfMap;
  j.id = uint64_t(p->handle);
  j.fd = std::move(fd);
  j.max_entries = std::min(kPerfMapEntries, kPerfMapEntriesTotal - std::min(kPerfMapEntriesTotal, others));
  j.max_names = std::min(kPerfMapNames, kPerfMapNamesTotal - std::min(kPerfMapNamesTotal, other_names));
  j.mtime = mtime;
  j.size = st.st_size;
  p->perf_queued = true;
  Push(std::move(j), false);
}

// Returns whether the answer is whole: false when the DWARF was left for a later call (the
// deadline had passed: the name from the symbol table, marked pending).
bool Engine::ResolveInFile(FileEntry* f, const OutFrame& base, uint64_t fileoff, uint64_t delta, int64_t deadline,
                           std::vector<OutFrame>* out) {
  uint64_t key = fileoff << 1 | (delta ? 1 : 0);
  bool keyable = (fileoff >> 63) == 0;
  if (keyable) {
    auto m = f->memo.find(key);
    if (m != f->memo.end()) {
      for (OutFrame fr : m->second) {
        fr.addr = base.addr;
        fr.module = base.module;
        out->push_back(std::move(fr));
      }
      return true;
    }
  }
  size_t first = out->size();
  std::shared_ptr<const Tables> t = f->tables;  // held: a drain while waiting may evict it
  bool whole = ResolveInTables(f, t.get(), base, fileoff, delta, deadline, out);
  if (whole && keyable && f->tables == t) {
    if (f->memo.size() >= kAddrCacheMax) {
      f->memo.clear();
      f->memo_frames = 0;
    }
    f->memo_frames += out->size() - first;
    f->memo.emplace(key, std::vector<OutFrame>(out->begin() + ptrdiff_t(first), out->end()));
  }
  return whole;
}

bool Engine::ResolveInTables(FileEntry* f, const Tables* t, const OutFrame& base, uint64_t fileoff, uint64_t delta,
                             int64_t deadline, std::vector<OutFrame>* out) {
  uint64_t v;
  if (!t->Translate(fileoff, &v)) {
    out->push_back(base);
    out->back().build_id = t->build_hex;
    return true;
  }
  const Sym* s = t->Find(v);
  std::vector<DwFrame> dw;
  bool whole = true;
  if (t->dwarf && !f->dwarf_off && f->dwarf_fd) {
    // The parser is asked (ahead of the queue) and waited for while the budget lasts.
    auto have = [&] { return f->dwarf_off || f->dw.count(v) || !f->dw_queued.count(v); };
    if (!f->dw.count(v)) {
      if (!f->dw_queued.count(v)) {
        f->dw_queued.insert(v);
        Job j;
        j.kind = JobKind::Dwarf;
        j.id = f->id;
        j.fd = f->dwarf_fd;
        j.vaddr = v;
        Push(std::move(j), true);
      }
      if (deadline == INT64_MAX || NowNs() < deadline) WaitUntil(have, deadline);
    }
    auto it = f->dw.find(v);
    if (it != f->dw.end()) dw = it->second;
    else if (!f->dwarf_off) whole = false;
  }
  OutFrame outer = base;
  outer.pending = !whole;
  outer.build_id = t->build_hex;
  if (s) {
    outer.has_sym = true;
    outer.sym = Cut(t->names.c_str() + s->name);
    outer.offset = v + delta - s->addr;
  } else if (!dw.empty() && !dw[0].name.empty() && dw[0].has_low && dw[0].low <= v) {
    outer.has_sym = true;  // no symbol, but the DWARF of a function holding the address
    outer.sym = dw[0].name;
    outer.offset = v + delta - dw[0].low;
  }
  if (!dw.empty()) {
    outer.file = dw[0].file;
    outer.line = dw[0].line;
  }
  out->push_back(outer);
  for (size_t k = 1; k < dw.size(); k++) {
    OutFrame fr = outer;
    fr.has_sym = !dw[k].name.empty();
    fr.sym = dw[k].name;
    fr.file = dw[k].file;
    fr.line = dw[k].line;
    fr.inlined = true;
    out->push_back(fr);
  }
  return whole;
}

// Returns whether the result may be cached (a file's answer; a JIT's may change).
bool Engine::ResolveUser(Proc* p, uint64_t addr, bool ret, int64_t deadline, std::vector<OutFrame>* out) {
  uint64_t look = ret ? addr - 1 : addr;
  uint64_t delta = addr - look;
  const Mapping* m = nullptr;
  auto it = std::upper_bound(p->maps.begin(), p->maps.end(), look, [](uint64_t x, const Mapping& mm) { return x < mm.start; });
  if (it != p->maps.begin() && look < (it - 1)->end) m = &*(it - 1);
  OutFrame f;
  f.addr = addr;
  if (!m || m->kind == Kind::Anon) {
    if (const JitSym* j = p->perf.Find(look)) {
      f.module = "[jit]";
      f.has_sym = true;
      f.sym = Cut(p->perf.names.c_str() + j->name);
      f.offset = addr - j->start;
    } else if (m) {
      f.module = "[jit]";
      f.offset = addr - m->start;
      f.pending = p->perf_queued && !p->perf_loaded;
    } else {
      f.module = "[unknown]";
      f.pending = p->perf_queued && !p->perf_loaded;
    }
    out->push_back(f);
    return false;
  }
  f.module = m->name;
  if (m->kind == Kind::Special) {
    f.offset = addr - m->start;
    out->push_back(f);
    return true;
  }
  uint64_t fileoff = look - m->start + m->pgoff;
  f.offset = fileoff + delta;
  FileEntry* file = m->file;
  if (!file) {
    out->push_back(f);
    return true;
  }
  if (!file->tables) {
    if (deadline == INT64_MAX) {
      Queue(file, true);
      WaitUntil([&] { return file->tables || !file->queued; }, INT64_MAX);
    } else {
      Queue(file, false);
    }
  }
  if (!file->tables) {  // being read in the background: the next call has it
    f.pending = true;
    out->push_back(f);
    return false;
  }
  Touch(file);
  return ResolveInFile(file, f, fileoff, delta, deadline, out);
}

// A user stack unwound from its registers and a copy of its top (`len` bytes from sp up): by
// the call-frame information of the module holding each pc, else (no CFI there: a JIT, a
// module without .eh_frame or with corrupt CFI, tables not parsed yet under a budget) by frame
// pointer. The bytes are other processes' memory: every read is checked against the copy, the
// stack pointer must grow at every step, at most kMaxUnwind frames.
void Engine::Unwind(Proc* p, uint64_t ip, uint64_t sp, uint64_t bp, const uint8_t* stack, size_t len, int64_t deadline,
                    UnwindOut* out) {
  Drain();
  const uint64_t base = sp;
  auto read = [&](uint64_t a, uint64_t* v) {
    if (a < base || a - base > len || len - (a - base) < 8) return false;
    memcpy(v, stack + (a - base), 8);
    return true;
  };
  bool bp_ok = true;
  uint64_t pc = ip;
  uint8_t via = kViaRegs;
  out->end = kEndOutermost;
  if (!ip) return;
  for (size_t depth = 0;; depth++) {
    out->addrs.push_back(pc);
    out->via.push_back(via);
    if (depth + 1 >= kMaxUnwind) {
      out->end = kEndDepth;
      return;
    }
    uint64_t look = depth ? pc - 1 : pc;
    const Mapping* m = nullptr;
    auto it = std::upper_bound(p->maps.begin(), p->maps.end(), look, [](uint64_t x, const Mapping& mm) { return x < mm.start; });
    if (it != p->maps.begin() && look < (it - 1)->end) m = &*(it - 1);
    const CfiRow* row = nullptr;
    uint8_t fallback = kViaFp;
    if (m && (m->kind == Kind::File || m->kind == Kind::Vdso) && m->file) {
      FileEntry* file = m->file;
      if (!file->tables) {
        Queue(file, deadline == INT64_MAX);
        if (deadline == INT64_MAX) WaitUntil([&] { return file->tables || !file->queued; }, INT64_MAX);
      }
      uint64_t vaddr;
      if (!file->tables) fallback = kViaFpPending;
      else if (file->tables->Translate(look - m->start + m->pgoff, &vaddr)) {
        if (file->tables->cfi_state == kCfiCorrupt) fallback = kViaFpCorrupt;
        row = file->tables->FindCfi(vaddr);
        if (row && row->kind == kCfiUnknown) row = nullptr;
      }
    }
    uint64_t cfa, ra, nbp = bp;
    if (row) {
      if (row->kind == kCfiRbp && !bp_ok) {
        out->end = kEndBad;
        return;
      }
      cfa = (row->kind == kCfiRsp ? sp : bp) + int64_t(row->cfa_off);
      if (row->ra == kRegUndef) return;  // the outermost frame (_start, a thread's start)
      if (!read(cfa + int64_t(row->ra_off), &ra)) {
        out->end = kEndCopy;
        return;
      }
      if (row->rbp == kRegAt) bp_ok = read(cfa + int64_t(row->rbp_off), &nbp);
      else if (row->rbp == kRegUndef) bp_ok = false;
      via = kViaCfi;
    } else {
      // Frame pointer: [bp] is the caller's bp, [bp + 8] the return address.
      if (!bp_ok || !read(bp, &nbp) || !read(bp + 8, &ra)) {
        out->end = bp_ok && bp >= base ? kEndCopy : kEndBad;
        return;
      }
      cfa = bp + 16;
      via = fallback;
    }
    if (ra == 0) return;
    if (cfa <= sp && depth > 0) {  // no progress: a loop in the data
      out->end = kEndBad;
      return;
    }
    sp = cfa;
    bp = nbp;
    pc = ra;
  }
}

void Engine::User(Proc* p, const uint64_t* addrs, size_t n, int64_t deadline, std::vector<std::vector<OutFrame>>* out) {
  Drain();
  RefreshPerfMap(p, NowNs(), false);
  if (deadline == INT64_MAX && p->perf_queued) WaitUntil([&] { return !p->perf_queued; }, INT64_MAX);
  out->reserve(n);
  for (size_t i = 0; i < n; i++) {
    uint64_t a = addrs[i];
    bool ret = i > 0 && a > 0;
    bool keyable = (a >> 63) == 0;
    uint64_t key = a | (ret ? 1ull << 63 : 0);
    if (keyable) {
      auto c = p->cache.find(key);
      if (c != p->cache.end()) {
        out->push_back(c->second);
        continue;
      }
    }
    std::vector<OutFrame> frames;
    bool cacheable = ResolveUser(p, a, ret, deadline, &frames);
    if (cacheable && keyable) {
      if (p->cache.size() >= kAddrCacheMax) p->cache.clear();
      p->cache.emplace(key, frames);
    }
    out->push_back(std::move(frames));
  }
}

bool Engine::Release(int handle) {
  auto it = procs_.find(handle);
  if (it == procs_.end()) return false;
  Proc* p = it->second.get();
  perf_entries_ -= p->perf.syms.size();
  perf_names_ -= p->perf.names.size();
  for (FileEntry* f : p->files) {
    if (--f->users > 0) continue;
    {  // not started: dropped from the queue; in flight: its result is dropped on arrival
      std::lock_guard<std::mutex> l(work_->mu);
      auto& q = work_->queue;
      q.erase(std::remove_if(q.begin(), q.end(),
                             [&](const Job& j) { return (j.kind == JobKind::File || j.kind == JobKind::Dwarf) && j.id == f->id; }),
              q.end());
    }
    by_id_.erase(f->id);
    for (const FileKey& k : f->keys) by_key_.erase(k);
    if (f->lru != lru_.end()) lru_.erase(f->lru);
    fds_ -= f->fds;
    owned_.erase(f);  // frees its tables, and closes its fds unless a job in flight still holds them
  }
  {
    std::lock_guard<std::mutex> l(work_->mu);
    auto& q = work_->queue;
    q.erase(std::remove_if(q.begin(), q.end(), [&](const Job& j) { return j.kind == JobKind::PerfMap && j.id == uint64_t(handle); }),
            q.end());
  }
  procs_.erase(it);
  return true;
}

// kallsyms has no sizes: a symbol reaches to the next one; the kernel's own text ends at
// _etext; nothing is above the last symbol. Not loaded yet: with a deadline the frames come back
// pending ([unknown]) and the load goes on in the background; without one, it is waited for.
void Engine::Kernel(const uint64_t* addrs, size_t n, int64_t deadline, std::vector<OutFrame>* out) {
  Drain();
  if (!kernel_) {
    if (deadline == INT64_MAX) {
      PrefetchKernel();
      WaitUntil([&] { return kernel_ || !kqueued_; }, INT64_MAX);
    }
    else PrefetchKernel();
  }
  out->reserve(n);
  static const KernelTables kNone;
  const KernelTables& k = kernel_ ? *kernel_ : kNone;
  const auto& ksyms = k.syms;
  for (size_t i = 0; i < n; i++) {
    OutFrame f;
    f.addr = addrs[i];
    f.module = "[unknown]";
    if (!kernel_) {
      f.pending = true;
      out->push_back(std::move(f));
      continue;
    }
    uint64_t look = i > 0 && f.addr > 0 ? f.addr - 1 : f.addr;
    auto it = std::upper_bound(ksyms.begin(), ksyms.end(), look, [](uint64_t x, const KSym& s) { return x < s.addr; });
    if (look != 0 && it != ksyms.begin()) {
      const KSym& s = *(it - 1);
      bool last = it == ksyms.end();
      bool past_text = s.mod == 0 && k.etext && s.addr < k.etext && look >= k.etext;
      if (!past_text && (!last || look == s.addr)) {
        f.has_sym = true;
        f.sym = Cut(k.names.c_str() + s.name);
        f.module = k.mods[s.mod];
        f.offset = f.addr - s.addr;
      }
    }
    out->push_back(std::move(f));
  }
}


void Engine::Stats(Counters* c) {
  Drain();
  c->handles = procs_.size();
  c->files = owned_.size();
  size_t syms = kernel_ ? kernel_->syms.size() : 0, b = kernel_ ? kernel_->Bytes() : 0;
  std::set<const Tables*> seen;
  for (const auto& [raw, f] : owned_) {
    b += sizeof(FileEntry) + sizeof(Source) + f->src->image.capacity();
    if (f->tables && seen.insert(f->tables.get()).second) {
      syms += f->tables->syms.size();
      b += f->tables->Bytes();
    }
    b += f->memo.size() * 64 + f->memo_frames * sizeof(OutFrame);
  }
  for (const auto& [h, p] : procs_) {
    syms += p->perf.syms.size();
    b += sizeof(Proc) + p->maps.capacity() * sizeof(Mapping) + p->perf.Bytes();
    for (const auto& [k, v] : p->cache) b += 64 + v.size() * sizeof(OutFrame);
  }
  c->symbols = syms;
  c->bytes = b;
  const Work& w = *work_;
  c->starts = w.starts;
  c->timeouts = w.timeouts;
  c->crashes = w.crashes;
  c->refused = w.refused + fds_refused_;
  c->entries_cut = w.entries_cut;
  c->bytes_cut = w.bytes_cut;
  c->start_errors = w.start_errors;
  c->fds = fds_;
  c->parser_pid = w.parser_pid;
}

}  // namespace sym

// ---------------------------------------------------------------------------------------------
// JavaScript.

namespace {

Napi::String Str(Napi::Env env, const std::string& s) {
  std::string v = sym::ValidUtf8(s);
  return Napi::String::New(env, v.data(), v.size());
}

Napi::Object FrameObject(Napi::Env env, const sym::OutFrame& f) {
  Napi::Object o = Napi::Object::New(env);
  char hex[24];
  snprintf(hex, sizeof hex, "0x%" PRIx64, f.addr);
  o.Set("addr", Napi::String::New(env, hex));
  o.Set("sym", f.has_sym ? Napi::Value(Str(env, f.sym)) : env.Null());
  o.Set("module", Str(env, f.module));
  o.Set("offset", Napi::Number::New(env, double(f.offset)));
  if (!f.file.empty()) o.Set("file", Str(env, f.file));
  if (f.line) o.Set("line", Napi::Number::New(env, f.line));
  if (!f.build_id.empty()) o.Set("buildId", Napi::String::New(env, f.build_id));
  if (f.inlined) o.Set("inlined", Napi::Boolean::New(env, true));
  if (f.pending) o.Set("pending", Napi::Boolean::New(env, true));
  return o;
}

// The addresses of a BigUint64Array argument.
std::vector<uint64_t> Addrs(const Napi::CallbackInfo& info, size_t arg, const char* usage) {
  if (info.Length() <= arg || !info[arg].IsTypedArray() ||
      info[arg].As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array)
    throw Napi::TypeError::New(info.Env(), usage);
  auto a = info[arg].As<Napi::BigUint64Array>();
  return std::vector<uint64_t>(a.Data(), a.Data() + a.ElementLength());
}

// opts.budgetMs of argument `arg` as a deadline (monotonic ns); INT64_MAX: none (wait).
int64_t Deadline(const Napi::CallbackInfo& info, size_t arg, const char* usage) {
  int64_t deadline = INT64_MAX;
  if (info.Length() > arg && !info[arg].IsUndefined()) {
    if (!info[arg].IsObject()) throw Napi::TypeError::New(info.Env(), usage);
    Napi::Value b = info[arg].As<Napi::Object>().Get("budgetMs");
    if (!b.IsUndefined()) {
      double ms = b.IsNumber() ? b.As<Napi::Number>().DoubleValue() : -1;
      if (!(ms >= 0)) throw Napi::TypeError::New(info.Env(), usage);
      if (ms < 1e9) deadline = sym::NowNs() + int64_t(ms * 1e6);
    }
  }
  return deadline;
}

// whenIdle(): waits on a libuv pool thread for the worker's queue to empty (or the engine to
// stop), then resolves on the main thread. It holds the queue's state, not the Symbolizer.
class IdleWaiter : public Napi::AsyncWorker {
 public:
  IdleWaiter(Napi::Env env, std::shared_ptr<sym::Work> w)
      : Napi::AsyncWorker(env, "perfscope:symbolizer-idle"), work_(std::move(w)), deferred_(Napi::Promise::Deferred::New(env)) {}
  void Execute() override { work_->WaitIdle(); }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }
  Napi::Promise Promise() const { return deferred_.Promise(); }

 private:
  std::shared_ptr<sym::Work> work_;
  Napi::Promise::Deferred deferred_;
};

int HandleArg(const Napi::CallbackInfo& info, const char* usage) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), usage);
  double h = info[0].As<Napi::Number>().DoubleValue();
  if (!(h >= 1 && h <= INT_MAX) || h != double(int(h))) throw Napi::TypeError::New(info.Env(), usage);
  return int(h);
}

}  // namespace

Napi::Function Symbolizer::Init(Napi::Env env) {
  return DefineClass(env, "Symbolizer",
                     {
                         InstanceMethod<&Symbolizer::Snapshot>("snapshot"),
                         InstanceMethod<&Symbolizer::User>("user"),
                         InstanceMethod<&Symbolizer::Kernel>("kernel"),
                         InstanceMethod<&Symbolizer::Unwind>("unwind"),
                         InstanceMethod<&Symbolizer::PrefetchKernel>("prefetchKernel"),
                         InstanceMethod<&Symbolizer::Idle>("idle"),
                         InstanceMethod<&Symbolizer::WhenIdle>("whenIdle"),
                         InstanceMethod<&Symbolizer::Release>("release"),
                         InstanceMethod<&Symbolizer::Stats>("stats"),
                     });
}

// new Symbolizer({ procRoot?, debugDirs?, kallsyms? })
Symbolizer::Symbolizer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Symbolizer>(info) {
  Napi::Env env = info.Env();
  const char* usage = "Symbolizer(opts?: { procRoot?: string; debugDirs?: string[]; kallsyms?: string; parserPath?: string })";
  std::string proc_root = "/proc", kallsyms, parser;
  std::vector<std::string> debug_dirs{"/usr/lib/debug"};
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, usage);
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Value v = o.Get("procRoot");
    if (!v.IsUndefined()) {
      if (!v.IsString()) throw Napi::TypeError::New(env, usage);
      proc_root = v.As<Napi::String>().Utf8Value();
      while (proc_root.size() > 1 && proc_root.back() == '/') proc_root.pop_back();
      if (proc_root.empty()) throw Napi::TypeError::New(env, usage);
    }
    v = o.Get("debugDirs");
    if (!v.IsUndefined()) {
      if (!v.IsArray()) throw Napi::TypeError::New(env, usage);
      Napi::Array a = v.As<Napi::Array>();
      debug_dirs.clear();
      for (uint32_t i = 0; i < a.Length(); i++) {
        Napi::Value d = a.Get(i);
        if (!d.IsString()) throw Napi::TypeError::New(env, usage);
        std::string s = d.As<Napi::String>().Utf8Value();
        while (s.size() > 1 && s.back() == '/') s.pop_back();
        if (!s.empty()) debug_dirs.push_back(s);
      }
    }
    v = o.Get("kallsyms");
    if (!v.IsUndefined()) {
      if (!v.IsString()) throw Napi::TypeError::New(env, usage);
      kallsyms = v.As<Napi::String>().Utf8Value();
    }
    v = o.Get("parserPath");
    if (!v.IsUndefined()) {
      if (!v.IsString()) throw Napi::TypeError::New(env, usage);
      parser = v.As<Napi::String>().Utf8Value();
    }
  }
  engine_ = std::make_unique<sym::Engine>(proc_root, debug_dirs, kallsyms, parser);
}

Symbolizer::~Symbolizer() = default;

// snapshot(pid, opts?: { prefetch }) -> handle
Napi::Value Symbolizer::Snapshot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "snapshot(pid: positive integer, opts?: { prefetch?: boolean })";
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, usage);
  double pid = info[0].As<Napi::Number>().DoubleValue();
  if (!(pid >= 1 && pid <= sym::kMaxPid) || pid != double(int(pid))) throw Napi::TypeError::New(env, usage);
  bool prefetch = false;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    if (!info[1].IsObject()) throw Napi::TypeError::New(env, usage);
    Napi::Value v = info[1].As<Napi::Object>().Get("prefetch");
    if (!v.IsUndefined() && !v.IsBoolean()) throw Napi::TypeError::New(env, usage);
    prefetch = v.IsBoolean() && v.As<Napi::Boolean>().Value();
  }
  LogReset();
  int err = 0;
  int h = engine_->Snapshot(int(pid), prefetch, &err);
  if (!h) ThrowErrno(env, err, "read", "cannot snapshot process " + std::to_string(int(pid)));
  return Napi::Number::New(env, h);
}

// user(handle, addrs, opts?: { budgetMs }) -> Frame[][]
Napi::Value Symbolizer::User(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "user(handle: number, addrs: BigUint64Array, opts?: { budgetMs?: number })";
  int h = HandleArg(info, usage);
  std::vector<uint64_t> addrs = Addrs(info, 1, usage);
  int64_t deadline = Deadline(info, 2, usage);
  sym::Proc* p = engine_->Find(h);
  if (!p) throw Napi::Error::New(env, "user(): unknown or released handle " + std::to_string(h));
  std::vector<std::vector<sym::OutFrame>> frames;
  engine_->User(p, addrs.data(), addrs.size(), deadline, &frames);
  Napi::Array out = Napi::Array::New(env, frames.size());
  for (size_t i = 0; i < frames.size(); i++) {
    Napi::Array list = Napi::Array::New(env, frames[i].size());
    for (size_t k = 0; k < frames[i].size(); k++) list.Set(uint32_t(k), FrameObject(env, frames[i][k]));
    out.Set(uint32_t(i), list);
  }
  return out;
}

// unwind(handle, ip: bigint, sp: bigint, bp: bigint, stack: Buffer, addrs: BigUint64Array,
//        via: Uint8Array, opts?: { budgetMs }) -> n | end << 8
// The caller's arrays (at least kMaxUnwind long) get the addresses and how each was found:
// nothing is allocated per call (one call per copied stack: the N-API objects of a result were
// most of its cost).
Napi::Value Symbolizer::Unwind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage =
      "unwind(handle: number, ip: bigint, sp: bigint, bp: bigint, stack: Buffer, addrs: BigUint64Array(127), via: Uint8Array(127), opts?: { budgetMs?: number })";
  int h = HandleArg(info, usage);
  uint64_t regs[3];
  for (int i = 0; i < 3; i++) {
    if (info.Length() <= size_t(1 + i) || !info[1 + i].IsBigInt()) throw Napi::TypeError::New(env, usage);
    bool lossless = true;
    regs[i] = info[1 + i].As<Napi::BigInt>().Uint64Value(&lossless);
  }
  if (info.Length() < 7 || !info[4].IsBuffer() || !info[5].IsTypedArray() || !info[6].IsTypedArray()) throw Napi::TypeError::New(env, usage);
  Napi::Buffer<uint8_t> stack = info[4].As<Napi::Buffer<uint8_t>>();
  Napi::TypedArray ta = info[5].As<Napi::TypedArray>(), tv = info[6].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_biguint64_array || ta.ElementLength() < sym::kMaxUnwind || tv.TypedArrayType() != napi_uint8_array ||
      tv.ElementLength() < sym::kMaxUnwind)
    throw Napi::TypeError::New(env, usage);
  int64_t deadline = Deadline(info, 7, usage);
  sym::Proc* p = engine_->Find(h);
  if (!p) throw Napi::Error::New(env, "unwind(): unknown or released handle " + std::to_string(h));
  sym::UnwindOut u;
  engine_->Unwind(p, regs[0], regs[1], regs[2], stack.Data(), stack.Length(), deadline, &u);
  size_t n = std::min(u.addrs.size(), sym::kMaxUnwind);
  uint8_t* ab = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  uint8_t* vb = static_cast<uint8_t*>(tv.ArrayBuffer().Data()) + tv.ByteOffset();
  if (n) {
    memcpy(ab, u.addrs.data(), n * 8);
    memcpy(vb, u.via.data(), n);
  }
  return Napi::Number::New(env, double(n | (size_t(u.end) << 8)));
}

// kernel(addrs, opts?: { budgetMs }) -> Frame[]
Napi::Value Symbolizer::Kernel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "kernel(addrs: BigUint64Array, opts?: { budgetMs?: number })";
  std::vector<uint64_t> addrs = Addrs(info, 0, usage);
  int64_t deadline = Deadline(info, 1, usage);
  std::vector<sym::OutFrame> frames;
  engine_->Kernel(addrs.data(), addrs.size(), deadline, &frames);
  Napi::Array out = Napi::Array::New(env, frames.size());
  for (size_t i = 0; i < frames.size(); i++) out.Set(uint32_t(i), FrameObject(env, frames[i]));
  return out;
}

// release(handle) -> whether it was known
Napi::Value Symbolizer::Release(const Napi::CallbackInfo& info) {
  int h = HandleArg(info, "release(handle: number)");
  return Napi::Boolean::New(info.Env(), engine_->Release(h));
}

// prefetchKernel(): start loading kallsyms in the background.
Napi::Value Symbolizer::PrefetchKernel(const Napi::CallbackInfo& info) {
  engine_->PrefetchKernel();
  return info.Env().Undefined();
}

// idle() -> whether nothing is queued or being parsed in the background
Napi::Value Symbolizer::Idle(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), engine_->Idle());
}

// whenIdle() -> Promise<void>, resolved once nothing is queued or being parsed
Napi::Value Symbolizer::WhenIdle(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (engine_->Idle()) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Resolve(env.Undefined());
    return d.Promise();
  }
  auto* w = new IdleWaiter(env, engine_->work());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value Symbolizer::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sym::Counters c;
  engine_->Stats(&c);
  Napi::Object o = Napi::Object::New(env);
  o.Set("handles", Napi::Number::New(env, double(c.handles)));
  o.Set("files", Napi::Number::New(env, double(c.files)));
  o.Set("symbols", Napi::Number::New(env, double(c.symbols)));
  o.Set("bytes", Napi::Number::New(env, double(c.bytes)));
  Napi::Object parser = Napi::Object::New(env);
  parser.Set("pid", Napi::Number::New(env, c.parser_pid));
  parser.Set("starts", Napi::Number::New(env, double(c.starts)));
  parser.Set("restarts", Napi::Number::New(env, double(c.starts > 0 ? c.starts - 1 : 0)));
  parser.Set("crashes", Napi::Number::New(env, double(c.crashes)));
  parser.Set("timeouts", Napi::Number::New(env, double(c.timeouts)));
  parser.Set("startErrors", Napi::Number::New(env, double(c.start_errors)));
  parser.Set("refused", Napi::Number::New(env, double(c.refused)));
  parser.Set("entriesCut", Napi::Number::New(env, double(c.entries_cut)));
  parser.Set("bytesCut", Napi::Number::New(env, double(c.bytes_cut)));
  parser.Set("fds", Napi::Number::New(env, double(c.fds)));
  o.Set("parser", parser);
  return o;
}

}  // namespace perfscope
