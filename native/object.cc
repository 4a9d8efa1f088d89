#include "object.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "errors.h"

namespace perfscope {

Napi::Function BpfObject::Init(Napi::Env env) {
  return DefineClass(env, "BpfObject",
                     {
                         InstanceMethod<&BpfObject::SetGlobal>("setGlobal"),
                         InstanceMethod<&BpfObject::SetAutoload>("setAutoload"),
                         InstanceMethod<&BpfObject::SetMaxEntries>("setMaxEntries"),
                         InstanceMethod<&BpfObject::Load>("load"),
                         InstanceMethod<&BpfObject::LoadAsync>("loadAsync"),
                         InstanceMethod<&BpfObject::Programs>("programs"),
                         InstanceMethod<&BpfObject::Maps>("maps"),
                         InstanceMethod<&BpfObject::Attach>("attach"),
                         InstanceMethod<&BpfObject::AttachTracepoint>("attachTracepoint"),
                         InstanceMethod<&BpfObject::DetachTracepoints>("detachTracepoints"),
                         InstanceMethod<&BpfObject::AttachUprobe>("attachUprobe"),
                         InstanceMethod<&BpfObject::AttachUsdt>("attachUsdt"),
                         InstanceMethod<&BpfObject::DetachSlots>("detachSlots"),
                         InstanceMethod<&BpfObject::SetExpectedAttachType>("setExpectedAttachType"),
                         InstanceMethod<&BpfObject::AttachUprobeMulti>("attachUprobeMulti"),
                         InstanceMethod<&BpfObject::DetachMulti>("detachMulti"),
                         InstanceMethod<&BpfObject::AttachPerfEvent>("attachPerfEvent"),
                         InstanceMethod<&BpfObject::DetachPerfEvents>("detachPerfEvents"),
                         InstanceMethod<&BpfObject::Detach>("detach"),
                         InstanceMethod<&BpfObject::IsAttached>("isAttached"),
                         InstanceMethod<&BpfObject::ProgInfo>("progInfo"),
                         InstanceMethod<&BpfObject::Close>("close"),
                     });
}

// new BpfObject(path)
BpfObject::BpfObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BpfObject>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString())
    throw Napi::TypeError::New(env, "BpfObject(path: string)");
  path_ = info[0].As<Napi::String>().Utf8Value();
  LogReset();
  errno = 0;
  obj_ = bpf_object__open_file(path_.c_str(), nullptr);
  if (!obj_) {
    int err = errno;
    obj_ = nullptr;
    ThrowErrno(env, err, "open", "cannot open BPF object " + path_);
  }
}

