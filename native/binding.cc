// perfscope's libbpf binding: module entry. Generic pieces only (objects, programs, maps,
// ring buffers, run-time statistics, the stack symbolizer); nothing here knows about any one probe.
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <malloc.h>
#include <napi.h>
#include <unistd.h>

#include <cerrno>

#include "errors.h"
#include "maps.h"
#include "object.h"
#include "ringbuf.h"
#include "symbolize.h"

namespace perfscope {
void InitUprobe(Napi::Env env, Napi::Object exports);
namespace {

Napi::Value LibbpfVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), libbpf_version_string());
}

Napi::Value NumPossibleCpus(const Napi::CallbackInfo& info) {
  int n = libbpf_num_possible_cpus();
  if (n < 0) ThrowErrno(info.Env(), -n, "read", "cannot count possible CPUs");
  return Napi::Number::New(info.Env(), n);
}

// enableStats() -> fd. While the fd is open the kernel counts run_time_ns/run_cnt for every
// program (BPF_ENABLE_STATS); it is restored by the kernel when the fd closes or we exit.
Napi::Value EnableStats(const Napi::CallbackInfo& info) {
  int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (fd < 0) ThrowErrno(info.Env(), errno, "attach", "cannot enable BPF run-time statistics");
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsNumber()) close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// probeTpBtf(name) -> boolean: does this kernel have BTF for the raw tracepoint btf_trace_<name>?
Napi::Value ProbeTpBtf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "probeTpBtf(name)");
  std::string name = "btf_trace_" + info[0].As<Napi::String>().Utf8Value();
  struct btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return Napi::Boolean::New(env, false);
  bool found = btf__find_by_name_kind(vmlinux, name.c_str(), BTF_KIND_TYPEDEF) > 0;
  btf__free(vmlinux);
  return Napi::Boolean::New(env, found);
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // glibc gives each thread that allocates under contention an arena of its own (up to 8 per
  // CPU), and an arena's freed memory is seldom given back: the addon's threads (the
  // symbolizer's parser, the feeds' readers) left ~30 MiB of RSS in theirs at rest. Threads
  // made from now on share the main arena, which free() trims.
  mallopt(M_ARENA_MAX, 1);
  InstallLibbpfPrint();
  exports.Set("BpfObject", BpfObject::Init(env));
  exports.Set("RingBuffer", RingBuffer::Init(env));
  exports.Set("FeedReader", FeedReader::Init(env));
  exports.Set("Symbolizer", Symbolizer::Init(env));
  exports.Set("libbpfVersion", Napi::Function::New<LibbpfVersion>(env, "libbpfVersion"));
  exports.Set("numPossibleCpus", Napi::Function::New<NumPossibleCpus>(env, "numPossibleCpus"));
  exports.Set("enableStats", Napi::Function::New<EnableStats>(env, "enableStats"));
  exports.Set("closeFd", Napi::Function::New<CloseFd>(env, "closeFd"));
  exports.Set("probeTpBtf", Napi::Function::New<ProbeTpBtf>(env, "probeTpBtf"));
  InitMaps(env, exports);
  InitUprobe(env, exports);
  return exports;
}

}  // namespace perfscope

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return perfscope::Init(env, exports); }
NODE_API_MODULE(perfscope, InitModule)
