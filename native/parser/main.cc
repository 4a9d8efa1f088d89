// perfscope-parser: the process that parses other processes' files for perfscope's symbolizer
// (ELF symbol tables, debug-file checks, DWARF, JIT perf maps), so that no byte of them is parsed
// in perfscope's own process, which runs as root. Started by the addon (native/symbolize.cc)
// with one end of a unix socketpair as fd 3; it opens nothing itself: every file arrives as a
// descriptor (SCM_RIGHTS). Before it reads a request it gives up everything: uid/gid nobody, no
// supplementary groups, no capabilities (bounding and ambient sets too), no_new_privs, not
// dumpable, resource limits (address space, CPU, descriptors, no core, no file writes), and a
// seccomp allowlist (libseccomp) of what parsing and the socket need. It dies with perfscope
// (PR_SET_PDEATHSIG). docs/stacks.md states the sandbox and every bound.
#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "parse.h"
#include "proto.h"

using namespace perfscope;

namespace {

constexpr int kSock = 3;
constexpr uid_t kNobody = 65534;
constexpr rlim_t kAddressSpace = rlim_t(2) << 30;  // 2 GiB of address space
constexpr rlim_t kCpuSeconds = 600;                // CPU seconds of one parser's life (then it is restarted)
constexpr rlim_t kFiles = 32;
constexpr size_t kDwarfFiles = 4;                  // DWARF handles kept open (LRU)

[[noreturn]] void Die(const char* what) {
  // stderr is /dev/null when perfscope starts it: the exit status is what perfscope sees.
  fprintf(stderr, "perfscope-parser: %s: %s\n", what, strerror(errno));
  _exit(70);
}

void Sandbox(pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) Die("pdeathsig");
  if (getppid() != parent) _exit(0);  // perfscope already gone
  struct rlimit as = {kAddressSpace, kAddressSpace}, cpu = {kCpuSeconds, kCpuSeconds + 5}, nofile = {kFiles, kFiles},
                zero = {0, 0};
  if (setrlimit(RLIMIT_AS, &as) || setrlimit(RLIMIT_CPU, &cpu) || setrlimit(RLIMIT_NOFILE, &nofile) ||
      setrlimit(RLIMIT_CORE, &zero) || setrlimit(RLIMIT_FSIZE, &zero) || setrlimit(RLIMIT_NPROC, &zero))
    Die("setrlimit");
  if (geteuid() == 0) {
    for (int c = 0; c <= CAP_LAST_CAP; c++) prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
    if (setgroups(0, nullptr) != 0) Die("setgroups");
    if (setresgid(kNobody, kNobody, kNobody) != 0) Die("setresgid");
    if (setresuid(kNobody, kNobody, kNobody) != 0) Die("setresuid");
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capset, &hdr, data) != 0) Die("capset");
  if (prctl(PR_SET_DUMPABLE, 0) != 0) Die("dumpable");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) Die("no_new_privs");

  // Warm up what the libraries set up lazily, while it is still allowed.
  elf_version(EV_CURRENT);
  free(malloc(1 << 20));
  parse::Demangle("_ZN1a1bEv", 64);

  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
  if (!ctx) Die("seccomp_init");
  const int allow[] = {
      SCMP_SYS(read),       SCMP_SYS(pread64),   SCMP_SYS(readv),      SCMP_SYS(close),     SCMP_SYS(fstat),
      SCMP_SYS(newfstatat), SCMP_SYS(lseek),     SCMP_SYS(munmap),     SCMP_SYS(mremap),    SCMP_SYS(brk),
      SCMP_SYS(madvise),    SCMP_SYS(futex),     SCMP_SYS(exit),       SCMP_SYS(exit_group),
      SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(clock_gettime),
      SCMP_SYS(getrandom),   SCMP_SYS(fcntl),   SCMP_SYS(sysinfo),
  };
  for (int s : allow)
    if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, s, 0) != 0) Die("seccomp_rule_add");
  // Writes and messages on the socket only; memory never made executable.
  for (int s : {SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(sendmsg), SCMP_SYS(recvmsg)})
    if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, s, 1, SCMP_A0(SCMP_CMP_EQ, kSock)) != 0) Die("seccomp_rule_add");
  if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) != 0 ||
      seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) != 0)
    Die("seccomp_rule_add");
  // libdw looks for a .dwz alternate file by path: refused, not fatal (there is no file to open).
  for (int s : {SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(openat2), SCMP_SYS(statx), SCMP_SYS(access), SCMP_SYS(readlink)})
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), s, 0) != 0) Die("seccomp_rule_add");
  if (seccomp_load(ctx) != 0) Die("seccomp_load");
  seccomp_release(ctx);
}