// loadAsync(): bpf_object__load on a libuv thread pool thread; settles on the main thread.
// The worker holds a reference to the JS object, so the BpfObject outlives the load.
class LoadWorker : public Napi::AsyncWorker {
 public:
  LoadWorker(Napi::Env env, BpfObject* self, Napi::Object js)
      : Napi::AsyncWorker(env, "perfscope:bpf_object__load"),
        deferred_(Napi::Promise::Deferred::New(env)),
        self_(self),
        obj_(self->obj_),
        path_(self->path_) {
    ref_ = Napi::Persistent(js);
  }
  ~LoadWorker() override {
    if (self_) self_->loader_ = nullptr;
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  // The BpfObject is being destroyed while the load runs (only at environment teardown: ref_
  // keeps it from being collected). obj_ is libbpf's until Execute returns: OnOK closes it.
  void Orphan() { self_ = nullptr; }

 protected:
  // Thread pool: touches nothing but obj_ (which no other thread touches meanwhile).
  void Execute() override {
    LogReset();
    err_ = bpf_object__load(obj_);
    log_ = LogTake();
  }

  // Main thread. The object's state first (no JS involved), then the promise.
  void OnOK() override {
    if (!self_) {
      bpf_object__close(obj_);
      return;
    }
    BpfObject* self = self_;
    self->loader_ = nullptr;
    bool closed = self->close_pending_;
    if (closed) self->DestroyAll();
    else if (!err_) self->loaded_ = true;
    // Settling fails only when the environment is shutting down (no JS can run): the error
    // node-addon-api throws then must not escape (it would terminate the process).
    Napi::Env env = Env();
    try {
      if (err_)
        deferred_.Reject(ErrnoError(env, err_, "load", "cannot load BPF object " + path_, log_).Value());
      else if (closed)
        deferred_.Reject(
            ErrnoError(env, ECANCELED, "load", "BPF object " + path_ + " closed while loading", "").Value());
      else
        deferred_.Resolve(env.Undefined());
    } catch (const Napi::Error&) {
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference ref_;
  BpfObject* self_;
  bpf_object* obj_;
  std::string path_;
  int err_ = 0;
  std::string log_;
};

BpfObject::~BpfObject() {
  if (loader_) {
    loader_->Orphan();  // the worker closes obj_ once libbpf is done with it
    obj_ = nullptr;
  }
  DestroyAll();
}

// Destroy links, all at once: unregistering a BPF program from a tracepoint waits for a grace
// period in the kernel (~70 ms here, for each one, sched and syscalls alike: the close of a perf
// event's last reference ends in tracepoint_synchronize_unregister()). One after another, 256
// tracepoints take 18 s to detach; closed from threads of their own, their grace periods overlap
// and all of them take about one. Returns the first error (a negative errno), or 0.
static int DestroyLinks(const std::vector<bpf_link*>& links) {
  if (links.size() <= 1) return links.empty() ? 0 : bpf_link__destroy(links[0]);
  constexpr size_t kThreads = 64;
  std::vector<int> errs(links.size(), 0);
  for (size_t from = 0; from < links.size(); from += kThreads) {
    std::vector<std::thread> threads;
    size_t to = std::min(links.size(), from + kThreads);
    for (size_t i = from; i < to; i++) {
      try {
        threads.emplace_back([&errs, &links, i] { errs[i] = bpf_link__destroy(links[i]); });
      } catch (const std::system_error&) {
        errs[i] = bpf_link__destroy(links[i]);  // no thread to be had: here, then
      }
    }
    for (auto& t : threads) t.join();
  }
  for (int e : errs)
    if (e) return e;
  return 0;
}

void BpfObject::DestroyAll() {
  for (auto& [key, fd] : multi_fds_) close(fd);
  multi_fds_.clear();
  std::vector<bpf_link*> all;
  for (auto& [name, link] : links_) all.push_back(link);
  DestroyLinks(all);
  links_.clear();
  if (obj_) bpf_object__close(obj_);
  obj_ = nullptr;
}

void BpfObject::NotBusy(const Napi::Env& env, const char* what) {
  if (loader_)
    throw ErrnoError(env, EBUSY, "load",
                     std::string(what) + ": BpfObject: busy loading " + path_ + " (loadAsync() in flight)", "");
}

void BpfObject::Require(const Napi::Env& env, bool loaded, const char* what) {
  NotBusy(env, what);
  if (!obj_) throw Napi::Error::New(env, std::string(what) + ": BPF object is closed");
  if (loaded && !loaded_) throw Napi::Error::New(env, std::string(what) + ": BPF object is not loaded");
  if (!loaded && loaded_) throw Napi::Error::New(env, std::string(what) + ": only before load()");
}

bpf_program* BpfObject::Program(const Napi::CallbackInfo& info, size_t arg) {
  Napi::Env env = info.Env();
  if (info.Length() <= arg || !info[arg].IsString()) throw Napi::TypeError::New(env, "program name expected");
  std::string name = info[arg].As<Napi::String>().Utf8Value();
  bpf_program* prog = bpf_object__find_program_by_name(obj_, name.c_str());
  if (!prog) ThrowErrno(env, ENOENT, "attach", "no program '" + name + "' in " + path_);
  return prog;
}

// setGlobal(name, Buffer): write a `const volatile` (or .data/.bss) global before load.
// The variable is found through the object's BTF data sections, so its size is checked.
Napi::Value BpfObject::SetGlobal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(env, false, "setGlobal");
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsBuffer())
    throw Napi::TypeError::New(env, "setGlobal(name: string, value: Buffer)");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  auto value = info[1].As<Napi::Buffer<uint8_t>>();
  const struct btf* btf = bpf_object__btf(obj_);
  if (!btf) ThrowErrno(env, ENOENT, "open", "object has no BTF; cannot set global " + name);
  const char* sections[] = {".rodata", ".data", ".bss"};
  for (const char* sec : sections) {
    int id = btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC);
    if (id < 0) continue;
    const struct btf_type* t = btf__type_by_id(btf, id);
    const struct btf_var_secinfo* vs = btf_var_secinfos(t);
    for (int i = 0; i < btf_vlen(t); i++, vs++) {
      const struct btf_type* var = btf__type_by_id(btf, vs->type);
      if (name != btf__name_by_offset(btf, var->name_off)) continue;
      if (vs->size != value.Length())
        ThrowErrno(env, EINVAL, "open",
                   "global " + name + " is " + std::to_string(vs->size) + " bytes, got " +
                       std::to_string(value.Length()));
      // Find the internal map that backs this section: its name ends with the section name.
      bpf_map* map;
      bpf_object__for_each_map(map, obj_) {
        if (!bpf_map__is_internal(map)) continue;
        std::string mname = bpf_map__name(map);
        size_t sl = strlen(sec);
        if (mname.size() < sl || mname.compare(mname.size() - sl, sl, sec) != 0) continue;
        size_t size = 0;
        const void* init = bpf_map__initial_value(map, &size);
        if (!init || vs->offset + vs->size > size) break;
        std::vector<uint8_t> copy(static_cast<const uint8_t*>(init), static_cast<const uint8_t*>(init) + size);
        memcpy(copy.data() + vs->offset, value.Data(), vs->size);
        int err = bpf_map__set_initial_value(map, copy.data(), size);
        if (err) ThrowErrno(env, err, "open", "cannot set global " + name);
        return env.Undefined();
      }
      ThrowErrno(env, ENOENT, "open", "no map backs section " + std::string(sec));
    }
  }
  ThrowErrno(env, ENOENT, "open", "no global variable '" + name + "' in " + path_);
}

