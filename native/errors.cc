#include "errors.h"

#include <bpf/libbpf.h>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace perfscope {
namespace {
// Per thread: a load on a thread pool thread must neither race with nor mix into the main
// thread's log (or another load's). Bounded: the last few KiB libbpf printed during one call.
thread_local std::string t_log;
constexpr size_t kLogMax = 16384;
bool g_debug = false;  // set once, before any thread can load

int PrintFn(enum libbpf_print_level level, const char* fmt, va_list ap) {
  char buf[2048];
  va_list copy;
  va_copy(copy, ap);
  int n = vsnprintf(buf, sizeof buf, fmt, copy);
  va_end(copy);
  if (n < 0) return 0;
  if (g_debug) fputs(buf, stderr);
  if (level == LIBBPF_DEBUG) return 0;
  t_log.append(buf, std::min<size_t>(n, sizeof buf - 1));
  if (t_log.size() > kLogMax) t_log.erase(0, t_log.size() - kLogMax);
  return 0;
}

// The last max_lines non-empty lines of log, joined with " | ".
std::string LogTail(const std::string& log, size_t max_lines = 6) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    if (end > start) lines.emplace_back(log.substr(start, end - start));
    start = end + 1;
  }
  std::string out;
  size_t from = lines.size() > max_lines ? lines.size() - max_lines : 0;
  for (size_t i = from; i < lines.size(); i++) {
    if (!out.empty()) out += " | ";
    out += lines[i];
  }
  return out;
}
}  // namespace

void InstallLibbpfPrint() {
  g_debug = getenv("PERFSCOPE_LIBBPF_DEBUG") != nullptr;
  libbpf_set_print(PrintFn);
}

void LogReset() { t_log.clear(); }

std::string LogTake() {
  std::string out;
  out.swap(t_log);
  return out;
}

Napi::Error ErrnoError(const Napi::Env& env, int err, const char* stage, const std::string& what,
                       const std::string& log) {
  if (err < 0) err = -err;
  if (err == 0) err = EINVAL;
  const char* code = strerrorname_np(err);
  std::string msg = what + ": " + strerror(err);
  std::string tail = LogTail(log);
  if (!tail.empty()) msg += " (libbpf: " + tail + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("code", Napi::String::New(env, code ? code : "EUNKNOWN"));
  e.Set("stage", Napi::String::New(env, stage));
  if (!log.empty()) e.Set("log", Napi::String::New(env, log));
  return e;
}

void ThrowErrno(const Napi::Env& env, int err, const char* stage, const std::string& what) {
  throw ErrnoError(env, err, stage, what, t_log);
}

}  // namespace perfscope
