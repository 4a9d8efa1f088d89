// The parsing of other processes' files, as a library: linked into the parser process
// (native/parser/main.cc, which runs it unprivileged and sandboxed) and into the fuzz harness
// (native/parser/fuzz.cc). Nothing here opens a file: every input is a descriptor handed over
// or bytes in memory. Every read is bounded (the constants below, stated in docs/stacks.md).
#pragma once
#include <gelf.h>
#include <libelf.h>
#include <elfutils/libdw.h>

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace perfscope {
namespace parse {

constexpr size_t kMaxName = 4096;                    // longer names are cut
constexpr size_t kMaxSyms = 1 << 22;                 // symbols per file (4 Mi)
constexpr size_t kMaxSections = 1 << 15;             // a file with more is refused
constexpr size_t kMaxPhdrs = 4096;
constexpr uint64_t kMaxSymtabBytes = 256ull << 20;   // one symbol table section
constexpr uint64_t kMaxStrtabBytes = 256ull << 20;   // its string table
constexpr uint64_t kMaxNoteBytes = 64 << 10;         // one note section or segment read for the build-id
constexpr size_t kMaxNotes = 64;                     // note sections looked at
constexpr uint64_t kMaxDebugSection = 512ull << 20;  // one DWARF section, inflated (compressed ones by their header)
constexpr uint64_t kMaxDebugTotal = 1ull << 30;      // all DWARF sections of a file, inflated
constexpr uint64_t kMaxCrcBytes = 1ull << 30;        // a .gnu_debuglink target larger is refused (not read)
constexpr size_t kMaxCuRanges = 1 << 22;
constexpr int kMaxDieDepth = 64;
constexpr size_t kMaxDieVisits = 1 << 18;            // per lookup
constexpr size_t kMaxInline = 64;                    // frames of one address
constexpr uint64_t kMaxPerfMapBytes = 64ull << 20;   // read of one perf map

struct Sym {
  uint64_t addr;
  uint64_t end;   // exclusive
  uint32_t name;  // offset in names
  uint8_t rank;
};
constexpr uint8_t kUnsized = 0x80;

struct Segment {
  uint64_t off, filesz, vaddr;
};

struct SymTable {
  std::vector<Sym> syms;  // sorted by addr, one per address, names demangled
  std::string names;
  uint64_t cut = 0;       // symbols or bytes left out by a bound
};

struct ElfInfo {
  bool is_elf = false;
  bool has_symtab = false;  // the symbols are .symtab's (else .dynsym's, or none)
  bool has_dwarf = false;
  bool has_link = false;
  uint32_t crc = 0;
  std::string build_id;     // raw bytes, at most 64
  std::string link;         // .gnu_debuglink: one path component
  std::vector<Segment> segs;
  SymTable table;
};

// A descriptor (-1: use mem/len instead).
bool ParseElf(int fd, const char* mem, size_t len, ElfInfo* out);

// Which of the candidate descriptors is the debug file of a file with this build-id (or, with
// none, whose CRC32 is crc): its index, or -1. need_symtab: its .symtab into *table.
int CheckDebug(const std::string& build_id, bool check_crc, uint32_t crc, const int* fds, size_t n, bool need_symtab,
               SymTable* table, bool* has_dwarf);

struct DwFrame {
  std::string name, file;
  uint32_t line = 0;
  uint64_t low = 0;
  bool has_low = false;
};

// One file's DWARF, opened once and asked for many addresses.
class DwarfFile {
 public:
  ~DwarfFile();
  bool Open(int fd, const char* mem, size_t len);
  void Frames(uint64_t vaddr, std::vector<DwFrame>* out);

 private:
  struct CuRange {
    uint64_t lo, hi;
    Dwarf_Off off;
  };
  Elf* elf_ = nullptr;
  Dwarf* dw_ = nullptr;
  std::vector<CuRange> cus_;
};

struct JitSym {
  uint64_t start, end;
  uint32_t name, seq;
};

struct PerfMapTable {
  std::vector<JitSym> syms;  // sorted by start
  std::string names;
  uint64_t entries_cut = 0;
  uint64_t bytes_cut = 0;
};

// The text of a perf map ("START SIZE name" lines, hex); at most max_entries (the last ones
// written are kept), names at most max_names bytes in all.
void ParsePerfMap(std::string_view text, size_t max_entries, size_t max_names, PerfMapTable* out);

std::string Demangle(const char* s, size_t max);

// Call-frame information (.eh_frame, found through .eh_frame_hdr's sorted table of FDEs; else,
// when a file has no .eh_frame or its table cannot be read, .debug_frame, walked entry by entry),
// compiled into plain rows the addon's unwinder walks (native/symbolize.cc, Unwind): x86-64
// only; a rule the unwinder does not know (a DWARF expression, a register other than rsp/rbp
// for the CFA, a value rule) makes a row kUnknown, where it falls back to the frame pointer.
constexpr size_t kMaxCfiFdes = 1 << 20;   // FDEs read per file (more: cut, counted)
constexpr size_t kMaxCfiRows = 1 << 22;   // rows per file (4 Mi; more: cut, counted)
constexpr size_t kMaxCfiRowsPerFde = 4096;

enum CfiKind : uint8_t {
  kCfiGap = 0,      // no FDE covers [pc, next row): no CFI here
  kCfiRsp = 1,      // CFA = rsp + cfa_off
  kCfiRbp = 2,      // CFA = rbp + cfa_off
  kCfiUnknown = 3,  // an FDE covers it but with a rule the unwinder does not know
};
enum CfiReg : uint8_t {
  kRegSame = 0,     // unchanged (rbp) / not given
  kRegAt = 1,       // saved at CFA + off
  kRegUndef = 2,    // undefined (the return address: the outermost frame)
};

struct CfiRow {
  uint64_t pc;      // ELF virtual address; the row holds up to the next row's pc
  int32_t cfa_off;
  int32_t rbp_off;
  int32_t ra_off;
  uint8_t kind;     // CfiKind
  uint8_t rbp;      // CfiReg
  uint8_t ra;       // CfiReg (kRegSame: unknown -> the row is kCfiUnknown)
  uint8_t pad = 0;
};

struct CfiTable {
  std::vector<CfiRow> rows;  // sorted by pc, strictly increasing
  bool present = false;      // the file has .eh_frame (or .debug_frame) with a table we read
  bool corrupt = false;      // it has, but it could not be read (or only in part)
  uint64_t cut = 0;          // FDEs or rows left out by a bound
};

// A descriptor (-1: use mem/len instead).
bool BuildCfi(int fd, const char* mem, size_t len, CfiTable* out);

}  // namespace parse
}  // namespace perfscope