// setAutoload(prog, bool): skip loading a program (e.g. a hook this kernel lacks).
Napi::Value BpfObject::SetAutoload(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(env, false, "setAutoload");
  bpf_program* prog = Program(info, 0);
  int err = bpf_program__set_autoload(prog, info[1].ToBoolean().Value());
  if (err) ThrowErrno(env, err, "open", "setAutoload");
  return env.Undefined();
}

// setMaxEntries(map, n): before load, size a map (a hash sized from the host, a ring buffer).
Napi::Value BpfObject::SetMaxEntries(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(env, false, "setMaxEntries");
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "setMaxEntries(map: string, n: number)");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  double n = info[1].As<Napi::Number>().DoubleValue();
  bpf_map* map = bpf_object__find_map_by_name(obj_, name.c_str());
  if (!map) ThrowErrno(env, ENOENT, "open", "setMaxEntries: no map " + name);
  if (!(n >= 1 && n <= 0xffffffff) || n != static_cast<double>(static_cast<uint32_t>(n)))
    ThrowErrno(env, EINVAL, "open", "setMaxEntries: " + name + ": not an entry count");
  int err = bpf_map__set_max_entries(map, static_cast<uint32_t>(n));
  if (err) ThrowErrno(env, err, "open", "setMaxEntries " + name);
  return env.Undefined();
}

Napi::Value BpfObject::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(env, false, "load");
  LogReset();
  int err = bpf_object__load(obj_);
  if (err) ThrowErrno(env, err, "load", "cannot load BPF object " + path_);
  loaded_ = true;
  return env.Undefined();
}

// loadAsync() -> Promise<void>: load() on the thread pool, so that the event loop runs on while
// the verifier works. Rejects like load() throws (errno, code, stage 'load', log); a close()
// meanwhile takes effect when the load ends, and the promise then rejects (ECANCELED).
Napi::Value BpfObject::LoadAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    Require(env, false, "loadAsync");
  } catch (const Napi::Error& e) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(e.Value());
    return d.Promise();
  }
  auto* worker = new LoadWorker(env, this, info.This().As<Napi::Object>());
  loader_ = worker;
  worker->Queue();
  return worker->Promise();
}

Napi::Value BpfObject::Programs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NotBusy(env, "programs");
  if (!obj_) throw Napi::Error::New(env, "programs: BPF object is closed");
  Napi::Array out = Napi::Array::New(env);
  bpf_program* prog;
  uint32_t i = 0;
  bpf_object__for_each_program(prog, obj_) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", bpf_program__name(prog));
    o.Set("section", bpf_program__section_name(prog));
    o.Set("autoload", bpf_program__autoload(prog));
    o.Set("fd", loaded_ ? bpf_program__fd(prog) : -1);
    out.Set(i++, o);
  }
  return out;
}

