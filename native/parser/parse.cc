// See parse.h. Moved here from the addon (native/symbolize.cc) when the parsing of other
// processes' files left perfscope's own process: the code is the addon's former parser, with
// a bound on every section it reads.
#include "parse.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdwelf.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace perfscope {
namespace parse {
namespace {

std::string Cut(const char* s) { return std::string(s, strnlen(s, kMaxName)); }

Elf* Begin(int fd, const char* mem, size_t len) {
  elf_version(EV_CURRENT);
  Elf* e = fd >= 0 ? elf_begin(fd, ELF_C_READ, nullptr) : elf_memory(const_cast<char*>(mem), len);
  if (e && elf_kind(e) != ELF_K_ELF) {
    elf_end(e);
    return nullptr;
  }
  return e;
}

// The section count, or 0 when it is over the bound (the file is refused).
size_t Sections(Elf* e) {
  size_t shnum = 0;
  if (elf_getshdrnum(e, &shnum) != 0 || shnum > kMaxSections) return 0;
  return shnum;
}

void ReadSegments(Elf* e, std::vector<Segment>* out) {
  size_t n = 0;
  if (elf_getphdrnum(e, &n) != 0) return;
  for (size_t i = 0; i < n && i < kMaxPhdrs; i++) {
    GElf_Phdr ph;
    if (gelf_getphdr(e, int(i), &ph) && ph.p_type == PT_LOAD && ph.p_filesz > 0)
      out->push_back(Segment{ph.p_offset, ph.p_filesz, ph.p_vaddr});
  }
}

// The GNU build-id, from note sections of a bounded size only (libdwelf's reader would read any
// note of any size).
std::string BuildId(Elf* e) {
  size_t shnum = Sections(e);
  size_t seen = 0;
  Elf_Scn* scn = nullptr;
  while (shnum && (scn = elf_nextscn(e, scn)) != nullptr && seen < kMaxNotes) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE) continue;
    seen++;
    if (sh.sh_size == 0 || sh.sh_size > kMaxNoteBytes) continue;
    Elf_Data* d = elf_getdata(scn, nullptr);
    if (!d || !d->d_buf) continue;
    size_t off = 0, noff, doff;
    GElf_Nhdr nh;
    for (int k = 0; k < 64 && off < d->d_size; k++) {
      size_t next = gelf_getnote(d, off, &nh, &noff, &doff);
      if (next == 0 || next <= off) break;
      if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && noff + 4 <= d->d_size &&
          memcmp(static_cast<const char*>(d->d_buf) + noff, "GNU", 4) == 0 && nh.n_descsz > 0 && nh.n_descsz <= 64 &&
          doff + nh.n_descsz <= d->d_size)
        return std::string(static_cast<const char*>(d->d_buf) + doff, nh.n_descsz);
      off = next;
    }
  }
  return std::string();
}