bool ReadFull(int fd, void* p, size_t n) {
  char* c = static_cast<char*>(p);
  while (n) {
    ssize_t r = read(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    c += r;
    n -= size_t(r);
  }
  return true;
}

bool WriteFull(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n) {
    ssize_t r = write(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    c += r;
    n -= size_t(r);
  }
  return true;
}

// One request: its header with the descriptors on it, then its payload.
bool Receive(proto::Hdr* h, std::vector<int>* fds, std::string* payload) {
  char cbuf[CMSG_SPACE(sizeof(int) * proto::kMaxFds)];
  struct iovec iov = {h, sizeof *h};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  ssize_t r;
  do r = recvmsg(kSock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r <= 0) return false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds->push_back(fd);
    }
  }
  if (size_t(r) < sizeof *h && !ReadFull(kSock, reinterpret_cast<char*>(h) + r, sizeof *h - size_t(r))) return false;
  if (h->len > proto::kMaxRequest) return false;
  payload->resize(size_t(h->len));
  return ReadFull(kSock, payload->data(), payload->size());
}

bool Send(uint32_t type, const std::string& payload) {
  proto::Hdr h = {type, 0, payload.size()};
  return WriteFull(kSock, &h, sizeof h) && WriteFull(kSock, payload.data(), payload.size());
}

void PutTable(proto::Writer* w, const parse::SymTable& t) {
  w->U32(uint32_t(t.syms.size()));
  for (const parse::Sym& s : t.syms) {
    w->U64(s.addr);
    w->U64(s.end);
    w->U32(s.name);
    w->U8(s.rank);
  }
  w->Bytes(t.names);
  w->U64(t.cut);
}

struct DwarfEntry {
  uint64_t key;
  int fd;
  std::unique_ptr<parse::DwarfFile> file;
};
std::list<DwarfEntry> dwarf;  // most recently used first

parse::DwarfFile* DwarfFor(uint64_t key, int* fd) {
  for (auto it = dwarf.begin(); it != dwarf.end(); ++it) {
    if (it->key != key) continue;
    dwarf.splice(dwarf.begin(), dwarf, it);
    return dwarf.front().file.get();
  }
  while (dwarf.size() >= kDwarfFiles) {
    close(dwarf.back().fd);
    dwarf.pop_back();
  }
  auto f = std::make_unique<parse::DwarfFile>();
  f->Open(*fd, nullptr, 0);  // an empty one when it cannot be read: asked again, no frames
  dwarf.push_front(DwarfEntry{key, *fd, std::move(f)});
  *fd = -1;  // kept
  return dwarf.front().file.get();
}