// maps(): [{name, fd, type, keySize, valueSize, maxEntries}] (fd is -1 before load)
Napi::Value BpfObject::Maps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NotBusy(env, "maps");
  if (!obj_) throw Napi::Error::New(env, "maps: BPF object is closed");
  Napi::Array out = Napi::Array::New(env);
  bpf_map* map;
  uint32_t i = 0;
  bpf_object__for_each_map(map, obj_) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", bpf_map__name(map));
    o.Set("fd", loaded_ ? bpf_map__fd(map) : -1);
    o.Set("type", static_cast<double>(bpf_map__type(map)));
    o.Set("keySize", bpf_map__key_size(map));
    o.Set("valueSize", bpf_map__value_size(map));
    o.Set("maxEntries", bpf_map__max_entries(map));
    out.Set(i++, o);
  }
  return out;
}

Napi::Value BpfObject::Attach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(env, true, "attach");
  bpf_program* prog = Program(info, 0);
  std::string name = bpf_program__name(prog);
  if (links_.count(name)) return env.Undefined();  // already attached: idempotent
  LogReset();
  errno = 0;
  bpf_link* link = bpf_program__attach(prog);
  if (!link) {
    int err = errno;
    ThrowErrno(env, err, "attach",
               "cannot attach " + name + " (" + bpf_program__section_name(prog) + ")");
  }
  links_[name] = link;
  return env.Undefined();
}

// attachTracepoint(prog, category, name[, cookie]): attach a loaded program to one more
// tracepoint than the one its section names (e.g. one program on both syscalls:sys_enter_execve
// and sys_enter_execveat; libbpf reads the id in tracefs), or, for a SEC("tracepoint") program,
// to any tracepoint at all. With a cookie (a number), bpf_get_attach_cookie() returns it in the
// program's runs from this attachment. Idempotent per (program, tracepoint, cookie); detach(prog)
// removes these links too, detachTracepoint() one of them.
static std::string TracepointKey(const std::string& prog, const std::string& cat, const std::string& tp,
                                 bool has_cookie, uint64_t cookie) {
  // '@' never occurs in a program name, '#' never in a tracepoint's.
  std::string key = prog + "@" + cat + "/" + tp;
  if (has_cookie) key += "#" + std::to_string(cookie);
  return key;
}

// An optional cookie argument: undefined (none) or a whole number up to 2^53 - 1.
static bool CookieArg(const Napi::Value& v, bool& has_cookie, uint64_t& cookie) {
  has_cookie = !v.IsUndefined();
  cookie = 0;
  if (!has_cookie) return true;
  if (!v.IsNumber()) return false;
  double c = v.As<Napi::Number>().DoubleValue();
  if (!(c >= 0 && c <= 9007199254740991.0) || c != static_cast<double>(static_cast<uint64_t>(c))) return false;
  cookie = static_cast<uint64_t>(c);
  return true;
}

static bool TracepointArgs(const Napi::CallbackInfo& info, std::string& cat, std::string& tp, bool& has_cookie,
                           uint64_t& cookie) {
  if (info.Length() < 3 || !info[1].IsString() || !info[2].IsString()) return false;
  cat = info[1].As<Napi::String>().Utf8Value();
  tp = info[2].As<Napi::String>().Utf8Value();
  return CookieArg(info[3], has_cookie, cookie);
}

Napi::Value BpfObject::AttachTracepoint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(env, true, "attachTracepoint");
  bpf_program* prog = Program(info, 0);
  std::string cat, tp;
  bool has_cookie;
  uint64_t cookie;
  if (!TracepointArgs(info, cat, tp, has_cookie, cookie))
    throw Napi::TypeError::New(env, "attachTracepoint(prog: string, category: string, name: string, cookie?: integer)");
  std::string name = bpf_program__name(prog);
  std::string key = TracepointKey(name, cat, tp, has_cookie, cookie);
  if (links_.count(key)) return env.Undefined();
  LogReset();
  errno = 0;
  LIBBPF_OPTS(bpf_tracepoint_opts, opts, .bpf_cookie = cookie);
  bpf_link* link = bpf_program__attach_tracepoint_opts(prog, cat.c_str(), tp.c_str(), &opts);
  if (!link) {
    int err = errno;
    ThrowErrno(env, err, "attach", "cannot attach " + name + " to tracepoint " + cat + "/" + tp);
  }
  links_[key] = link;
  return env.Undefined();
}