// Function symbols (FUNC, IFUNC, and NOTYPE labels of hand-written assembly) defined in an
// executable section, from every section of `type`, every offset checked against the data's
// size. Returns whether any was found.
bool LoadSymbols(Elf* e, GElf_Word type, SymTable* t) {
  size_t shnum = Sections(e);
  if (shnum == 0) return false;
  std::vector<std::pair<uint64_t, uint64_t>> exec(shnum, {0, 0});
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(e, scn)) != nullptr) {
    GElf_Shdr sh;
    size_t i = elf_ndxscn(scn);
    if (gelf_getshdr(scn, &sh) && i < shnum && (sh.sh_flags & SHF_EXECINSTR) && sh.sh_size > 0 &&
        sh.sh_addr + sh.sh_size > sh.sh_addr)
      exec[i] = {sh.sh_addr, sh.sh_addr + sh.sh_size};
  }
  size_t ent = gelf_fsize(e, ELF_T_SYM, 1, EV_CURRENT);
  bool direct = gelf_getclass(e) == ELFCLASS64;
  size_t before = t->syms.size();
  scn = nullptr;
  while ((scn = elf_nextscn(e, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || ent == 0) continue;
    if (sh.sh_size > kMaxSymtabBytes) {
      t->cut += sh.sh_size / ent;
      continue;
    }
    Elf_Scn* strscn = sh.sh_link < shnum ? elf_getscn(e, sh.sh_link) : nullptr;
    GElf_Shdr ssh;
    if (!strscn || !gelf_getshdr(strscn, &ssh) || ssh.sh_type != SHT_STRTAB) continue;
    if (ssh.sh_size > kMaxStrtabBytes) {
      t->cut += sh.sh_size / ent;
      continue;
    }
    Elf_Data* d = elf_getdata(scn, nullptr);
    if (!d || !d->d_buf) continue;
    Elf_Data* sd = elf_getdata(strscn, nullptr);
    if (!sd || !sd->d_buf || sd->d_size == 0) continue;
    const char* strs = static_cast<const char*>(sd->d_buf);
    size_t strsz = sd->d_size;
    bool raw = direct && d->d_type == ELF_T_SYM;
    size_t n = d->d_size / (raw ? sizeof(Elf64_Sym) : ent);
    for (size_t i = 0; i < n; i++) {
      if (t->syms.size() >= kMaxSyms) {
        t->cut += n - i;
        break;
      }
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
      if (t->names.size() > UINT32_MAX - kMaxName - 1) {
        t->cut += n - i;
        break;
      }
      t->syms.push_back(Sym{s.st_value, end, uint32_t(t->names.size()), rank});
      t->names.append(name, len);
      t->names.push_back('\0');
    }
  }
  return t->syms.size() > before;
}

// Sorted by address, one symbol per address (the preferred alias: sized, FUNC, GLOBAL, WEAK);
// an unsized symbol reaches at most to the next one; names demangled.
void FinishSymbols(SymTable* t) {
  auto& v = t->syms;
  std::stable_sort(v.begin(), v.end(), [](const Sym& a, const Sym& b) {
    if (a.addr != b.addr) return a.addr < b.addr;
    return (a.rank & ~kUnsized) > (b.rank & ~kUnsized);
  });
  v.erase(std::unique(v.begin(), v.end(), [](const Sym& a, const Sym& b) { return a.addr == b.addr; }), v.end());
  for (size_t i = 0; i + 1 < v.size(); i++)
    if (v[i].rank & kUnsized) v[i].end = std::min(v[i].end, v[i + 1].addr);
  v.shrink_to_fit();
  std::string names;
  for (Sym& s : v) {
    std::string d = Demangle(t->names.c_str() + s.name, kMaxName);
    if (names.size() > UINT32_MAX - kMaxName - 1) {
      s.name = 0;
      continue;
    }
    s.name = uint32_t(names.size());
    names.append(d);
    names.push_back('\0');
  }
  names.shrink_to_fit();
  t->names = std::move(names);
}

// Is there DWARF (not merely NOBITS placeholders), within the bounds (inflated sizes of
// compressed sections by their headers)?
// The debug sections within their bounds (each inflated at most kMaxDebugSection, all at most
// kMaxDebugTotal): whether there is .debug_info (*info) and .debug_frame (*frame).
bool DebugSections(Elf* e, bool* info, bool* frame) {
  size_t shstrndx = 0;
  size_t shnum = Sections(e);
  *info = *frame = false;
  if (!shnum || elf_getshdrstrndx(e, &shstrndx) != 0) return false;
  uint64_t total = 0;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(e, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || sh.sh_size == 0) continue;
    const char* name = elf_strptr(e, shstrndx, sh.sh_name);
    if (!name) continue;
    bool z = !strncmp(name, ".zdebug_", 8);
    if (strncmp(name, ".debug_", 7) && !z) continue;
    uint64_t size = sh.sh_size;
    if (sh.sh_flags & SHF_COMPRESSED) {
      GElf_Chdr ch;
      if (!gelf_getchdr(scn, &ch)) return false;
      size = ch.ch_size;
    } else if (z) {
      // "ZLIB" and the inflated size, 8 bytes big-endian.
      if (sh.sh_size < 12) return false;
      Elf_Data* d = elf_rawdata(scn, nullptr);
      if (!d || !d->d_buf || d->d_size < 12 || memcmp(d->d_buf, "ZLIB", 4) != 0) return false;
      const unsigned char* b = static_cast<const unsigned char*>(d->d_buf) + 4;
      size = 0;
      for (int k = 0; k < 8; k++) size = size << 8 | b[k];
    }
    if (size > kMaxDebugSection) return false;
    total += size;
    if (total > kMaxDebugTotal) return false;
    if (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info")) *info = true;
    if (!strcmp(name, ".debug_frame") || !strcmp(name, ".zdebug_frame")) *frame = true;
  }
  return true;
}

