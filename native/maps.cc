// Map operations by file descriptor: generic over every map type, including inner maps of
// map-in-map and per-CPU maps (whose values are numPossibleCpus() slots of round_up(size, 8)).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "errors.h"
#include "maps.h"

namespace perfscope {
namespace {

int FdArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "map fd expected");
  return info[i].As<Napi::Number>().Int32Value();
}

uint32_t U32Arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + " expected");
  return info[i].As<Napi::Number>().Uint32Value();
}

Napi::Buffer<uint8_t> BufArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsBuffer()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a Buffer");
  return info[i].As<Napi::Buffer<uint8_t>>();
}

// mapLookup(fd, key, valueSize) -> Buffer | null
Napi::Value Lookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  auto key = BufArg(info, 1, "key");
  uint32_t vsize = U32Arg(info, 2, "value size");
  auto out = Napi::Buffer<uint8_t>::New(env, vsize);
  if (bpf_map_lookup_elem(fd, key.Data(), out.Data())) {
    if (errno == ENOENT) return env.Null();
    ThrowErrno(env, errno, "read", "map lookup");
  }
  return out;
}

// mapUpdate(fd, key, value, flags = BPF_ANY)
Napi::Value Update(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  auto key = BufArg(info, 1, "key");
  auto value = BufArg(info, 2, "value");
  uint64_t flags = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().Int64Value() : static_cast<uint64_t>(BPF_ANY);
  if (bpf_map_update_elem(fd, key.Data(), value.Data(), flags)) ThrowErrno(env, errno, "write", "map update");
  return env.Undefined();
}

// mapDelete(fd, key) -> boolean (false when absent)
Napi::Value Delete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  auto key = BufArg(info, 1, "key");
  if (bpf_map_delete_elem(fd, key.Data())) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    ThrowErrno(env, errno, "write", "map delete");
  }
  return Napi::Boolean::New(env, true);
}

// mapKeys(fd, keySize) -> Buffer with all keys back to back (iteration by get_next_key)
Napi::Value Keys(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  uint32_t ksize = U32Arg(info, 1, "key size");
  std::vector<uint8_t> keys;
  std::vector<uint8_t> cur(ksize), next(ksize);
  const void* prev = nullptr;
  for (;;) {
    if (bpf_map_get_next_key(fd, prev, next.data())) {
      if (errno == ENOENT) break;
      ThrowErrno(env, errno, "read", "map iteration");
    }
    keys.insert(keys.end(), next.begin(), next.end());
    cur.swap(next);
    prev = cur.data();
  }
  return Napi::Buffer<uint8_t>::Copy(env, keys.data(), keys.size());
}

// mapBatch(fd, keySize, valueSize, maxEntries, del) -> {keys, values, count}
// One lookup(-and-delete) batch pass over the whole map. Throws with code EINVAL/ENOTSUP where
// the map type has no batch support (the facade then falls back to iteration).
Napi::Value Batch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  uint32_t ksize = U32Arg(info, 1, "key size");
  uint32_t vsize = U32Arg(info, 2, "value size");
  uint32_t max = U32Arg(info, 3, "max entries");
  bool del = info.Length() > 4 && info[4].ToBoolean().Value();
  if (max == 0) max = 1;
  // Grown a batch at a time: a map of large keys (whole stacks) sized for thousands of entries
  // usually holds a few hundred, and its full size would be touched for nothing.
  const uint32_t chunk = std::min<uint32_t>(max, 256);
  std::vector<uint8_t> keys, values;
  // Hash maps want an opaque batch token as large as a key (at least 4 bytes).
  std::vector<uint8_t> in(std::max<uint32_t>(ksize, 8)), out(std::max<uint32_t>(ksize, 8));
  bool first = true;
  uint32_t total = 0;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  while (total < max) {
    uint32_t count = std::min(chunk, max - total);
    keys.resize(static_cast<size_t>(total + count) * ksize);
    values.resize(static_cast<size_t>(total + count) * vsize);
    int err = del ? bpf_map_lookup_and_delete_batch(fd, first ? nullptr : in.data(), out.data(),
                                                    keys.data() + static_cast<size_t>(total) * ksize,
                                                    values.data() + static_cast<size_t>(total) * vsize, &count, &opts)
                  : bpf_map_lookup_batch(fd, first ? nullptr : in.data(), out.data(),
                                         keys.data() + static_cast<size_t>(total) * ksize,
                                         values.data() + static_cast<size_t>(total) * vsize, &count, &opts);
    int e = err ? errno : 0;
    total += count;
    if (err && e == ENOENT) break;  // done: the last batch may still have returned entries
    if (err) ThrowErrno(env, e, "read", del ? "map lookup-and-delete batch" : "map lookup batch");
    in.swap(out);
    first = false;
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("keys", Napi::Buffer<uint8_t>::Copy(env, keys.data(), static_cast<size_t>(total) * ksize));
  o.Set("values", Napi::Buffer<uint8_t>::Copy(env, values.data(), static_cast<size_t>(total) * vsize));
  o.Set("count", total);
  return o;
}

// mapInfo(fd) -> {id, type, keySize, valueSize, maxEntries, name}
Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  struct bpf_map_info mi;
  memset(&mi, 0, sizeof mi);
  __u32 len = sizeof mi;
  if (bpf_obj_get_info_by_fd(fd, &mi, &len)) ThrowErrno(env, errno, "read", "map info");
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", mi.id);
  o.Set("type", mi.type);
  o.Set("keySize", mi.key_size);
  o.Set("valueSize", mi.value_size);
  o.Set("maxEntries", mi.max_entries);
  o.Set("name", mi.name);
  return o;
}

}  // namespace

void InitMaps(Napi::Env env, Napi::Object exports) {
  exports.Set("mapLookup", Napi::Function::New<Lookup>(env, "mapLookup"));
  exports.Set("mapUpdate", Napi::Function::New<Update>(env, "mapUpdate"));
  exports.Set("mapDelete", Napi::Function::New<Delete>(env, "mapDelete"));
  exports.Set("mapKeys", Napi::Function::New<Keys>(env, "mapKeys"));
  exports.Set("mapBatch", Napi::Function::New<Batch>(env, "mapBatch"));
  exports.Set("mapInfo", Napi::Function::New<Info>(env, "mapInfo"));
}

}  // namespace perfscope
