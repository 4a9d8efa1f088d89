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
std::string g_log;          // bounded: the last few KiB libbpf printed during one call
constexpr size_t kLogMax = 16384;
bool g_debug = false;

int PrintFn(enum libbpf_print_level level, const char* fmt, va_list ap) {
  char buf[2048];
  va_list copy;
  va_copy(copy, ap);
  int n = vsnprintf(buf, sizeof buf, fmt, copy);
  va_end(copy);
  if (n < 0) return 0;
  if (g_debug) fputs(buf, stderr);
  if (level == LIBBPF_DEBUG) return 0;
  g_log.append(buf, std::min<size_t>(n, sizeof buf - 1));
  if (g_log.size() > kLogMax) g_log.erase(0, g_log.size() - kLogMax);
  return 0;
}
}  // namespace

void InstallLibbpfPrint() {
  g_debug = getenv("PERFSCOPE_LIBBPF_DEBUG") != nullptr;
  libbpf_set_print(PrintFn);
}

void LogReset() { g_log.clear(); }

std::string LogTail(size_t max_lines) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < g_log.size()) {
    size_t end = g_log.find('\n', start);
    if (end == std::string::npos) end = g_log.size();
    if (end > start) lines.emplace_back(g_log.substr(start, end - start));
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

void ThrowErrno(const Napi::Env& env, int err, const char* stage, const std::string& what) {
  if (err < 0) err = -err;
  if (err == 0) err = EINVAL;
  const char* code = strerrorname_np(err);
  std::string msg = what + ": " + strerror(err);
  std::string tail = LogTail();
  if (!tail.empty()) msg += " (libbpf: " + tail + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("code", Napi::String::New(env, code ? code : "EUNKNOWN"));
  e.Set("stage", Napi::String::New(env, stage));
  if (!g_log.empty()) e.Set("log", Napi::String::New(env, g_log));
  throw e;
}

}  // namespace perfscope