bool HasDwarf(Elf* e) {
  bool info, frame;
  return DebugSections(e, &info, &frame) && info;
}

const char* DebugLink(Elf* e, GElf_Word* crc) {
  size_t shstrndx = 0;
  if (!Sections(e) || elf_getshdrstrndx(e, &shstrndx) != 0) return nullptr;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(e, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS) continue;
    const char* name = elf_strptr(e, shstrndx, sh.sh_name);
    if (!name || strcmp(name, ".gnu_debuglink") != 0) continue;
    if (sh.sh_size < 8 || sh.sh_size > 4096) return nullptr;
    Elf_Data* d = elf_getdata(scn, nullptr);
    if (!d || !d->d_buf || d->d_size < 8) return nullptr;
    const char* s = static_cast<const char*>(d->d_buf);
    size_t len = strnlen(s, d->d_size);
    size_t at = (len + 4) & ~size_t(3);
    if (len == d->d_size || at + 4 > d->d_size) return nullptr;
    uint32_t c;
    memcpy(&c, s + at, 4);
    if (gelf_getclass(e) != ELFCLASSNONE) {
      GElf_Ehdr eh;
      if (gelf_getehdr(e, &eh) && eh.e_ident[EI_DATA] != (__BYTE_ORDER == __LITTLE_ENDIAN ? ELFDATA2LSB : ELFDATA2MSB))
        c = __builtin_bswap32(c);
    }
    *crc = c;
    return s;
  }
  return nullptr;
}

// A .gnu_debuglink name: one path component.
bool SafeLinkName(const char* s) {
  size_t n = strnlen(s, 256);
  return n > 0 && n < 256 && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

// libdw's scope walk: the functions (concrete subprogram, then each inlined instance) whose
// code holds pc, outermost first.
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
          if ((tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) && chain->size() < kMaxInline)
            chain->push_back(child);
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
  if (s && *s) return Demangle(s, kMaxName);
  s = dwarf_attr_integrate(d, DW_AT_name, &a) ? dwarf_formstring(&a) : nullptr;
  return s ? Cut(s) : std::string();
}

}  // namespace

// C++ and Rust legacy (_ZN...17h<hash>E) names demangled; anything else as it is.
std::string Demangle(const char* s, size_t max) {
  size_t len = strnlen(s, max + 1);
  if (len > max) return std::string(s, max);
  if (len > 2 && s[0] == '_' && s[1] == 'Z') {
    int status = 0;
    char* d = abi::__cxa_demangle(s, nullptr, nullptr, &status);
    if (d && status == 0) {
      std::string out(d, strnlen(d, max));
      free(d);
      if (out.size() > 19 && out.compare(out.size() - 19, 3, "::h") == 0 &&
          std::all_of(out.end() - 16, out.end(), [](char c) { return isxdigit(static_cast<unsigned char>(c)); }))
        out.resize(out.size() - 19);
      return out;
    }
    free(d);
  }
  return std::string(s, len);
}

bool ParseElf(int fd, const char* mem, size_t len, ElfInfo* out) {
  Elf* e = Begin(fd, mem, len);
  if (!e) return false;
  if (!Sections(e)) {  // over the bound (or none): refused
    size_t shnum = 0;
    if (elf_getshdrnum(e, &shnum) == 0 && shnum > kMaxSections) {
      elf_end(e);
      return false;
    }
  }
  out->is_elf = true;
  ReadSegments(e, &out->segs);
  out->build_id = BuildId(e);
  out->has_symtab = LoadSymbols(e, SHT_SYMTAB, &out->table);
  if (!out->has_symtab) LoadSymbols(e, SHT_DYNSYM, &out->table);
  FinishSymbols(&out->table);
  out->has_dwarf = HasDwarf(e);
  GElf_Word crc = 0;
  const char* link = DebugLink(e, &crc);
  if (link && SafeLinkName(link)) {
    out->has_link = true;
    out->link = Cut(link);
    out->crc = crc;
  }
  elf_end(e);
  return true;
}