// detachTracepoints(prog, [[category, name, cookie?], ...]): destroy those attachments (the ones
// that do not exist are skipped), all at once (see DestroyLinks).
Napi::Value BpfObject::DetachTracepoints(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NotBusy(env, "detachTracepoints");
  if (!obj_) return env.Undefined();
  bpf_program* prog = Program(info, 0);
  if (info.Length() < 2 || !info[1].IsArray())
    throw Napi::TypeError::New(env, "detachTracepoints(prog: string, list: [category, name, cookie?][])");
  Napi::Array list = info[1].As<Napi::Array>();
  std::string pname = bpf_program__name(prog);
  std::vector<bpf_link*> gone;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value v = list.Get(i);
    if (!v.IsArray()) throw Napi::TypeError::New(env, "detachTracepoints: each entry is [category, name, cookie?]");
    Napi::Array e = v.As<Napi::Array>();
    if (e.Length() < 2 || !e.Get(0u).IsString() || !e.Get(1u).IsString())
      throw Napi::TypeError::New(env, "detachTracepoints: each entry is [category, name, cookie?]");
    bool has_cookie;
    uint64_t cookie;
    if (!CookieArg(e.Get(2u), has_cookie, cookie))
      throw Napi::TypeError::New(env, "detachTracepoints: a cookie is a whole number");
    auto it = links_.find(TracepointKey(pname, e.Get(0u).As<Napi::String>().Utf8Value(), e.Get(1u).As<Napi::String>().Utf8Value(),
                                        has_cookie, cookie));
    if (it == links_.end()) continue;
    gone.push_back(it->second);
    links_.erase(it);
  }
  int err = DestroyLinks(gone);
  if (err) ThrowErrno(env, -err, "attach", "cannot detach " + pname + " from a tracepoint");
  return env.Undefined();
}

// User-space probes, one link per slot of a program ("prog@slot#N"): the slot is the BPF cookie.
static std::string SlotKey(const std::string& prog, uint64_t slot) { return prog + "@slot#" + std::to_string(slot); }

// attachUprobe(prog, slot, path, offset, retprobe, pid): a uprobe (or uretprobe) at a file offset
// of path, for one process (pid >= 0) or every process mapping the file (-1).
Napi::Value BpfObject::AttachUprobe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(env, true, "attachUprobe");
  bpf_program* prog = Program(info, 0);
  bool has_cookie;
  uint64_t slot;
  if (info.Length() < 6 || !CookieArg(info[1], has_cookie, slot) || !has_cookie || !info[2].IsString() ||
      !info[3].IsNumber() || !info[4].IsBoolean() || !info[5].IsNumber())
    throw Napi::TypeError::New(env, "attachUprobe(prog, slot, path, offset, retprobe, pid)");
  std::string path = info[2].As<Napi::String>().Utf8Value();
  double off = info[3].As<Napi::Number>().DoubleValue();
  if (!(off >= 0 && off < 9007199254740991.0)) throw Napi::RangeError::New(env, "attachUprobe: bad offset");
  bool ret = info[4].As<Napi::Boolean>().Value();
  int pid = info[5].As<Napi::Number>().Int32Value();
  std::string name = bpf_program__name(prog);
  std::string key = SlotKey(name, slot);
  if (links_.count(key)) return env.Undefined();
  LogReset();
  errno = 0;
  LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = slot, .retprobe = ret);
  bpf_link* link = bpf_program__attach_uprobe_opts(prog, pid < 0 ? -1 : pid, path.c_str(), size_t(off), &opts);
  if (!link) {
    int err = errno;
    ThrowErrno(env, err, "attach", "cannot attach " + name + " to " + path);
  }
  links_[key] = link;
  return env.Undefined();
}

