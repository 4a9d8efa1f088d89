// Errors crossing into JavaScript: every failure becomes a JS Error carrying
// errno, its symbolic code (EPERM, ENOENT, ...), the stage (open, load, attach,
// read, write) and the tail of libbpf's own log for that call.
#pragma once
#include <napi.h>
#include <string>

namespace perfscope {

// libbpf's print callback appends to a log of the calling thread (libbpf prints on the thread
// that called it: the main thread, or a thread pool thread running a load); each binding call
// clears its thread's log first. A worker takes its log with LogTake() and hands it to the
// error it builds on the main thread (ErrnoError).
void LogReset();
std::string LogTake();
void InstallLibbpfPrint();

// The JS error for errno `err` at `stage`, with `log` (libbpf's output for that call).
Napi::Error ErrnoError(const Napi::Env& env, int err, const char* stage, const std::string& what,
                       const std::string& log);
// Throw ErrnoError with this thread's log.
[[noreturn]] void ThrowErrno(const Napi::Env& env, int err, const char* stage, const std::string& what);

}  // namespace perfscope