bool Serve() {
  proto::Hdr h;
  std::vector<int> fds;
  std::string payload;
  if (!Receive(&h, &fds, &payload)) return false;
  if (fds.size() != h.nfds) {
    for (int fd : fds) close(fd);
    return Send(proto::kFail, std::string());
  }
  proto::Reader r(payload.data(), payload.size());
  proto::Writer w;
  uint32_t status = proto::kOk;
  switch (h.type) {
    case proto::kElf: {
      parse::ElfInfo info;
      if (fds.size() != 1 || !parse::ParseElf(fds[0], nullptr, 0, &info)) {
        status = proto::kFail;
        break;
      }
      w.U32((info.has_symtab ? 1 : 0) | (info.has_dwarf ? 2 : 0) | (info.has_link ? 4 : 0));
      w.Bytes(info.build_id);
      w.Bytes(info.link);
      w.U32(info.crc);
      w.U32(uint32_t(info.segs.size()));
      for (const parse::Segment& s : info.segs) {
        w.U64(s.off);
        w.U64(s.filesz);
        w.U64(s.vaddr);
      }
      PutTable(&w, info.table);
      break;
    }
    case proto::kDebug: {
      std::string id(r.Bytes(64));
      uint32_t crc = r.U32();
      uint8_t mode = r.U8();
      if (!r.done() || fds.empty()) {
        status = proto::kFail;
        break;
      }
      parse::SymTable t;
      bool has_dwarf = false;
      int k = parse::CheckDebug(id, mode & 1, crc, fds.data(), fds.size(), mode & 2, &t, &has_dwarf);
      w.U32(uint32_t(k));
      w.U32((t.syms.empty() ? 0 : 1) | (has_dwarf ? 2 : 0));
      PutTable(&w, t);
      break;
    }
    case proto::kDwarf: {
      uint64_t key = r.U64(), vaddr = r.U64();
      if (!r.done() || fds.size() != 1) {
        status = proto::kFail;
        break;
      }
      std::vector<parse::DwFrame> frames;
      DwarfFor(key, &fds[0])->Frames(vaddr, &frames);
      w.U32(uint32_t(frames.size()));
      for (const parse::DwFrame& f : frames) {
        w.Bytes(f.name);
        w.Bytes(f.file);
        w.U32(f.line);
        w.U64(f.low);
        w.U8(f.has_low);
      }
      break;
    }
    case proto::kPerfMap: {
      uint64_t max_entries = r.U64(), max_names = r.U64();
      struct stat st;
      if (!r.done() || fds.size() != 1 || fstat(fds[0], &st) != 0) {
        status = proto::kFail;
        break;
      }
      std::string text;
      uint64_t want = std::min<uint64_t>(uint64_t(st.st_size), parse::kMaxPerfMapBytes);
      text.resize(size_t(want));
      size_t got = 0;
      while (got < text.size()) {
        ssize_t n = pread(fds[0], text.data() + got, text.size() - got, off_t(got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += size_t(n);
      }
      text.resize(got);
      // A line cut by the bound is not a line.
      if (uint64_t(st.st_size) > want && !text.empty()) text.resize(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
      parse::PerfMapTable pm;
      pm.bytes_cut = uint64_t(st.st_size) > text.size() ? uint64_t(st.st_size) - text.size() : 0;
      parse::ParsePerfMap(text, size_t(max_entries), size_t(max_names), &pm);
      std::string().swap(text);
      w.U32(uint32_t(pm.syms.size()));
      for (const parse::JitSym& s : pm.syms) {
        w.U64(s.start);
        w.U64(s.end);
        w.U32(s.name);
        w.U32(s.seq);
      }
      w.Bytes(pm.names);
      w.U64(pm.entries_cut);
      w.U64(pm.bytes_cut);
      break;
    }
    case proto::kCfi: {
      parse::CfiTable t;
      if (!r.done() || fds.size() != 1 || !parse::BuildCfi(fds[0], nullptr, 0, &t)) {
        status = proto::kFail;
        break;
      }
      w.U32((t.present ? 1 : 0) | (t.corrupt ? 2 : 0));
      w.U64(t.cut);
      w.U32(uint32_t(t.rows.size()));
      for (const parse::CfiRow& c : t.rows) {
        w.U64(c.pc);
        w.U32(uint32_t(c.cfa_off));
        w.U32(uint32_t(c.rbp_off));
        w.U32(uint32_t(c.ra_off));
        w.U8(c.kind);
        w.U8(c.rbp);
        w.U8(c.ra);
      }
      break;
    }
    default:
      status = proto::kFail;
  }
  for (int fd : fds)
    if (fd >= 0) close(fd);
  bool sent = Send(status, status == proto::kOk ? w.buf : std::string());
  // A file's tables and a perf map's text are freed now: give the memory back (a big map or
  // symbol table would otherwise stay in the heap until the next one).
  if (h.type == proto::kElf || h.type == proto::kPerfMap || h.type == proto::kDebug || h.type == proto::kCfi) malloc_trim(0);
  return sent;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "perfscope-parser: started by perfscope only (its symbolizer passes a socket as fd 3)\n");
    return 64;
  }
  struct stat st;
  if (fstat(kSock, &st) != 0 || !S_ISSOCK(st.st_mode)) {
    fprintf(stderr, "perfscope-parser: fd 3 is not a socket\n");
    return 64;
  }
  signal(SIGPIPE, SIG_IGN);
  // Nothing of perfscope's but the socket: any descriptor it did not mark close-on-exec goes.
  syscall(SYS_close_range, 4u, ~0u, 0u);
  Sandbox(pid_t(atoi(argv[1])));
  while (Serve()) {
  }
  return 0;
}