// attachUsdt(prog, slot, path, provider, name, pid): a USDT probe of path (libbpf reads its
// notes, argument specs and semaphore; the kernel sets the semaphore in the processes while
// attached); bpf_usdt_cookie() returns the slot.
Napi::Value BpfObject::AttachUsdt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(env, true, "attachUsdt");
  bpf_program* prog = Program(info, 0);
  bool has_cookie;
  uint64_t slot;
  if (info.Length() < 6 || !CookieArg(info[1], has_cookie, slot) || !has_cookie || !info[2].IsString() ||
      !info[3].IsString() || !info[4].IsString() || !info[5].IsNumber())
    throw Napi::TypeError::New(env, "attachUsdt(prog, slot, path, provider, name, pid)");
  std::string path = info[2].As<Napi::String>().Utf8Value();
  std::string provider = info[3].As<Napi::String>().Utf8Value();
  std::string usdt = info[4].As<Napi::String>().Utf8Value();
  int pid = info[5].As<Napi::Number>().Int32Value();
  std::string name = bpf_program__name(prog);
  std::string key = SlotKey(name, slot);
  if (links_.count(key)) return env.Undefined();
  LogReset();
  errno = 0;
  LIBBPF_OPTS(bpf_usdt_opts, opts, .usdt_cookie = slot);
  bpf_link* link = bpf_program__attach_usdt(prog, pid < 0 ? -1 : pid, path.c_str(), provider.c_str(), usdt.c_str(), &opts);
  if (!link) {
    int err = errno;
    ThrowErrno(env, err, "attach", "cannot attach " + name + " to USDT " + provider + ":" + usdt + " of " + path);
  }
  links_[key] = link;
  return env.Undefined();
}

// detachSlots(prog, slots): destroy the links of attachUprobe/attachUsdt in those slots.
Napi::Value BpfObject::DetachSlots(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NotBusy(env, "detachSlots");
  if (!obj_) return env.Undefined();
  bpf_program* prog = Program(info, 0);
  if (info.Length() < 2 || !info[1].IsArray()) throw Napi::TypeError::New(env, "detachSlots(prog: string, slots: integer[])");
  Napi::Array list = info[1].As<Napi::Array>();
  std::string pname = bpf_program__name(prog);
  std::vector<bpf_link*> gone;
  for (uint32_t i = 0; i < list.Length(); i++) {
    bool has;
    uint64_t slot;
    if (!CookieArg(list.Get(i), has, slot) || !has) throw Napi::TypeError::New(env, "detachSlots: a slot is a whole number");
    auto it = links_.find(SlotKey(pname, slot));
    if (it == links_.end()) continue;
    gone.push_back(it->second);
    links_.erase(it);
  }
  int err = DestroyLinks(gone);
  if (err) ThrowErrno(env, -err, "attach", "cannot detach " + pname + " from a user-space probe");
  return env.Undefined();
}

// setExpectedAttachType(prog, type): before load (e.g. 48, BPF_TRACE_UPROBE_MULTI, for a
// SEC("uprobe") program to be attached through multi-uprobe links).
Napi::Value BpfObject::SetExpectedAttachType(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(env, false, "setExpectedAttachType");
  bpf_program* prog = Program(info, 0);
  if (info.Length() < 2 || !info[1].IsNumber()) throw Napi::TypeError::New(env, "setExpectedAttachType(prog: string, type: integer)");
  int err = bpf_program__set_expected_attach_type(prog, static_cast<enum bpf_attach_type>(info[1].As<Napi::Number>().Int32Value()));
  if (err) ThrowErrno(env, -err, "open", "cannot set the expected attach type");
  return env.Undefined();
}

// The kernel's uprobe_multi link attributes (include/uapi/linux/bpf.h since 6.6; Debian 12's
// headers are 6.1's): link_create's common part, then the union member.
namespace {
constexpr int kTraceUprobeMulti = 48;  // BPF_TRACE_UPROBE_MULTI
constexpr uint32_t kUprobeMultiReturn = 1;  // BPF_F_UPROBE_MULTI_RETURN
struct LinkCreateUprobeMulti {
  uint32_t prog_fd, target_fd, attach_type, flags;
  uint64_t path, offsets, ref_ctr_offsets, cookies;
  uint32_t cnt, um_flags, pid;
  uint8_t pad[84];  // up to the size of union bpf_attr the kernel expects zeroed
};
}  // namespace

