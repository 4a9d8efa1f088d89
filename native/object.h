// BpfObject: one BPF ELF object through its life cycle
// open -> set read-only globals -> load (or loadAsync) -> attach/detach each program -> close.
#pragma once
#include <napi.h>
#include <map>
#include <string>

struct bpf_object;
struct bpf_program;
struct bpf_link;

namespace perfscope {

class LoadWorker;

class BpfObject : public Napi::ObjectWrap<BpfObject> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit BpfObject(const Napi::CallbackInfo& info);
  ~BpfObject() override;

 private:
  Napi::Value SetGlobal(const Napi::CallbackInfo& info);
  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value LoadAsync(const Napi::CallbackInfo& info);
  Napi::Value Programs(const Napi::CallbackInfo& info);
  Napi::Value Maps(const Napi::CallbackInfo& info);
  Napi::Value Attach(const Napi::CallbackInfo& info);
  Napi::Value AttachTracepoint(const Napi::CallbackInfo& info);
  Napi::Value DetachTracepoints(const Napi::CallbackInfo& info);
  Napi::Value AttachUprobe(const Napi::CallbackInfo& info);
  Napi::Value AttachUsdt(const Napi::CallbackInfo& info);
  Napi::Value DetachSlots(const Napi::CallbackInfo& info);
  Napi::Value SetExpectedAttachType(const Napi::CallbackInfo& info);
  Napi::Value AttachUprobeMulti(const Napi::CallbackInfo& info);
  Napi::Value DetachMulti(const Napi::CallbackInfo& info);
  Napi::Value AttachPerfEvent(const Napi::CallbackInfo& info);
  Napi::Value DetachPerfEvents(const Napi::CallbackInfo& info);
  Napi::Value Detach(const Napi::CallbackInfo& info);
  Napi::Value IsAttached(const Napi::CallbackInfo& info);
  Napi::Value ProgInfo(const Napi::CallbackInfo& info);
  Napi::Value SetAutoload(const Napi::CallbackInfo& info);
  Napi::Value SetMaxEntries(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  bpf_program* Program(const Napi::CallbackInfo& info, size_t arg);
  void NotBusy(const Napi::Env& env, const char* what);
  void Require(const Napi::Env& env, bool loaded, const char* what);
  void DestroyAll();

  friend class LoadWorker;

  bpf_object* obj_ = nullptr;
  bool loaded_ = false;
  // While a loadAsync() runs on the thread pool, libbpf owns obj_: every method throws (EBUSY)
  // but close(), which is deferred to the end of the load (close_pending_).
  LoadWorker* loader_ = nullptr;
  bool close_pending_ = false;
  std::string path_;
  std::map<std::string, bpf_link*> links_;
  // Multi-uprobe links (BPF_TRACE_UPROBE_MULTI, made with a raw BPF_LINK_CREATE: libbpf 1.1 has
  // no API for them), by the caller's key: their fds, closed by detachMulti() and close().
  std::map<std::string, int> multi_fds_;  // keys: "prog", "prog@category/tracepoint", "prog@category/tracepoint#cookie", "prog@cpu#N", "prog@slot#N" (uprobes, USDT)
};

}  // namespace perfscope
