// User-space probe targets: the function symbols and the USDT notes of an ELF file, and the
// implementation an IFUNC resolves to in this process. Read with libelf, in this process (not
// the sandboxed parser of native/parser/: its protocol carries neither symbol types nor notes,
// and libbpf's own uprobe and USDT attach read the same file in this process anyway; stated as
// a known limit in docs/uprobes.md). Every read is bounded: at most kMaxFuncs functions, names
// at most kMaxName bytes, kMaxNotes notes of at most kMaxNoteBytes in all.
#include <dlfcn.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <link.h>
#include <napi.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "errors.h"

namespace perfscope {
namespace {

constexpr size_t kMaxFuncs = 1 << 20;
constexpr size_t kMaxName = 512;
constexpr size_t kMaxNotes = 4096;
constexpr size_t kMaxNoteBytes = 4 << 20;
constexpr off_t kMaxFile = off_t(4) << 30;

struct Seg {
  uint64_t vaddr, memsz, off, filesz;
};

class ElfFile {
 public:
  ~ElfFile() {
    if (elf_) elf_end(elf_);
    if (fd_ >= 0) close(fd_);
  }
  // An error message, or empty.
  std::string Open(const std::string& path) {
    if (elf_version(EV_CURRENT) == EV_NONE) return "libelf is unusable";
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd_ < 0) return std::string(strerror(errno));
    struct stat st;
    if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) return "not a regular file";
    if (st.st_size > kMaxFile) return "larger than 4 GiB";
    elf_ = elf_begin(fd_, ELF_C_READ_MMAP, nullptr);
    if (!elf_ || elf_kind(elf_) != ELF_K_ELF) return "not an ELF file";
    size_t n = 0;
    if (elf_getphdrnum(elf_, &n) != 0 || n > 4096) return "bad program headers";
    for (size_t i = 0; i < n; i++) {
      GElf_Phdr ph;
      if (!gelf_getphdr(elf_, int(i), &ph) || ph.p_type != PT_LOAD) continue;
      segs_.push_back({ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz});
    }
    return {};
  }
  Elf* elf() { return elf_; }
  const std::vector<Seg>& segs() const { return segs_; }
  // The file offset of a virtual address in an executable segment's file bytes, or -1.
  int64_t Offset(uint64_t vaddr) const {
    for (const Seg& s : segs_)
      if (vaddr >= s.vaddr && vaddr - s.vaddr < s.filesz) return int64_t(vaddr - s.vaddr + s.off);
    return -1;
  }

 private:
  int fd_ = -1;
  Elf* elf_ = nullptr;
  std::vector<Seg> segs_;
};

std::string Cut(const char* s) {
  size_t n = strnlen(s, kMaxName + 1);
  return std::string(s, n > kMaxName ? kMaxName : n);
}

// elfFunctions(path) -> {funcs: [{name, vaddr, offset, size, ifunc}], segs: [{vaddr, offset, filesz}], cut, symtab}
// The defined functions (STT_FUNC, STT_GNU_IFUNC) of .symtab and .dynsym, each (name, address) once.
Napi::Value ElfFunctions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "elfFunctions(path: string)");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  ElfFile f;
  std::string err = f.Open(path);
  if (!err.empty()) throw Napi::Error::New(env, path + ": " + err);
  Napi::Array funcs = Napi::Array::New(env);
  uint32_t count = 0;
  double cut = 0;
  bool symtab = false;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(f.elf(), scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM)) continue;
    if (sh.sh_type == SHT_SYMTAB) symtab = true;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || sh.sh_entsize == 0) continue;
    size_t n = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < n; i++) {
      GElf_Sym sym;
      if (!gelf_getsym(data, int(i), &sym)) break;
      int type = GELF_ST_TYPE(sym.st_info);
      if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF || sym.st_value == 0) continue;
      const char* name = elf_strptr(f.elf(), sh.sh_link, sym.st_name);
      if (!name || !*name) continue;
      if (count >= kMaxFuncs) {
        cut++;
        continue;
      }
      int64_t off = f.Offset(sym.st_value);
      if (off < 0) continue;
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", Napi::String::New(env, Cut(name)));
      o.Set("vaddr", Napi::Number::New(env, double(sym.st_value)));
      o.Set("offset", Napi::Number::New(env, double(off)));
      o.Set("size", Napi::Number::New(env, double(sym.st_size)));
      o.Set("ifunc", Napi::Boolean::New(env, type == STT_GNU_IFUNC));
      funcs.Set(count++, o);
    }
  }
  Napi::Array segs = Napi::Array::New(env);
  uint32_t k = 0;
  for (const Seg& s : f.segs()) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("vaddr", Napi::Number::New(env, double(s.vaddr)));
    o.Set("offset", Napi::Number::New(env, double(s.off)));
    o.Set("filesz", Napi::Number::New(env, double(s.filesz)));
    segs.Set(k++, o);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("funcs", funcs);
  out.Set("segs", segs);
  out.Set("cut", Napi::Number::New(env, cut));
  out.Set("symtab", Napi::Boolean::New(env, symtab));
  return out;
}