// attachUprobeMulti(prog, key, path, offsets, cookies, retprobe, pid): one link for many
// functions of one file, each with its cookie (its slot). The program must be loaded with
// expected attach type BPF_TRACE_UPROBE_MULTI. All or nothing: the kernel attaches every offset
// or none.
Napi::Value BpfObject::AttachUprobeMulti(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(env, true, "attachUprobeMulti");
  bpf_program* prog = Program(info, 0);
  if (info.Length() < 7 || !info[1].IsString() || !info[2].IsString() || !info[3].IsArray() || !info[4].IsArray() ||
      !info[5].IsBoolean() || !info[6].IsNumber())
    throw Napi::TypeError::New(env, "attachUprobeMulti(prog, key, path, offsets, cookies, retprobe, pid)");
  std::string key = info[1].As<Napi::String>().Utf8Value();
  std::string path = info[2].As<Napi::String>().Utf8Value();
  Napi::Array offs = info[3].As<Napi::Array>(), cks = info[4].As<Napi::Array>();
  if (offs.Length() == 0 || offs.Length() != cks.Length() || offs.Length() > 4096)
    throw Napi::RangeError::New(env, "attachUprobeMulti: 1..4096 offsets, one cookie each");
  if (multi_fds_.count(key)) throw Napi::Error::New(env, "attachUprobeMulti: key in use");
  std::vector<uint64_t> offsets(offs.Length()), cookies(cks.Length());
  for (uint32_t i = 0; i < offs.Length(); i++) {
    bool has;
    if (!CookieArg(offs.Get(i), has, offsets[i]) || !CookieArg(cks.Get(i), has, cookies[i]))
      throw Napi::TypeError::New(env, "attachUprobeMulti: offsets and cookies are whole numbers");
  }
  LinkCreateUprobeMulti a;
  memset(&a, 0, sizeof a);
  a.prog_fd = static_cast<uint32_t>(bpf_program__fd(prog));
  a.attach_type = kTraceUprobeMulti;
  a.path = reinterpret_cast<uintptr_t>(path.c_str());
  a.offsets = reinterpret_cast<uintptr_t>(offsets.data());
  a.cookies = reinterpret_cast<uintptr_t>(cookies.data());
  a.cnt = static_cast<uint32_t>(offsets.size());
  a.um_flags = info[5].As<Napi::Boolean>().Value() ? kUprobeMultiReturn : 0;
  int pid = info[6].As<Napi::Number>().Int32Value();
  a.pid = pid > 0 ? static_cast<uint32_t>(pid) : 0;
  LogReset();
  int fd = static_cast<int>(syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof a));
  if (fd < 0) {
    int err = errno;
    ThrowErrno(env, err, "attach", "cannot attach " + std::string(bpf_program__name(prog)) + " to " + std::to_string(a.cnt) + " functions of " + path);
  }
  // (the kernel makes link fds close-on-exec)
  multi_fds_[key] = fd;
  return env.Undefined();
}

// detachMulti(key): close that multi-uprobe link (absent: nothing).
Napi::Value BpfObject::DetachMulti(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "detachMulti(key: string)");
  auto it = multi_fds_.find(info[0].As<Napi::String>().Utf8Value());
  if (it != multi_fds_.end()) {
    close(it->second);
    multi_fds_.erase(it);
  }
  return env.Undefined();
}

static std::string PerfEventKey(const std::string& prog, int cpu) { return prog + "@cpu#" + std::to_string(cpu); }

// attachPerfEvent(prog, cpu, hz): a CPU-clock sampling event at hz samples a second on that CPU
// (every task), with prog attached; the link owns the event (destroying it closes the fd).
Napi::Value BpfObject::AttachPerfEvent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(env, true, "attachPerfEvent");
  bpf_program* prog = Program(info, 0);
  if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "attachPerfEvent(prog: string, cpu: integer, hz: integer)");
  int64_t cpu = info[1].As<Napi::Number>().Int64Value();
  int64_t hz = info[2].As<Napi::Number>().Int64Value();
  if (cpu < 0 || cpu > 65535 || hz < 1 || hz > 1000000)
    throw Napi::RangeError::New(env, "attachPerfEvent: cpu 0..65535, hz 1..1000000");
  std::string name = bpf_program__name(prog);
  std::string key = PerfEventKey(name, static_cast<int>(cpu));
  if (links_.count(key)) return env.Undefined();
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  attr.freq = 1;
  attr.sample_freq = static_cast<uint64_t>(hz);
  int fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, -1, static_cast<int>(cpu), -1, PERF_FLAG_FD_CLOEXEC));
  if (fd < 0) {
    int err = errno;
    ThrowErrno(env, err, "attach", "cannot open a CPU-clock perf event on CPU " + std::to_string(cpu));
  }
  LogReset();
  errno = 0;
  bpf_link* link = bpf_program__attach_perf_event(prog, fd);
  if (!link) {
    int err = errno;
    close(fd);
    ThrowErrno(env, err, "attach", "cannot attach " + name + " to the perf event of CPU " + std::to_string(cpu));
  }
  links_[key] = link;
  return env.Undefined();
}

