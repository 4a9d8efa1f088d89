#include "symbolize.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/openat2.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>

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
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "errors.h"

namespace perfscope {
namespace sym {
namespace {

// Bounds: everything read here comes from files and processes we do not trust.
constexpr size_t kMaxParsed = 512;             // files whose tables are held at once (LRU)
constexpr size_t kMaxName = 4096;              // longer names are cut
constexpr size_t kMaxSyms = 1 << 24;           // symbols per file
constexpr size_t kMaxSections = 1 << 20;
constexpr size_t kMaxPhdrs = 4096;
constexpr size_t kMaxCuRanges = 1 << 22;
constexpr size_t kMaxText = 64 << 20;          // maps, status, a perf map
constexpr size_t kMaxKallsyms = 256 << 20;
constexpr size_t kMaxVdso = 1 << 20;
constexpr size_t kAddrCacheMax = 1 << 16;      // per handle and per file, then cleared
constexpr int kMaxDieDepth = 64;
constexpr size_t kMaxDieVisits = 1 << 18;      // per lookup
constexpr int kMaxPid = 4194304;               // PID_MAX_LIMIT

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

// C++ and Rust legacy (_ZN...17h<hash>E) names demangled; anything else as it is.
std::string Demangle(const char* s) {
  size_t len = strnlen(s, kMaxName + 1);
  if (len > kMaxName) return std::string(s, kMaxName);
  if (len > 2 && s[0] == '_' && s[1] == 'Z') {
    int status = 0;
    char* d = abi::__cxa_demangle(s, nullptr, nullptr, &status);
    if (d && status == 0) {
      std::string out(d, strnlen(d, kMaxName));
      free(d);
      // Rust's legacy mangling ends in a hash component, ::h + 16 hex digits: not part of the name.
      if (out.size() > 19 && out.compare(out.size() - 19, 3, "::h") == 0 &&
          std::all_of(out.end() - 16, out.end(), [](char c) { return isxdigit(static_cast<unsigned char>(c)); }))
        out.resize(out.size() - 19);
      return out;
    }
    free(d);
  }
  return std::string(s, len);
}

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

}  // namespace

// ---------------------------------------------------------------------------------------------
// Tables of one file.

struct Sym {
  uint64_t addr;
  uint64_t end;   // exclusive: addr + st_size, or (unsized) the next symbol or the section's end
  uint32_t name;  // offset in Tables::names
  uint8_t rank;   // preference among aliases at one address; kUnsized marks st_size 0
};
constexpr uint8_t kUnsized = 0x80;

struct Segment {
  uint64_t off, filesz, vaddr;
};

struct CuRange {
  uint64_t lo, hi;
  Dwarf_Off off;
};

struct Source;

struct Tables {
  // What the Elf handles below read through (the file's fd, the vDSO image): outlives them.
  std::shared_ptr<const Source> src;
  std::vector<Segment> segs;
  std::vector<Sym> syms;
  std::string names;
  // DWARF, from the file itself or its separate debug file. libdw reads the sections through
  // the Elf handles, which read through the fds: all kept while dw lives.
  UniqueFd debug_fd;
  Elf* elf = nullptr;
  Elf* debug_elf = nullptr;
  Dwarf* dw = nullptr;
  std::vector<CuRange> cus;
  size_t dwarf_bytes = 0;