int CheckDebug(const std::string& build_id, bool check_crc, uint32_t crc, const int* fds, size_t n, bool need_symtab,
               SymTable* table, bool* has_dwarf) {
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    if (fds[i] < 0 || fstat(fds[i], &st) != 0 || !S_ISREG(st.st_mode)) continue;
    Elf* e = Begin(fds[i], nullptr, 0);
    if (!e) continue;
    bool ok = false;
    if (!build_id.empty()) {
      ok = BuildId(e) == build_id;
    } else if (check_crc && uint64_t(st.st_size) <= kMaxCrcBytes) {
      uLong c = crc32(0, nullptr, 0);
      static char buf[65536];
      off_t at = 0;
      while (uint64_t(at) < uint64_t(st.st_size)) {
        ssize_t r = pread(fds[i], buf, sizeof buf, at);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        c = crc32(c, reinterpret_cast<const Bytef*>(buf), uInt(r));
        at += r;
      }
      ok = uint32_t(c) == crc;
    }
    if (ok) {
      if (need_symtab && LoadSymbols(e, SHT_SYMTAB, table)) FinishSymbols(table);
      *has_dwarf = HasDwarf(e);
      elf_end(e);
      return int(i);
    }
    elf_end(e);
  }
  return -1;
}

DwarfFile::~DwarfFile() {
  if (dw_) dwarf_end(dw_);
  if (elf_) elf_end(elf_);
}

bool DwarfFile::Open(int fd, const char* mem, size_t len) {
  elf_ = Begin(fd, mem, len);
  if (!elf_ || !HasDwarf(elf_)) return false;
  dw_ = dwarf_begin_elf(elf_, DWARF_C_READ, nullptr);
  if (!dw_) return false;
  // The address ranges of every compile unit, sorted: which CU holds an address, without
  // .debug_aranges (which not every compiler writes).
  Dwarf_CU* cu = nullptr;
  Dwarf_CU* next = nullptr;
  Dwarf_Half version;
  uint8_t unit_type;
  Dwarf_Die cudie, subdie;
  size_t units = 0;
  while (dwarf_get_units(dw_, cu, &next, &version, &unit_type, &cudie, &subdie) == 0 && units++ < kMaxCuRanges) {
    cu = next;
    if (unit_type != DW_UT_compile) continue;
    Dwarf_Addr base, lo, hi;
    ptrdiff_t off = 0;
    while ((off = dwarf_ranges(&cudie, off, &base, &lo, &hi)) > 0 && cus_.size() < kMaxCuRanges)
      if (hi > lo) cus_.push_back(CuRange{lo, hi, dwarf_dieoffset(&cudie)});
    if (cus_.size() >= kMaxCuRanges) break;
  }
  std::sort(cus_.begin(), cus_.end(), [](const CuRange& a, const CuRange& b) { return a.lo < b.lo; });
  return true;
}

