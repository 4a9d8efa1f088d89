// libbpf is linked into the addon from Debian's static archive (libbpf.a of libbpf-dev), so the
// package needs no libbpf on the target host. That archive is not built as position-independent
// code: one reference in it, libbpf's default print function's `stderr`, is a PC-relative load
// of libc's variable, which a shared object cannot hold. The Makefile renames that one symbol
// in a copy of the archive (objcopy --redefine-sym stderr=perfscope_libbpf_stderr) and this
// defines it inside the addon, pointing at the same FILE. (InstallLibbpfPrint replaces that
// print function before the first libbpf call anyway.)
#include <cstdio>

extern "C" {
__attribute__((visibility("hidden"))) FILE* perfscope_libbpf_stderr = stderr;
}
