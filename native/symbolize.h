// Symbolizer: raw stacks (u64 instruction addresses, leaf first) to frames, for the kernel
// (kallsyms) and for user space of a process snapshotted once (its executable mappings, the
// files behind them opened at once and kept, its vDSO image and its JIT perf map). Files are
// shared between processes: one cache keyed by file identity, each file's tables parsed once by
// the parser process (build/perfscope-parser, native/parser/: unprivileged, sandboxed), which
// a worker thread of the addon's own talks to (as it reads kallsyms): a call with a time budget
// never waits for a parse (what is not ready comes back pending), one without waits. See
// src/stacks/symbolizer.ts and docs/stacks.md.
#pragma once
#include <napi.h>

#include <memory>

namespace perfscope {

namespace sym {
class Engine;
}

class Symbolizer : public Napi::ObjectWrap<Symbolizer> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Symbolizer(const Napi::CallbackInfo& info);
  ~Symbolizer() override;

 private:
  Napi::Value Snapshot(const Napi::CallbackInfo& info);
  Napi::Value User(const Napi::CallbackInfo& info);
  Napi::Value Kernel(const Napi::CallbackInfo& info);
  Napi::Value Unwind(const Napi::CallbackInfo& info);
  Napi::Value PrefetchKernel(const Napi::CallbackInfo& info);
  Napi::Value Idle(const Napi::CallbackInfo& info);
  Napi::Value WhenIdle(const Napi::CallbackInfo& info);
  Napi::Value Release(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);

  std::unique_ptr<sym::Engine> engine_;
};

}  // namespace perfscope