  Tables() = default;
  Tables(const Tables&) = delete;
  Tables& operator=(const Tables&) = delete;
  ~Tables() {
    if (dw) dwarf_end(dw);
    if (debug_elf) elf_end(debug_elf);
    if (elf) elf_end(elf);
  }
  size_t Bytes() const {
    return sizeof(*this) + segs.capacity() * sizeof(Segment) + syms.capacity() * sizeof(Sym) + names.capacity() +
           cus.capacity() * sizeof(CuRange) + dwarf_bytes;
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

  const CuRange* FindCu(uint64_t v) const {
    auto it = std::upper_bound(cus.begin(), cus.end(), v, [](uint64_t x, const CuRange& r) { return x < r.lo; });
    for (int k = 0; k < 16 && it != cus.begin(); k++) {
      --it;
      if (v < it->hi) return &*it;
    }
    return nullptr;
  }
};

namespace {

void ReadSegments(Elf* e, std::vector<Segment>* out) {
  size_t n = 0;
  if (elf_getphdrnum(e, &n) != 0) return;
  for (size_t i = 0; i < n && i < kMaxPhdrs; i++) {
    GElf_Phdr ph;
    if (gelf_getphdr(e, int(i), &ph) && ph.p_type == PT_LOAD && ph.p_filesz > 0)
      out->push_back(Segment{ph.p_offset, ph.p_filesz, ph.p_vaddr});
  }
}

// Function symbols (FUNC, IFUNC, and NOTYPE labels of hand-written assembly) defined in an
// executable section, from every section of `type`. Returns whether any was found. The entries
// and their string table are read straight from the sections' data (gelf_getsym and
// elf_strptr take libelf's lock and re-validate on every call: most of the time of a table of
// 100k symbols), every offset checked against the data's size.
bool LoadSymbols(Elf* e, GElf_Word type, Tables* t) {
  size_t shnum = 0;
  if (elf_getshdrnum(e, &shnum) != 0 || shnum == 0 || shnum > kMaxSections) return false;
  std::vector<std::pair<uint64_t, uint64_t>> exec(shnum, {0, 0});  // [addr, end) of executable sections
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(e, scn)) != nullptr) {
    GElf_Shdr sh;
    size_t i = elf_ndxscn(scn);
    if (gelf_getshdr(scn, &sh) && i < shnum && (sh.sh_flags & SHF_EXECINSTR) && sh.sh_size > 0 &&
        sh.sh_addr + sh.sh_size > sh.sh_addr)
      exec[i] = {sh.sh_addr, sh.sh_addr + sh.sh_size};
  }
  size_t ent = gelf_fsize(e, ELF_T_SYM, 1, EV_CURRENT);
  bool direct = gelf_getclass(e) == ELFCLASS64;  // elf_getdata gives Elf64_Sym in memory order
  size_t before = t->syms.size();
  scn = nullptr;
  while ((scn = elf_nextscn(e, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || ent == 0) continue;
    Elf_Data* d = elf_getdata(scn, nullptr);
    Elf_Scn* strscn = sh.sh_link < shnum ? elf_getscn(e, sh.sh_link) : nullptr;
    GElf_Shdr ssh;
    if (!d || !d->d_buf || !strscn || !gelf_getshdr(strscn, &ssh) || ssh.sh_type != SHT_STRTAB) continue;
    Elf_Data* sd = elf_getdata(strscn, nullptr);
    if (!sd || !sd->d_buf || sd->d_size == 0) continue;
    const char* strs = static_cast<const char*>(sd->d_buf);
    size_t strsz = sd->d_size;
    bool raw = direct && d->d_type == ELF_T_SYM;
    size_t n = d->d_size / (raw ? sizeof(Elf64_Sym) : ent);
    t->syms.reserve(t->syms.size() + std::min(n, kMaxSyms - std::min(kMaxSyms, t->syms.size())));
    for (size_t i = 0; i < n && t->syms.size() < kMaxSyms; i++) {
      GElf_Sym s;
      if (raw) memcpy(&s, static_cast<const char*>(d->d_buf) + i * sizeof(Elf64_Sym), sizeof s);
      else if (!gelf_getsym(d, int(i), &s)) continue;
      int st = GELF_ST_TYPE(s.st_info);
      if (st != STT_FUNC && st != STT_GNU_IFUNC && st != STT_NOTYPE) continue;
      if (s.st_shndx == SHN_UNDEF || s.st_shndx >= SHN_LORESERVE || s.st_shndx >= shnum) continue;
      auto [lo, hi] = exec[s.st_shndx];
      if (hi <= lo || s.st_value < lo || s.st_value >= hi) continue;
      if (s.st_name == 0 || s.st_name >= strsz) continue;
      const char* name = strs + s.st_name;
      size_t len = strnlen(name, std::min(kMaxName, strsz - s.st_name));
      if (len == 0 || name[0] == '$') continue;  // '$x', '$d': mapping symbols, not functions
      int bind = GELF_ST_BIND(s.st_info);
      uint8_t rank = uint8_t((s.st_size ? 8 : 0) + (st != STT_NOTYPE ? 4 : 0) +
                             (bind == STB_GLOBAL ? 2 : bind == STB_WEAK ? 1 : 0));
      uint64_t end = hi;
      if (s.st_size) end = s.st_value + s.st_size < s.st_value ? UINT64_MAX : s.st_value + s.st_size;
      else rank |= kUnsized;
      if (t->names.size() > UINT32_MAX - kMaxName - 1) break;
      t->syms.push_back(Sym{s.st_value, end, uint32_t(t->names.size()), rank});
      t->names.append(name, len);
      t->names.push_back('\0');
    }
  }
  return t->syms.size() > before;
}

// Sorted by address, one symbol per address (the preferred alias: sized, FUNC, GLOBAL, WEAK);
// an unsized symbol reaches at most to the next one.
void FinishSymbols(Tables* t) {
  auto& v = t->syms;
  std::stable_sort(v.begin(), v.end(), [](const Sym& a, const Sym& b) {
    if (a.addr != b.addr) return a.addr < b.addr;
    return (a.rank & ~kUnsized) > (b.rank & ~kUnsized);
  });
  v.erase(std::unique(v.begin(), v.end(), [](const Sym& a, const Sym& b) { return a.addr == b.addr; }), v.end());
  for (size_t i = 0; i + 1 < v.size(); i++)
    if (v[i].rank & kUnsized) v[i].end = std::min(v[i].end, v[i + 1].addr);
  v.shrink_to_fit();
  // The arena again with the kept names only (aliases dropped), exactly sized.
  size_t total = 0;
  for (const Sym& s : v) total += strlen(t->names.c_str() + s.name) + 1;
  std::string names;
  names.reserve(total);
  for (Sym& s : v) {
    const char* n = t->names.c_str() + s.name;
    s.name = uint32_t(names.size());
    names.append(n, strlen(n) + 1);
  }
  t->names = std::move(names);
}

// Does the file carry DWARF (not merely NOBITS placeholders)? Adds the debug sections' size.
bool HasDwarf(Elf* e, size_t* bytes) {
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(e, &shstrndx) != 0) return false;
  bool info = false;
  size_t total = 0;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(e, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || sh.sh_size == 0) continue;
    const char* name = elf_strptr(e, shstrndx, sh.sh_name);
    if (!name) continue;
    if (!strncmp(name, ".debug_", 7) || !strncmp(name, ".zdebug_", 8)) total += sh.sh_size;
    if (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info")) info = true;
  }
  if (info && bytes) *bytes = total;
  return info;
}

std::string BuildId(Elf* e) {
  const void* p = nullptr;
  ssize_t n = e ? dwelf_elf_gnu_build_id(e, &p) : -1;
  return n > 0 && n <= 64 && p ? std::string(static_cast<const char*>(p), size_t(n)) : std::string();
}

// The address ranges of every compile unit, sorted: which CU holds an address, without
// .debug_aranges (which not every compiler writes).
void IndexCus(Tables* t) {
  Dwarf_CU* cu = nullptr;
  Dwarf_CU* next = nullptr;
  Dwarf_Half version;
  uint8_t unit_type;
  Dwarf_Die cudie, subdie;
  while (dwarf_get_units(t->dw, cu, &next, &version, &unit_type, &cudie, &subdie) == 0) {
    cu = next;
    if (unit_type != DW_UT_compile) continue;
    Dwarf_Addr base, lo, hi;
    ptrdiff_t off = 0;
    while ((off = dwarf_ranges(&cudie, off, &base, &lo, &hi)) > 0 && t->cus.size() < kMaxCuRanges)
      if (hi > lo) t->cus.push_back(CuRange{lo, hi, dwarf_dieoffset(&cudie)});
    if (t->cus.size() >= kMaxCuRanges) break;
  }
  std::sort(t->cus.begin(), t->cus.end(), [](const CuRange& a, const CuRange& b) { return a.lo < b.lo; });
  t->cus.shrink_to_fit();
}

// The functions (concrete subprogram, then each inlined instance) whose code holds pc,
// outermost first, found by walking the CU's DIE tree down through the scopes holding pc.
bool ScopeWalk(Dwarf_Die* parent, Dwarf_Addr pc, std::vector<Dwarf_Die>* chain, int depth, size_t* visits) {
  if (depth > kMaxDieDepth) return false;
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) return false;
  for (;;) {
    if (++*visits > kMaxDieVisits) return false;
    int tag = dwarf_tag(&child);
    switch (tag) {
      case DW_TAG_subprogram:
      case DW_TAG_inlined_subroutine:
      case DW_TAG_lexical_block:
      case DW_TAG_try_block:
      case DW_TAG_catch_block:
        if (dwarf_haspc(&child, pc) == 1) {
          if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) chain->push_back(child);
          ScopeWalk(&child, pc, chain, depth + 1, visits);
          return true;
        }
        break;
      case DW_TAG_namespace:
      case DW_TAG_module:
      case DW_TAG_class_type:
      case DW_TAG_structure_type:
      case DW_TAG_union_type:
        if (ScopeWalk(&child, pc, chain, depth + 1, visits)) return true;
        break;
      default:
        break;
    }
    Dwarf_Die sib;
    if (dwarf_siblingof(&child, &sib) != 0) return false;
    child = sib;
  }
}