// Outermost first. Each frame's file:line is where it is in its own code: the innermost from
// the line table, every other one the call site of the function inlined into it.
void DwarfFile::Frames(uint64_t v, std::vector<DwFrame>* out) {
  if (!dw_) return;
  auto it = std::upper_bound(cus_.begin(), cus_.end(), v, [](uint64_t x, const CuRange& r) { return x < r.lo; });
  const CuRange* r = nullptr;
  for (int k = 0; k < 16 && it != cus_.begin(); k++) {
    --it;
    if (v < it->hi) {
      r = &*it;
      break;
    }
  }
  Dwarf_Die cu;
  if (!r || !dwarf_offdie(dw_, r->off, &cu)) return;
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

void ParsePerfMap(std::string_view text, size_t max_entries, size_t max_names, PerfMapTable* out) {
  if (text.size() > kMaxPerfMapBytes) {
    out->bytes_cut += text.size() - kMaxPerfMapBytes;
    text = text.substr(0, kMaxPerfMapBytes);
  }
  // The lines first (cheap), then only the last max_entries of them parsed: a JIT appends, the
  // newest code is at the end.
  struct Line {
    uint64_t start, size;
    std::string_view name;
  };
  std::vector<Line> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // "START SIZE name", hex without 0x (or with, as strtoull takes it).
    auto hex = [](std::string_view* s, uint64_t* v) {
      size_t i = 0;
      if (s->size() > 2 && (*s)[0] == '0' && ((*s)[1] == 'x' || (*s)[1] == 'X')) i = 2;
      size_t b = i;
      uint64_t x = 0;
      for (; i < s->size() && i - b <= 16; i++) {
        char c = (*s)[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) break;
        x = x << 4 | uint64_t(d);
      }
      if (i == b || i - b > 16) return false;
      *v = x;
      s->remove_prefix(i);
      return true;
    };
    std::string_view s = line;
    uint64_t start, size;
    if (!hex(&s, &start) || s.empty() || s[0] != ' ') continue;
    s.remove_prefix(1);
    if (!hex(&s, &size) || s.size() < 2 || s[0] != ' ' || size == 0 || start + size < start) continue;
    s.remove_prefix(1);
    size_t nul = s.find('\0');
    if (nul != std::string_view::npos) s = s.substr(0, nul);
    if (s.empty()) continue;
    lines.push_back(Line{start, size, s.substr(0, std::min(s.size(), kMaxName))});
  }
  size_t first = lines.size() > max_entries ? lines.size() - max_entries : 0;
  out->entries_cut += first;
  uint32_t seq = 0;
  for (size_t i = first; i < lines.size(); i++) {
    std::string d = Demangle(std::string(lines[i].name).c_str(), kMaxName);
    if (out->names.size() + d.size() + 1 > max_names) {
      out->entries_cut += lines.size() - i;
      break;
    }
    out->syms.push_back(JitSym{lines[i].start, lines[i].start + lines[i].size, uint32_t(out->names.size()), seq++});
    out->names.append(d);
    out->names.push_back('\0');
  }
  std::stable_sort(out->syms.begin(), out->syms.end(), [](const JitSym& a, const JitSym& b) { return a.start < b.start; });
}

}  // namespace parse
}  // namespace perfscope

