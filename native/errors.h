// Errors crossing into JavaScript: every failure becomes a JS Error carrying
// errno, its symbolic code (EPERM, ENOENT, ...), the stage (open, load, attach,
// read, write) and the tail of libbpf's own log for that call.
#pragma once
#include <napi.h>
#include <string>

namespace perfscope {

// libbpf's print callback appends here; each binding call clears it first.
void LogReset();
std::string LogTail(size_t max_lines = 6);
void InstallLibbpfPrint();

[[noreturn]] void ThrowErrno(const Napi::Env& env, int err, const char* stage, const std::string& what);

}  // namespace perfscope