// usdtNotes(path) -> [{provider, name, args, pc, semaphore}]: the SystemTap SDT notes
// (.note.stapsdt, type 3, owner "stapsdt"); pc and semaphore as the note says (link-time addresses).
Napi::Value UsdtNotes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "usdtNotes(path: string)");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  ElfFile f;
  std::string err = f.Open(path);
  if (!err.empty()) throw Napi::Error::New(env, path + ": " + err);
  size_t shstrndx;
  if (elf_getshdrstrndx(f.elf(), &shstrndx) != 0) throw Napi::Error::New(env, path + ": no section names");
  Napi::Array out = Napi::Array::New(env);
  uint32_t count = 0;
  size_t bytes = 0;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(f.elf(), scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE) continue;
    const char* sname = elf_strptr(f.elf(), shstrndx, sh.sh_name);
    if (!sname || strcmp(sname, ".note.stapsdt") != 0) continue;
    if (sh.sh_size > kMaxNoteBytes || bytes + sh.sh_size > kMaxNoteBytes) break;
    bytes += sh.sh_size;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data) continue;
    size_t off = 0, name_off, desc_off;
    GElf_Nhdr nh;
    while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0 && count < kMaxNotes) {
      if (nh.n_type != 3 || nh.n_namesz != 8 || memcmp(static_cast<char*>(data->d_buf) + name_off, "stapsdt", 8) != 0) continue;
      const char* d = static_cast<char*>(data->d_buf) + desc_off;
      size_t len = nh.n_descsz;
      if (len < 24 + 3) continue;
      uint64_t pc, base, sem;
      memcpy(&pc, d, 8);
      memcpy(&base, d + 8, 8);
      memcpy(&sem, d + 16, 8);
      // Three NUL-terminated strings within the descriptor.
      const char* p = d + 24;
      const char* end = d + len;
      std::string strs[3];
      bool ok = true;
      for (auto& s : strs) {
        const void* z = memchr(p, 0, size_t(end - p));
        if (!z) {
          ok = false;
          break;
        }
        s = Cut(p);
        p = static_cast<const char*>(z) + 1;
      }
      if (!ok) continue;
      Napi::Object o = Napi::Object::New(env);
      o.Set("provider", strs[0]);
      o.Set("name", strs[1]);
      o.Set("args", strs[2]);
      o.Set("pc", Napi::Number::New(env, double(pc)));
      o.Set("semaphore", Napi::Number::New(env, double(sem)));
      out.Set(count++, o);
    }
  }
  return out;
}

// ifuncTarget(loadedPath, name) -> the link-time address (in that file) of the function an IFUNC
// symbol resolves to in this process, or null. Only for a library this process has loaded already
// (RTLD_NOLOAD: nothing is loaded and no constructor runs); the CPU, and so glibc's choice, is
// the same for every process of the host.
Napi::Value IfuncTarget(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString())
    throw Napi::TypeError::New(env, "ifuncTarget(path: string, name: string)");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string name = info[1].As<Napi::String>().Utf8Value();
  void* h = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (!h) return env.Null();
  void* addr = dlsym(h, name.c_str());
  struct link_map* lm = nullptr;
  bool ok = addr && dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm;
  double vaddr = ok ? double(reinterpret_cast<uintptr_t>(addr) - lm->l_addr) : -1;
  dlclose(h);
  if (!ok) return env.Null();
  return Napi::Number::New(env, vaddr);
}

}  // namespace

void InitUprobe(Napi::Env env, Napi::Object exports) {
  exports.Set("elfFunctions", Napi::Function::New<ElfFunctions>(env, "elfFunctions"));
  exports.Set("usdtNotes", Napi::Function::New<UsdtNotes>(env, "usdtNotes"));
  exports.Set("ifuncTarget", Napi::Function::New<IfuncTarget>(env, "ifuncTarget"));
}

}  // namespace perfscope