namespace perfscope {
namespace parse {
namespace {

// A pointer of .eh_frame_hdr in the encodings GNU ld writes (udata4/sdata4/udata8/sdata8,
// absolute, pc-relative or data-relative to the header): false for any other.
bool HdrPointer(const uint8_t* p, size_t n, size_t* at, uint8_t enc, uint64_t hdr_addr, uint64_t* out) {
  if (enc == 0xff) return false;  // DW_EH_PE_omit
  uint64_t pos = hdr_addr + *at, v = 0;
  switch (enc & 0x0f) {
    case 0x03:  // udata4
    case 0x0b: {  // sdata4
      if (n - *at < 4 || *at > n) return false;
      uint32_t u;
      memcpy(&u, p + *at, 4);
      v = (enc & 0x0f) == 0x0b ? uint64_t(int64_t(int32_t(u))) : u;
      *at += 4;
      break;
    }
    case 0x04:
    case 0x0c:
      if (n - *at < 8 || *at > n) return false;
      memcpy(&v, p + *at, 8);
      *at += 8;
      break;
    default:
      return false;
  }
  switch (enc & 0x70) {
    case 0x00: break;
    case 0x10: v += pos; break;       // pcrel
    case 0x30: v += hdr_addr; break;  // datarel
    default: return false;
  }
  *out = v;
  return true;
}

// The rule of a register as libdw gives it: saved at CFA + off, undefined, unchanged, or
// something else (false).
bool RegRule(Dwarf_Frame* fr, int reg, uint8_t* rule, int32_t* off) {
  Dwarf_Op mem[3], *ops = nullptr;
  size_t nops = 0;
  if (dwarf_frame_register(fr, reg, mem, &ops, &nops) != 0) return false;
  *off = 0;
  if (nops == 0) {
    *rule = ops == mem ? kRegUndef : kRegSame;
    return true;
  }
  if (ops[0].atom != DW_OP_call_frame_cfa) return false;
  int64_t o = 0;
  if (nops == 1) o = 0;
  else if (nops == 2 && ops[1].atom == DW_OP_plus_uconst) o = int64_t(ops[1].number);
  else if (nops == 3 && ops[1].atom == DW_OP_consts && ops[2].atom == DW_OP_plus) o = int64_t(ops[1].number);
  else return false;  // a value rule (DW_OP_stack_value) or an expression
  if (o < INT32_MIN || o > INT32_MAX) return false;
  *rule = kRegAt;
  *off = int32_t(o);
  return true;
}

CfiRow RowOf(Dwarf_Frame* fr, uint64_t pc) {
  CfiRow r{};
  r.pc = pc;
  r.kind = kCfiUnknown;
  Dwarf_Op* ops = nullptr;
  size_t nops = 0;
  if (dwarf_frame_cfa(fr, &ops, &nops) != 0 || nops != 1) return r;
  int64_t reg = -1, off = 0;
  if (ops[0].atom == DW_OP_bregx) {
    reg = int64_t(ops[0].number);
    off = int64_t(ops[0].number2);
  } else if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31) {
    reg = ops[0].atom - DW_OP_breg0;
    off = int64_t(ops[0].number);
  }
  if ((reg != 7 && reg != 6) || off < INT32_MIN || off > INT32_MAX) return r;
  if (!RegRule(fr, 16, &r.ra, &r.ra_off) || r.ra == kRegSame) return r;
  if (!RegRule(fr, 6, &r.rbp, &r.rbp_off)) return r;
  r.cfa_off = int32_t(off);
  r.kind = reg == 7 ? kCfiRsp : kCfiRbp;
  return r;
}

// The rows of the FDEs starting at `starts` (unsorted, may repeat), each evaluated by libdw up to
// the next FDE's start: the same for .eh_frame and .debug_frame. `cfis`: where an address is
// looked up, in order (.eh_frame's first: .debug_frame only fills what it leaves uncovered).
void CompileRows(const std::vector<Dwarf_CFI*>& cfis, std::vector<uint64_t>* starts_in, CfiTable* out) {
  std::vector<uint64_t>& starts = *starts_in;
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  size_t failed = 0;
  for (size_t i = 0; i < starts.size(); i++) {
    uint64_t pc = starts[i], next = i + 1 < starts.size() ? starts[i + 1] : UINT64_MAX;
    if (!out->rows.empty() && out->rows.back().pc >= pc) continue;  // overlapping FDEs: the first wins
    size_t k = 0;
    for (; k < kMaxCfiRowsPerFde && pc < next; k++) {
      if (out->rows.size() >= kMaxCfiRows) {
        out->cut++;
        break;
      }
      Dwarf_Frame* fr = nullptr;
      for (Dwarf_CFI* cfi : cfis)
        if (dwarf_cfi_addrframe(cfi, pc, &fr) == 0 && fr) break;
      if (!fr) {
        if (k == 0) failed++;
        break;
      }
      Dwarf_Addr start = 0, end = 0;
      bool sig = false;
      dwarf_frame_info(fr, &start, &end, &sig);
      CfiRow r = RowOf(fr, pc);
      free(fr);
      if (out->rows.empty() || out->rows.back().kind != r.kind || out->rows.back().cfa_off != r.cfa_off ||
          out->rows.back().rbp != r.rbp || out->rows.back().rbp_off != r.rbp_off || out->rows.back().ra != r.ra ||
          out->rows.back().ra_off != r.ra_off || out->rows.back().kind == kCfiGap)
        out->rows.push_back(r);
      if (end <= pc) break;
      pc = end;
    }
    if (k == kMaxCfiRowsPerFde) out->cut++;
    if (pc < next && (out->rows.empty() || out->rows.back().pc < pc)) {
      CfiRow gap{};
      gap.pc = pc;
      gap.kind = kCfiGap;
      out->rows.push_back(gap);
    }
  }
  // Most FDEs of the table unreadable: the CFI is corrupt (what was read is kept).
  if (failed && failed * 2 >= starts.size()) out->corrupt = true;
}

// .debug_frame (a module built without .eh_frame, e.g. -fno-asynchronous-unwind-tables -g):
// no sorted table of FDEs as .eh_frame_hdr gives, so its entries are walked with
// dwarf_next_cfi for their start addresses (bounded: kMaxCfiFdes FDEs, each entry must move
// on), and each is evaluated through the Dwarf_CFI of dwarf_getcfi, as .eh_frame's are.
// False: no .debug_frame (or one past the debug sections' bounds, or libdw cannot open it).
struct DebugFrame {
  Dwarf* dw = nullptr;
  Dwarf_CFI* cfi = nullptr;  // owned by dw
  std::vector<uint64_t> starts;
  size_t bad = 0;            // entries that could not be read
  uint64_t cut = 0;
  ~DebugFrame() {
    if (dw) dwarf_end(dw);
  }
  bool Corrupt() const { return bad && bad * 2 >= starts.size() + bad; }
};

// False: no .debug_frame (or one past the debug sections' bounds, or libdw cannot open it).
bool ReadDebugFrame(Elf* e, DebugFrame* df) {
  bool info = false, frame = false;
  const char* ident = elf_getident(e, nullptr);
  if (!ident || ident[EI_CLASS] != ELFCLASS64 || !DebugSections(e, &info, &frame) || !frame) return false;
  Dwarf* dw = dwarf_begin_elf(e, DWARF_C_READ, nullptr);
  if (!dw) return false;
  df->dw = dw;
  Dwarf_CFI* cfi = dwarf_getcfi(dw);  // owned by dw
  // The section's bytes as libdw left them (inflated if it was compressed).
  size_t shstr = 0;
  Elf_Data* data = nullptr;
  Elf_Scn* scn = nullptr;
  if (elf_getshdrstrndx(e, &shstr) == 0) {
    while ((scn = elf_nextscn(e, scn)) != nullptr) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || (sh.sh_flags & SHF_COMPRESSED)) continue;
      const char* name = elf_strptr(e, shstr, sh.sh_name);
      if (name && (!strcmp(name, ".debug_frame") || !strcmp(name, ".zdebug_frame"))) {
        data = elf_getdata(scn, nullptr);
        break;
      }
    }
  }
  if (!cfi || !data || !data->d_buf || data->d_size == 0) return false;
  df->cfi = cfi;
  std::vector<uint64_t>& starts = df->starts;
  Dwarf_Off off = 0, next = 0;
  size_t& bad = df->bad;
  for (size_t entries = 0; off < data->d_size && entries < 2 * kMaxCfiFdes; entries++) {
    Dwarf_CFI_Entry entry;
    int rc = dwarf_next_cfi(reinterpret_cast<const unsigned char*>(ident), data, false, off, &next, &entry);
    if (rc == 1) break;  // the end
    if (next <= off) {   // no way on: the rest is unreadable
      bad++;
      break;
    }
    off = next;
    if (rc != 0) {
      bad++;
      continue;
    }
    if (dwarf_cfi_cie_p(&entry)) continue;
    if (starts.size() >= kMaxCfiFdes) {
      df->cut++;
      continue;
    }
    if (entry.fde.end < entry.fde.start || entry.fde.end - entry.fde.start < 8) {
      bad++;
      continue;
    }
    uint64_t loc;
    memcpy(&loc, entry.fde.start, 8);  // initial_location: an address (8 bytes on x86-64)
    starts.push_back(loc);
  }
  if (off < data->d_size && !bad && starts.size() >= kMaxCfiFdes) df->cut++;
  return true;
}

