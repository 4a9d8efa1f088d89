// The symbolizer tests' program: prints the addresses of its own functions (and of code it
// loads or makes) as "name 0xADDR" lines, then "ready", then sleeps until killed.
//   lib PATH    dlopen PATH and print lib_fn
//   libsym PATH NAME   dlopen PATH and print NAME as "libsym"
//   jit         an anonymous executable page with two functions named in /tmp/perf-PID.map
//   blob PATH   mmap PATH executable (a file that is not, or not quite, ELF); repeatable
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile int sink;
static void *ret_in_mid_b;
static void *ret_in_inner;

__attribute__((noinline, noclone)) int leaf_a(int x) { /* LEAF_A */
  ret_in_mid_b = __builtin_return_address(0);
  return x + sink;
}

__attribute__((noinline, noclone)) int mid_b(int x) {
  int r = leaf_a(x);
  return r + sink;
}

__attribute__((noinline, noclone)) int probe_ra(void) {
  ret_in_inner = __builtin_return_address(0);
  return sink;
}

static inline __attribute__((always_inline)) int inner_inl(int x) {
  int r = probe_ra(); /* CALL_PROBE */
  sink = r + x;
  return r * 3 + x;
}

__attribute__((noinline, noclone)) int outer_fn(int x) {
  int v = inner_inl(x); /* CALL_INNER */
  sink = v;
  return v + 1;
}

// A symbol of the vDSO, found through its section headers (the image includes them).
static void *vdso_sym(const char *name) {
  unsigned long base = getauxval(AT_SYSINFO_EHDR);
  if (!base) return NULL;
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
  const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
  const Elf64_Shdr *sh = (const Elf64_Shdr *)(base + eh->e_shoff);
  Elf64_Addr bias = 0;
  for (int i = 0; i < eh->e_phnum; i++)
    if (ph[i].p_type == PT_LOAD) {
      bias = ph[i].p_vaddr - ph[i].p_offset;
      break;
    }
  for (int i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type != SHT_DYNSYM) continue;
    const Elf64_Sym *s = (const Elf64_Sym *)(base + sh[i].sh_offset);
    const char *str = (const char *)(base + sh[sh[i].sh_link].sh_offset);
    for (size_t k = 0; k < sh[i].sh_size / sizeof *s; k++)
      if (!strcmp(str + s[k].st_name, name)) return (void *)(base + s[k].st_value - bias);
  }
  return NULL;
}

int main(int argc, char **argv) {
  int blobs = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "lib") && i + 1 < argc) {
      void *h = dlopen(argv[++i], RTLD_NOW);
      if (!h) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }
      printf("lib_fn %p\n", dlsym(h, "lib_fn"));
    } else if (!strcmp(argv[i], "libsym") && i + 2 < argc) {
      void *h = dlopen(argv[++i], RTLD_NOW);
      if (!h) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }
      printf("libsym %p\n", dlsym(h, argv[++i]));
    } else if (!strcmp(argv[i], "jit")) {
      unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (code == MAP_FAILED) { perror("mmap"); return 1; }
      memset(code, 0xc3, 4096);
      char path[64];
      snprintf(path, sizeof path, "/tmp/perf-%d.map", getpid());
      FILE *f = fopen(path, "w");
      if (!f) { perror(path); return 1; }
      fprintf(f, "%lx 40 jitted_fn\n", (unsigned long)code);
      fprintf(f, "%lx 40 bad\xff\xfename\n", (unsigned long)code + 0x100);
      fprintf(f, "%lx 40 _ZN4core3fmt5write17h0123456789abcdefE\n", (unsigned long)code + 0x200);
      fclose(f);
      printf("jit %p\n", (void *)(code + 0x10));
      printf("jit_bad %p\n", (void *)(code + 0x100));
      printf("jit_rust %p\n", (void *)(code + 0x208));
      printf("jit_gap %p\n", (void *)(code + 0x800));
    } else if (!strcmp(argv[i], "blob") && i + 1 < argc) {
      int fd = open(argv[++i], O_RDONLY);
      void *p = fd < 0 ? MAP_FAILED : mmap(NULL, 8192, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) { perror(argv[i]); return 1; }
      printf("blob%d %p\n", blobs++, p);
    }
  }
  sink = mid_b(1) + outer_fn(2);
  printf("leaf_a %p\n", (void *)leaf_a);
  printf("mid_b %p\n", (void *)mid_b);
  printf("main %p\n", (void *)main);
  printf("outer_fn %p\n", (void *)outer_fn);
  printf("ret_mid_b %p\n", ret_in_mid_b);
  printf("ret_inner %p\n", ret_in_inner);
  printf("nanosleep %p\n", dlsym(RTLD_DEFAULT, "nanosleep"));
  printf("vdso_cg %p\n", vdso_sym("__vdso_clock_gettime"));
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
}