std::string DieName(Dwarf_Die* d) {
  Dwarf_Attribute a;
  const char* s = nullptr;
  if (dwarf_attr_integrate(d, DW_AT_linkage_name, &a) || dwarf_attr_integrate(d, DW_AT_MIPS_linkage_name, &a))
    s = dwarf_formstring(&a);
  if (s && *s) return Demangle(s);
  s = dwarf_attr_integrate(d, DW_AT_name, &a) ? dwarf_formstring(&a) : nullptr;
  return s ? Cut(s) : std::string();
}

struct DwFrame {
  std::string name, file;
  uint32_t line = 0;
  uint64_t low = 0;
  bool has_low = false;
};

// Outermost first. Each frame's file:line is where it is in its own code: the innermost from
// the line table, every other one the call site of the function inlined into it.
void DwarfFrames(Tables* t, uint64_t v, std::vector<DwFrame>* out) {
  const CuRange* r = t->FindCu(v);
  Dwarf_Die cu;
  if (!r || !dwarf_offdie(t->dw, r->off, &cu)) return;
  std::vector<Dwarf_Die> chain;
  size_t visits = 0;
  ScopeWalk(&cu, v, &chain, 0, &visits);
  std::string file;
  uint32_t line = 0;
  if (Dwarf_Line* l = dwarf_getsrc_die(&cu, v)) {
    const char* s = dwarf_linesrc(l, nullptr, nullptr);
    if (s) file = Cut(s);
    int ln = 0;
    if (dwarf_lineno(l, &ln) == 0 && ln > 0) line = uint32_t(ln);
  }
  if (chain.empty()) {
    if (!file.empty()) out->push_back(DwFrame{std::string(), file, line, 0, false});
    return;
  }
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  if (dwarf_getsrcfiles(&cu, &files, &nfiles) != 0) files = nullptr;
  out->resize(chain.size());
  for (size_t k = chain.size(); k-- > 0;) {
    DwFrame& f = (*out)[k];
    f.name = DieName(&chain[k]);
    f.file = file;
    f.line = line;
    Dwarf_Addr low;
    if (dwarf_lowpc(&chain[k], &low) == 0) {
      f.low = low;
      f.has_low = true;
    }
    if (dwarf_tag(&chain[k]) != DW_TAG_inlined_subroutine) continue;
    file.clear();
    line = 0;
    Dwarf_Attribute a;
    Dwarf_Word w;
    if (files && dwarf_attr(&chain[k], DW_AT_call_file, &a) && dwarf_formudata(&a, &w) == 0 && w < nfiles) {
      const char* s = dwarf_filesrc(files, w, nullptr, nullptr);
      if (s) file = Cut(s);
    }
    if (dwarf_attr(&chain[k], DW_AT_call_line, &a) && dwarf_formudata(&a, &w) == 0 && w <= UINT32_MAX) line = uint32_t(w);
  }
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
// Files, processes, the engine.

struct FileKey {
  uint64_t dev, ino;
  int64_t size, mtime;
  bool operator<(const FileKey& o) const {
    return std::tie(dev, ino, size, mtime) < std::tie(o.dev, o.ino, o.size, o.mtime);
  }
};

// What parsing a file needs, fixed once the file is opened: shared by its entry (main thread)
// and a parse in flight (the worker), so either may go first.
struct Source {
  UniqueFd fd;                      // a file...
  std::string image;                // ...or an image read from memory (the vDSO)
  std::shared_ptr<UniqueFd> root;   // the root it was found under (for a .gnu_debuglink beside it)
  std::string path;                 // its path there, when safe to use
  std::string build_id;
};

struct OutFrame {
  uint64_t addr = 0;
  bool has_sym = false;
  std::string sym;
  std::string module;
  uint64_t offset = 0;
  std::string file;
  uint32_t line = 0;
  bool inlined = false;
  bool pending = false;
};

// Main thread only.
struct FileEntry {
  uint64_t id = 0;                  // never reused: a parse's result finds its entry by it
  std::vector<FileKey> keys;
  // Build-id and size: what another file must have to share this entry (see OpenMapped).
  std::string share;
  std::shared_ptr<const Source> src;
  int users = 0;                    // handles that map it
  bool queued = false;              // handed to the worker, its tables not installed yet
  std::unique_ptr<Tables> tables;   // null until parsed, and after an LRU eviction
  // Lookups in these tables by file offset (and return-address bit), shared by every handle
  // that maps the file: a libc address every sleeping process has is walked once. Its
  // frames' addr and module are the asker's, set on the way out.
  std::unordered_map<uint64_t, std::vector<OutFrame>> memo;
  size_t memo_frames = 0;
  std::list<FileEntry*>::iterator lru;
};

enum class Kind { File, Vdso, Anon, Special };

struct Mapping {
  uint64_t start, end, pgoff;
  Kind kind;
  std::string name;
  FileEntry* file = nullptr;
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

struct Proc {
  int pid = 0, nspid = 0;
  UniqueFd procfd;                  // /proc/PID: fails once the process is gone (no pid reuse)
  std::shared_ptr<UniqueFd> root;   // /proc/PID/root
  std::vector<Mapping> maps;
  std::vector<FileEntry*> files;    // distinct, each counted once in users
  PerfMap perf;
  int64_t perf_checked = 0;
  std::unordered_map<uint64_t, std::vector<OutFrame>> cache;
};

struct KSym {
  uint64_t addr;
  uint32_t name, mod;  // mod: index in KernelTables::mods, 0 = the kernel
  uint8_t rank;
};

namespace {

Elf* TryDebug(int fd, const std::vector<FileKey>& keys, const std::string& id, bool check_crc, GElf_Word crc, UniqueFd* out) {
  UniqueFd d(fd);
  struct stat st;
  if (d.fd < 0 || fstat(d.fd, &st) != 0) return nullptr;
  for (const FileKey& k : keys)
    if (k.dev == uint64_t(st.st_dev) && k.ino == uint64_t(st.st_ino)) return nullptr;  // a link to itself
  Elf* e = elf_begin(d.fd, ELF_C_READ, nullptr);
  if (!e) return nullptr;
  bool ok = elf_kind(e) == ELF_K_ELF;
  if (ok && !id.empty()) {
    ok = BuildId(e) == id;
  } else if (ok && check_crc) {
    uLong c = crc32(0, nullptr, 0);
    char buf[65536];
    off_t at = 0;
    for (;;) {
      ssize_t n = pread(d.fd, buf, sizeof buf, at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      c = crc32(c, reinterpret_cast<const Bytef*>(buf), uInt(n));
      at += n;
    }
    ok = GElf_Word(c) == crc;
  } else {
    ok = false;
  }
  if (!ok) {
    elf_end(e);
    return nullptr;
  }
  *out = std::move(d);
  return e;
}

// The separate debug file: by build-id under each debug dir, else by .gnu_debuglink beside
// the file (inside its process's root), in .debug/ there, or under <debugDir>/<its dir>.
Elf* FindDebugFile(const Source& f, const std::vector<FileKey>& keys, const std::vector<std::string>& debug_dirs, Elf* e,
                   UniqueFd* out) {
  const std::string& id = f.build_id;
  if (id.size() >= 2) {
    std::string hex = Hex(id);
    for (const std::string& dir : debug_dirs)
      if (Elf* d = TryDebug(OpenRegular(dir + "/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2) + ".debug"), keys, id,
                            false, 0, out))
        return d;
  }
  GElf_Word crc = 0;
  const char* link = dwelf_elf_gnu_debuglink(e, &crc);
  if (!link || !SafeLinkName(link) || f.path.empty()) return nullptr;
  std::string name = Cut(link);
  std::string dir = DirName(f.path);
  int rootfd = f.root ? f.root->fd : -1;
  if (Elf* d = TryDebug(OpenInRoot(rootfd, dir + "/" + name), keys, id, true, crc, out)) return d;
  if (Elf* d = TryDebug(OpenInRoot(rootfd, dir + "/.debug/" + name), keys, id, true, crc, out)) return d;
  for (const std::string& ddir : debug_dirs)
    if (Elf* d = TryDebug(OpenRegular(ddir + dir + "/" + name), keys, id, true, crc, out)) return d;
  return nullptr;
}

// The costly step, once per file, on the worker thread: segments, symbols (.symtab, else the
// debug file's, else .dynsym) and the DWARF index. A file that is not ELF, or is broken, gets
// empty tables; null when cancelled (the engine is going away).
std::unique_ptr<Tables> ParseFile(const std::shared_ptr<const Source>& src, const std::vector<FileKey>& keys,
                                  const std::vector<std::string>& debug_dirs, const std::atomic<bool>& cancel) {
  const Source* f = src.get();
  auto t = std::make_unique<Tables>();
  t->src = src;
  Elf* e = nullptr;
  if (!f->image.empty()) e = elf_memory(const_cast<char*>(f->image.data()), f->image.size());
  else if (f->fd.fd >= 0) e = elf_begin(f->fd.fd, ELF_C_READ, nullptr);
  if (e && elf_kind(e) == ELF_K_ELF) {
    ReadSegments(e, &t->segs);
    bool symtab = LoadSymbols(e, SHT_SYMTAB, t.get());
    bool dwarf = HasDwarf(e, nullptr);
    UniqueFd dbgfd;
    Elf* dbg = nullptr;
    if ((!symtab || !dwarf) && f->image.empty()) dbg = FindDebugFile(*f, keys, debug_dirs, e, &dbgfd);
    if (!symtab && dbg) symtab = LoadSymbols(dbg, SHT_SYMTAB, t.get());
    if (!symtab) LoadSymbols(e, SHT_DYNSYM, t.get());
    FinishSymbols(t.get());
    if (cancel) {
      if (dbg) elf_end(dbg);
      elf_end(e);
      return nullptr;
    }
    // DWARF through an Elf handle of its own: the handles the symbols were read through hold
    // libelf's copies of .symtab and .strtab (node's: 8 MB), freed below.
    Elf* dwsrc = dwarf ? e : dbg && HasDwarf(dbg, nullptr) ? dbg : nullptr;
    Elf* de = nullptr;
    if (dwsrc == e) de = f->image.empty() ? elf_begin(f->fd.fd, ELF_C_READ, nullptr) : elf_memory(const_cast<char*>(f->image.data()), f->image.size());
    else if (dwsrc) de = elf_begin(dbgfd.fd, ELF_C_READ, nullptr);
    if (de) t->dw = dwarf_begin_elf(de, DWARF_C_READ, nullptr);
    if (t->dw) {
      IndexCus(t.get());
      HasDwarf(de, &t->dwarf_bytes);  // after libdw decompressed what was compressed: the memory held
      if (dwsrc == e) {
        t->elf = de;
      } else {
        t->debug_elf = de;
        t->debug_fd = std::move(dbgfd);
      }
    } else if (de) {
      elf_end(de);
    }
    if (dbg) elf_end(dbg);
  }
  if (e) elf_end(e);
  t->segs.shrink_to_fit();
  return t;
}

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

constexpr uint64_t kKernelJob = 0;  // file ids start at 1

// The background queue: the main thread hands the worker jobs (a file to parse, kallsyms to
// load) and takes finished tables back; the worker touches nothing else of the engine and no
// N-API. Everything here is under mu but `cancel`; shared (shared_ptr) by the engine, the
// worker thread and any whenIdle() waiter, so whichever ends last frees it.
struct Job {
  uint64_t id = kKernelJob;
  std::shared_ptr<const Source> src;
  std::vector<FileKey> keys;
};

struct Done {
  uint64_t id = kKernelJob;
  std::unique_ptr<Tables> tables;
  std::unique_ptr<KernelTables> kernel;
};

struct Work {
  std::mutex mu;
  std::condition_variable wake;     // the worker: a job, or stop
  std::condition_variable changed;  // waiters: a job finished, or stop
  std::deque<Job> queue;
  std::vector<Done> done;
  bool busy = false;                // a job in flight
  bool stop = false;
  std::atomic<bool> cancel{false};  // read by a parse in flight, between its steps
  std::vector<std::string> debug_dirs;
  std::string kallsyms_path;

  bool IdleLocked() const { return queue.empty() && !busy; }
  void WaitIdle() {
    std::unique_lock<std::mutex> l(mu);
    changed.wait(l, [&] { return stop || IdleLocked(); });
  }
};

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
    d.id = job.id;
    try {
      if (job.id == kKernelJob) d.kernel = LoadKallsyms(w->kallsyms_path, w->cancel);
      else d.tables = ParseFile(job.src, job.keys, w->debug_dirs, w->cancel);
    } catch (const std::exception&) {  // out of memory: no tables, and the file is asked for again
      d.tables.reset();
      d.kernel.reset();
    }
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
}

}  // namespace

class Engine {
 public:
  Engine(std::string proc_root, std::vector<std::string> debug_dirs, std::string kallsyms)
      : proc_root_(std::move(proc_root)), work_(std::make_shared<Work>()) {
    elf_version(EV_CURRENT);
    work_->debug_dirs = std::move(debug_dirs);
    work_->kallsyms_path = kallsyms.empty() ? proc_root_ + "/kallsyms" : std::move(kallsyms);
  }
  // The worker is told to stop (a parse in flight stops at its next step) and joined: it never
  // outlives the code and the tables it uses. (At process.exit no destructor runs: the worker
  // holds its own reference to what it uses and simply dies with the process.)
  ~Engine() {
    {
      std::lock_guard<std::mutex> l(work_->mu);
      work_->stop = true;
      work_->cancel = true;
      work_->queue.clear();
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
  // deadline INT64_MAX: wait for the tables needed; else nothing is parsed or waited for here.
  void User(Proc* p, const uint64_t* addrs, size_t n, int64_t deadline, std::vector<std::vector<OutFrame>>* out);
  void Kernel(const uint64_t* addrs, size_t n, int64_t deadline, std::vector<OutFrame>* out);
  void PrefetchKernel();
  bool Release(int handle);
  void Stats(size_t* handles, size_t* files, size_t* symbols, size_t* bytes);
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
  bool ResolveInTables(Tables* t, const OutFrame& base, uint64_t fileoff, uint64_t delta, int64_t deadline,
                       std::vector<OutFrame>* out);
  // The worker's side: hand over a job (urgent: ahead of the others), install what it finished,
  // wait for one file or for kallsyms.
  void Start();
  void Queue(FileEntry* f, bool urgent);
  void Drain();
  void WaitFor(FileEntry* f);
  void WaitKernel();
  bool WaitDone();

  std::string proc_root_;
  std::shared_ptr<Work> work_;
  std::thread thread_;
  std::map<int, std::unique_ptr<Proc>> procs_;
  int next_handle_ = 1;
  uint64_t next_id_ = 1;
  std::map<FileEntry*, std::unique_ptr<FileEntry>> owned_;
  std::unordered_map<uint64_t, FileEntry*> by_id_;
  std::map<FileKey, FileEntry*> by_key_;
  std::unordered_map<std::string, FileEntry*> by_build_id_;
  std::list<FileEntry*> lru_;  // parsed files, most recently used first
  bool kqueued_ = false;
  std::unique_ptr<KernelTables> kernel_;  // null until loaded
};

void Engine::Start() {
  if (!thread_.joinable()) thread_ = std::thread(WorkerMain, work_);
}

void Engine::Queue(FileEntry* f, bool urgent) {
  if (f->tables) return;
  std::lock_guard<std::mutex> l(work_->mu);
  if (work_->stop) return;
  if (f->queued) {
    if (!urgent) return;
    auto& q = work_->queue;
    auto it = std::find_if(q.begin(), q.end(), [&](const Job& j) { return j.id == f->id; });
    if (it != q.end() && it != q.begin()) {
      Job j = std::move(*it);
      q.erase(it);
      q.push_front(std::move(j));
    }
    return;
  }
  f->queued = true;
  Job j;
  j.id = f->id;
  j.src = f->src;
  j.keys = f->keys;
  if (urgent) work_->queue.push_front(std::move(j));
  else work_->queue.push_back(std::move(j));
  Start();
  work_->wake.notify_one();
}

void Engine::PrefetchKernel() {
  if (kernel_ || kqueued_) return;
  std::lock_guard<std::mutex> l(work_->mu);
  if (work_->stop) return;
  kqueued_ = true;
  work_->queue.push_front(Job{});
  Start();
  work_->wake.notify_one();
}

// What the worker finished, installed (a file released meanwhile: its tables are dropped here).
void Engine::Drain() {
  std::vector<Done> done;
  {
    std::lock_guard<std::mutex> l(work_->mu);
    done.swap(work_->done);
  }
  for (Done& d : done) {
    if (d.id == kKernelJob) {
      kqueued_ = false;
      kernel_ = std::move(d.kernel);
      continue;
    }
    auto it = by_id_.find(d.id);
    if (it == by_id_.end() || !it->second->queued) continue;
    FileEntry* f = it->second;
    f->queued = false;
    if (!d.tables) continue;  // failed: asked for again on its next use
    f->tables = std::move(d.tables);
    Touch(f);
    while (lru_.size() > kMaxParsed) {
      FileEntry* old = lru_.back();
      lru_.pop_back();
      old->lru = lru_.end();
      old->tables.reset();  // parsed again if it is needed again
      old->memo.clear();
      old->memo_frames = 0;
    }
  }
}

// Blocks until the worker finishes some job; false once it is stopping.
bool Engine::WaitDone() {
  std::unique_lock<std::mutex> l(work_->mu);
  work_->changed.wait(l, [&] { return work_->stop || !work_->done.empty(); });
  return !work_->stop;
}

void Engine::WaitFor(FileEntry* f) {
  Queue(f, true);
  for (;;) {
    Drain();
    if (f->tables || !f->queued) return;
    if (!WaitDone()) return;
  }
}

void Engine::WaitKernel() {
  PrefetchKernel();
  for (;;) {
    Drain();
    if (kernel_ || !kqueued_) return;
    if (!WaitDone()) return;
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
  RefreshPerfMap(p.get(), NowNs(), true);
  if (prefetch)
    for (FileEntry* f : p->files) Queue(f, false);
  if (next_handle_ == INT_MAX) next_handle_ = 1;
  while (procs_.count(next_handle_)) next_handle_++;
  int h = next_handle_++;
  procs_[h] = std::move(p);
  return h;
}

static std::string ShareKey(const std::string& build_id, int64_t size) { return build_id + "/" + std::to_string(size); }

void Engine::Use(Proc* p, FileEntry* f) {
  if (std::find(p->files.begin(), p->files.end(), f) != p->files.end()) return;
  p->files.push_back(f);
  f->users++;
}

FileEntry* Engine::Adopt(std::unique_ptr<FileEntry> f, std::unique_ptr<Source> src) {
  FileEntry* raw = f.get();
  raw->id = next_id_++;
  if (!src->build_id.empty()) raw->share = ShareKey(src->build_id, raw->keys.front().size);
  raw->src = std::move(src);
  by_id_[raw->id] = raw;
  for (const FileKey& k : raw->keys) by_key_[k] = raw;
  if (!raw->share.empty()) by_build_id_.emplace(raw->share, raw);
  raw->lru = lru_.end();
  owned_[raw] = std::move(f);
  return raw;
}

// The file behind a mapping: through map_files (the very file mapped, even deleted or in
// another mount namespace), else its path inside the process's root, if that is still the
// same inode. Shared with every other process mapping the same file.
FileEntry* Engine::OpenMapped(Proc* p, uint64_t start, uint64_t end, uint64_t ino, const std::string& path) {
  char mf[64];
  snprintf(mf, sizeof mf, "map_files/%" PRIx64 "-%" PRIx64, start, end);
  UniqueFd fd(KeepRegular(openat(p->procfd.fd, mf, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)));
  std::string clean = path;
  static const std::string kDeleted = " (deleted)";
  if (clean.size() > kDeleted.size() && clean.compare(clean.size() - kDeleted.size(), kDeleted.size(), kDeleted) == 0)
    clean.resize(clean.size() - kDeleted.size());
  bool safe = SafePath(clean);
  struct stat st;
  if (fd.fd < 0 && safe) {
    fd.reset(OpenInRoot(p->root->fd, clean));
    if (fd.fd >= 0 && (fstat(fd.fd, &st) != 0 || st.st_ino != ino)) fd.reset();
  }
  if (fd.fd < 0 || fstat(fd.fd, &st) != 0) return nullptr;
  FileKey key{uint64_t(st.st_dev), uint64_t(st.st_ino), int64_t(st.st_size),
              int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
  auto it = by_key_.find(key);
  if (it != by_key_.end()) return it->second;
  std::string id;
  if (Elf* e = elf_begin(fd.fd, ELF_C_READ, nullptr)) {
    if (elf_kind(e) == ELF_K_ELF) id = BuildId(e);
    elf_end(e);
  }
  if (!id.empty()) {
    // The same build in another namespace (or a copy): one entry. The size must match too: a
    // stripped copy keeps the build-id of the file it was stripped from, and must not share the
    // other's symbol table (nor give it its own, none).
    auto b = by_build_id_.find(ShareKey(id, st.st_size));
    if (b != by_build_id_.end()) {
      b->second->keys.push_back(key);
      by_key_[key] = b->second;
      return b->second;
    }
  }
  auto f = std::make_unique<FileEntry>();
  f->keys.push_back(key);
  auto src = std::make_unique<Source>();
  src->build_id = id;
  src->fd = std::move(fd);
  if (safe) {
    src->root = p->root;
    src->path = clean;
  }
  return Adopt(std::move(f), std::move(src));
}

// The vDSO: the process's own image from /proc/PID/mem, else ours when it has the same size.
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
  auto f = std::make_unique<FileEntry>();
  f->keys.push_back(key);
  auto src = std::make_unique<Source>();
  src->image = std::move(img);
  return Adopt(std::move(f), std::move(src));
}

void Engine::Touch(FileEntry* f) {
  if (f->lru != lru_.end()) lru_.erase(f->lru);
  lru_.push_front(f);
  f->lru = lru_.begin();
}

void Engine::RefreshPerfMap(Proc* p, int64_t now, bool force) {
  if (!force && now - p->perf_checked < 1000000000) return;
  p->perf_checked = now;
  if (p->procfd.fd < 0) return;
  UniqueFd alive(openat(p->procfd.fd, "stat", O_RDONLY | O_CLOEXEC));
  if (alive.fd < 0) {  // gone: its perf map is what was read while it lived
    p->procfd.reset();
    return;
  }
  UniqueFd fd(OpenInRoot(p->root->fd, "/tmp/perf-" + std::to_string(p->nspid) + ".map"));
  struct stat st;
  if (fd.fd < 0 || fstat(fd.fd, &st) != 0) return;
  int64_t mtime = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (mtime == p->perf.mtime && st.st_size == p->perf.size) return;
  std::string text;
  if (!ReadAll(fd.fd, &text, kMaxText)) return;
  PerfMap pm;
  pm.mtime = mtime;
  pm.size = st.st_size;
  size_t pos = 0;
  uint32_t seq = 0;
  while (pos < text.size() && pm.syms.size() < kMaxSyms) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const char* s = line.c_str();
    char* e1 = nullptr;
    char* e2 = nullptr;
    errno = 0;
    uint64_t start = strtoull(s, &e1, 16);
    if (e1 == s || *e1 != ' ') continue;
    uint64_t size = strtoull(e1 + 1, &e2, 16);
    if (errno || e2 == e1 + 1 || *e2 != ' ' || size == 0 || start + size < start || !e2[1]) continue;
    pm.syms.push_back(JitSym{start, start + size, uint32_t(pm.names.size()), seq++});
    pm.names.append(e2 + 1, strnlen(e2 + 1, kMaxName));
    pm.names.push_back('\0');
    if (pm.names.size() > UINT32_MAX - kMaxName - 1) break;
  }
  std::stable_sort(pm.syms.begin(), pm.syms.end(), [](const JitSym& a, const JitSym& b) { return a.start < b.start; });
  p->perf = std::move(pm);
  p->cache.clear();
}

// Returns whether the answer is whole: false when the DWARF walk was left for a later call
// (the deadline had passed: the name from the symbol table, marked pending).
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
  bool whole = ResolveInTables(f->tables.get(), base, fileoff, delta, deadline, out);
  if (whole && keyable) {
    if (f->memo.size() >= kAddrCacheMax) {
      f->memo.clear();
      f->memo_frames = 0;
    }
    f->memo_frames += out->size() - first;
    f->memo.emplace(key, std::vector<OutFrame>(out->begin() + ptrdiff_t(first), out->end()));
  }
  return whole;
}

bool Engine::ResolveInTables(Tables* t, const OutFrame& base, uint64_t fileoff, uint64_t delta, int64_t deadline,
                             std::vector<OutFrame>* out) {
  uint64_t v;
  if (!t->Translate(fileoff, &v)) {
    out->push_back(base);
    return true;
  }
  const Sym* s = t->Find(v);
  std::vector<DwFrame> dw;
  bool whole = true;
  if (t->dw && (deadline == INT64_MAX || NowNs() < deadline)) DwarfFrames(t, v, &dw);
  else if (t->dw) whole = false;
  OutFrame outer = base;
  outer.pending = !whole;
  if (s) {
    outer.has_sym = true;
    outer.sym = Demangle(t->names.c_str() + s->name);
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
      f.sym = Demangle(p->perf.names.c_str() + j->name);
      f.offset = addr - j->start;
    } else if (m) {
      f.module = "[jit]";
      f.offset = addr - m->start;
    } else {
      f.module = "[unknown]";
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
    if (deadline == INT64_MAX) WaitFor(file);
    else Queue(file, false);
  }
  if (!file->tables) {  // being read in the background: the next call has it
    f.pending = true;
    out->push_back(f);
    return false;
  }
  Touch(file);
  return ResolveInFile(file, f, fileoff, delta, deadline, out);
}

void Engine::User(Proc* p, const uint64_t* addrs, size_t n, int64_t deadline, std::vector<std::vector<OutFrame>>* out) {
  Drain();
  RefreshPerfMap(p, NowNs(), false);
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
  for (FileEntry* f : it->second->files) {
    if (--f->users > 0) continue;
    if (f->queued) {  // not started: dropped from the queue; in flight: its result is dropped on arrival
      std::lock_guard<std::mutex> l(work_->mu);
      auto& q = work_->queue;
      q.erase(std::remove_if(q.begin(), q.end(), [&](const Job& j) { return j.id == f->id; }), q.end());
    }
    by_id_.erase(f->id);
    for (const FileKey& k : f->keys) by_key_.erase(k);
    if (!f->share.empty()) by_build_id_.erase(f->share);
    if (f->lru != lru_.end()) lru_.erase(f->lru);
    owned_.erase(f);  // frees its tables, and closes its fd unless a parse in flight still holds it
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
    if (deadline == INT64_MAX) WaitKernel();
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

void Engine::Stats(size_t* handles, size_t* files, size_t* symbols, size_t* bytes) {
  Drain();
  *handles = procs_.size();
  *files = owned_.size();
  size_t syms = kernel_ ? kernel_->syms.size() : 0, b = kernel_ ? kernel_->Bytes() : 0;
  for (const auto& [raw, f] : owned_) {
    b += sizeof(FileEntry) + sizeof(Source) + f->src->image.capacity();
    if (f->tables) {
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
  *symbols = syms;
  *bytes = b;
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
  const char* usage = "Symbolizer(opts?: { procRoot?: string; debugDirs?: string[]; kallsyms?: string })";
  std::string proc_root = "/proc", kallsyms;
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
  }
  engine_ = std::make_unique<sym::Engine>(proc_root, debug_dirs, kallsyms);
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
  size_t handles, files, symbols, bytes;
  engine_->Stats(&handles, &files, &symbols, &bytes);
  Napi::Object o = Napi::Object::New(env);
  o.Set("handles", Napi::Number::New(env, double(handles)));
  o.Set("files", Napi::Number::New(env, double(files)));
  o.Set("symbols", Napi::Number::New(env, double(symbols)));
  o.Set("bytes", Napi::Number::New(env, double(bytes)));
  return o;
}

}  // namespace perfscope