// A file's CFI from its .debug_frame alone.
bool DebugFrameCfi(Elf* e, CfiTable* out) {
  DebugFrame df;
  if (!ReadDebugFrame(e, &df)) return false;
  out->present = true;
  out->cut += df.cut;
  CompileRows({df.cfi}, &df.starts, out);
  if (df.Corrupt()) out->corrupt = true;
  return true;
}

}  // namespace

bool BuildCfi(int fd, const char* mem, size_t len, CfiTable* out) {
  Elf* e = Begin(fd, mem, len);
  if (!e) return false;
  GElf_Ehdr eh;
  size_t shnum = Sections(e), shstr = 0;
  if (!gelf_getehdr(e, &eh) || eh.e_machine != EM_X86_64 || !shnum || elf_getshdrstrndx(e, &shstr) != 0) {
    elf_end(e);
    return true;  // no table: frame pointers
  }
  Elf_Data* hdr = nullptr;
  uint64_t hdr_addr = 0;
  bool has_eh_frame = false;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(e, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS) continue;
    const char* name = elf_strptr(e, shstr, sh.sh_name);
    if (!name) continue;
    if (strcmp(name, ".eh_frame") == 0 && sh.sh_size > 0) has_eh_frame = true;
    if (strcmp(name, ".eh_frame_hdr") == 0 && sh.sh_size >= 4 && sh.sh_size <= (256u << 20)) {
      hdr = elf_getdata(scn, nullptr);
      hdr_addr = sh.sh_addr;
    }
  }
  // No .eh_frame, or one whose table cannot be read: .debug_frame, if the file has one (a
  // corrupt .eh_frame stays corrupt when there is none).
  auto debug_frame = [&](bool eh_corrupt) {
    CfiTable dt;
    if (DebugFrameCfi(e, &dt) && !dt.corrupt) *out = std::move(dt);
    else if (eh_corrupt) {
      out->present = true;
      out->corrupt = true;
    }
    elf_end(e);
    return true;
  };
  if (!has_eh_frame) return debug_frame(false);
  Dwarf_CFI* cfi = dwarf_getcfi_elf(e);
  if (!hdr || !hdr->d_buf || hdr->d_size < 4 || !cfi) {
    if (cfi) dwarf_cfi_end(cfi);
    return debug_frame(true);
  }
  out->present = true;
  const uint8_t* p = static_cast<const uint8_t*>(hdr->d_buf);
  size_t n = hdr->d_size, at = 4;
  uint64_t frame_ptr = 0, count = 0;
  if (p[0] != 1 || !HdrPointer(p, n, &at, p[1], hdr_addr, &frame_ptr) || !HdrPointer(p, n, &at, p[2], hdr_addr, &count)) {
    dwarf_cfi_end(cfi);
    *out = CfiTable();
    return debug_frame(true);
  }
  std::vector<uint64_t> starts;
  for (uint64_t i = 0; i < count; i++) {
    if (starts.size() >= kMaxCfiFdes) {
      out->cut += count - i;
      break;
    }
    uint64_t loc = 0, fde = 0;
    if (!HdrPointer(p, n, &at, p[3], hdr_addr, &loc) || !HdrPointer(p, n, &at, p[3], hdr_addr, &fde)) {
      out->corrupt = true;
      break;
    }
    starts.push_back(loc);
  }
  {
    // .debug_frame too, if the file has one: it covers what .eh_frame does not (a program built
    // -fno-asynchronous-unwind-tables -g has .eh_frame only for the C runtime's _start).
    DebugFrame df;
    std::vector<Dwarf_CFI*> cfis{cfi};
    if (ReadDebugFrame(e, &df) && !df.Corrupt()) {
      cfis.push_back(df.cfi);
      out->cut += df.cut;
      size_t room = kMaxCfiFdes * 2 - std::min(kMaxCfiFdes * 2, starts.size());
      if (df.starts.size() > room) out->cut += df.starts.size() - room;
      starts.insert(starts.end(), df.starts.begin(), df.starts.begin() + ptrdiff_t(std::min(room, df.starts.size())));
    }
    CompileRows(cfis, &starts, out);
  }
  dwarf_cfi_end(cfi);
  elf_end(e);
  return true;
}

}  // namespace parse
}  // namespace perfscope