// detachPerfEvents(prog, cpus): destroy those CPUs' events (the ones that do not exist are skipped).
Napi::Value BpfObject::DetachPerfEvents(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NotBusy(env, "detachPerfEvents");
  if (!obj_) return env.Undefined();
  bpf_program* prog = Program(info, 0);
  if (info.Length() < 2 || !info[1].IsArray()) throw Napi::TypeError::New(env, "detachPerfEvents(prog: string, cpus: integer[])");
  Napi::Array list = info[1].As<Napi::Array>();
  std::string pname = bpf_program__name(prog);
  std::vector<bpf_link*> gone;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value v = list.Get(i);
    if (!v.IsNumber()) throw Napi::TypeError::New(env, "detachPerfEvents: a CPU is an integer");
    auto it = links_.find(PerfEventKey(pname, v.As<Napi::Number>().Int32Value()));
    if (it == links_.end()) continue;
    gone.push_back(it->second);
    links_.erase(it);
  }
  int err = DestroyLinks(gone);
  if (err) ThrowErrno(env, -err, "attach", "cannot detach " + pname + " from a perf event");
  return env.Undefined();
}

// The keys of links_ that belong to the program `name`: its own attachment ("name") and its
// extra tracepoints ("name@category/tracepoint").
static bool OwnLink(const std::string& key, const std::string& name) {
  return key == name || (key.size() > name.size() && key.compare(0, name.size(), name) == 0 &&
                         key[name.size()] == '@');
}

// detach(prog): destroy every link of prog (its own and its extra tracepoints).
Napi::Value BpfObject::Detach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NotBusy(env, "detach");
  if (!obj_) return env.Undefined();
  bpf_program* prog = Program(info, 0);
  std::string name = bpf_program__name(prog);
  std::vector<bpf_link*> mine;
  for (auto it = links_.begin(); it != links_.end();) {
    if (!OwnLink(it->first, name)) {
      ++it;
      continue;
    }
    mine.push_back(it->second);
    it = links_.erase(it);
  }
  int err = -DestroyLinks(mine);
  if (err) ThrowErrno(env, err, "attach", "cannot detach " + name);
  return env.Undefined();
}

// isAttached(prog): true while any link of prog (its own or an extra tracepoint) exists.
Napi::Value BpfObject::IsAttached(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NotBusy(env, "isAttached");
  if (!obj_) return Napi::Boolean::New(env, false);
  bpf_program* prog = Program(info, 0);
  std::string name = bpf_program__name(prog);
  for (auto& [key, link] : links_)
    if (OwnLink(key, name)) return Napi::Boolean::New(env, true);
  return Napi::Boolean::New(env, false);
}

// progInfo(prog): {id, runTimeNs, runCnt, recursionMisses}. run time is only counted while
// kernel.bpf_stats_enabled is 1 or someone holds a BPF_ENABLE_STATS fd (see enableStats()).
Napi::Value BpfObject::ProgInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(env, true, "progInfo");
  bpf_program* prog = Program(info, 0);
  struct bpf_prog_info pi;
  memset(&pi, 0, sizeof pi);
  __u32 len = sizeof pi;
  int err = bpf_obj_get_info_by_fd(bpf_program__fd(prog), &pi, &len);
  if (err) ThrowErrno(env, errno, "read", "cannot read program info");
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", pi.id);
  o.Set("runTimeNs", static_cast<double>(pi.run_time_ns));
  o.Set("runCnt", static_cast<double>(pi.run_cnt));
  o.Set("recursionMisses", static_cast<double>(pi.recursion_misses));
  return o;
}

// close(): idempotent. During a loadAsync() it only marks the object: the load's end closes it.
Napi::Value BpfObject::Close(const Napi::CallbackInfo& info) {
  if (loader_) {
    close_pending_ = true;
    return info.Env().Undefined();
  }
  DestroyAll();
  return info.Env().Undefined();
}

}  // namespace perfscope
