#include "ringbuf.h"

#include <bpf/libbpf.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

#include "errors.h"

namespace perfscope {

Napi::Function RingBuffer::Init(Napi::Env env) {
  return DefineClass(env, "RingBuffer",
                     {
                         InstanceMethod<&RingBuffer::Consume>("consume"),
                         InstanceMethod<&RingBuffer::Close>("close"),
                     });
}

// new RingBuffer(mapFd, callback(batch: Buffer, count: number), maxBatch?: number)
RingBuffer::RingBuffer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RingBuffer>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction())
    throw Napi::TypeError::New(env, "RingBuffer(mapFd: number, callback: (batch, count) => void, maxBatch?: number)");
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (info.Length() > 2 && !info[2].IsUndefined()) {
    int64_t m = info[2].IsNumber() ? info[2].As<Napi::Number>().Int64Value() : 0;
    if (m < 1 || m > kMaxBatch) throw Napi::RangeError::New(env, "RingBuffer: maxBatch must be 1.." + std::to_string(kMaxBatch));
    max_batch_ = static_cast<uint32_t>(m);
  }
  LogReset();
  errno = 0;
  rb_ = ring_buffer__new(fd, &RingBuffer::OnRecord, this, nullptr);
  if (!rb_) ThrowErrno(env, errno, "attach", "cannot open ring buffer");
  callback_ = Napi::Persistent(info[1].As<Napi::Function>());
  async_ = std::make_unique<Napi::AsyncContext>(env, "perfscope:ringbuf");
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) {
    Shutdown();
    throw Napi::Error::New(env, "no libuv loop");
  }
  poll_ = new uv_poll_t;
  int err = uv_poll_init(loop, poll_, ring_buffer__epoll_fd(rb_));
  if (err == 0) {
    poll_->data = this;
    err = uv_poll_start(poll_, UV_READABLE, &RingBuffer::OnPoll);
  }
  if (err) {
    Shutdown();
    ThrowErrno(env, -err, "attach", "cannot poll ring buffer");
  }
}

RingBuffer::~RingBuffer() { Shutdown(); }

void RingBuffer::Shutdown() {
  if (poll_) {
    // uv_close stops polling now; the handle's memory is freed when libuv is done with it.
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }
  if (rb_) ring_buffer__free(rb_);
  rb_ = nullptr;
}

int RingBuffer::OnRecord(void* ctx, void* data, size_t size) {
  auto* self = static_cast<RingBuffer*>(ctx);
  uint32_t hdr[2] = {static_cast<uint32_t>(size), 0};
  size_t padded = (size + 7) & ~static_cast<size_t>(7);
  size_t at = self->batch_.size();
  self->batch_.resize(at + sizeof hdr + padded);
  memcpy(self->batch_.data() + at, hdr, sizeof hdr);
  memcpy(self->batch_.data() + at + sizeof hdr, data, size);
  self->count_++;
  // libbpf has already advanced the consumer position past this record: stopping here loses
  // nothing, the next call resumes at the following record.
  return self->count_ >= self->max_batch_ ? -EAGAIN : 0;
}

bool RingBuffer::Drain() {
  if (!rb_) return false;
  return ring_buffer__consume(rb_) == -EAGAIN;
}

void RingBuffer::Deliver() {
  if (count_ == 0) return;
  Napi::HandleScope scope(env_);
  auto buf = Napi::Buffer<uint8_t>::Copy(env_, batch_.data(), batch_.size());
  uint32_t count = count_;
  batch_.clear();
  count_ = 0;
  try {
    callback_.MakeCallback(env_.Global(), {buf, Napi::Number::New(env_, count)}, *async_);
  } catch (const Napi::Error& e) {
    // No JS frame to unwind to from a libuv callback: report it as uncaught.
    napi_fatal_exception(env_, e.Value());
  }
}

void RingBuffer::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<RingBuffer*>(handle->data);
  if (!self || !self->rb_) return;
  self->Drain();
  self->Deliver();
}

// consume(): drain now (synchronously), batch by batch, through the callback; returns the
// records delivered. Bounded (64 batches) so that a storm cannot hold the caller forever; what
// is left is delivered by the next wake-up.
Napi::Value RingBuffer::Consume(const Napi::CallbackInfo& info) {
  double n = 0;
  for (int i = 0; i < 64 && rb_; i++) {
    bool more = Drain();
    n += count_;
    Deliver();
    if (!more) break;
  }
  return Napi::Number::New(info.Env(), n);
}

Napi::Value RingBuffer::Close(const Napi::CallbackInfo& info) {
  Shutdown();
  callback_.Reset();
  return info.Env().Undefined();
}

// ---- FeedReader ----

void RecordQueue::Push(const void* data, size_t size) {
  seen++;
  uint32_t hdr[2] = {static_cast<uint32_t>(size), 0};
  size_t padded = (size + 7) & ~static_cast<size_t>(7);
  size_t need = sizeof hdr + padded;
  size_t at = bytes.size();
  if (!newest && (starts.size() >= cap || at + need > max_bytes)) {
    overflow++;
    return;
  }
  if (cap == 0) return;
  // Grow by doubling, but never past what the queue may hold (a storm's queue is not rounded up
  // to the next power of two).
  if (at + need > bytes.capacity()) {
    size_t limit = newest ? 2 * max_bytes + need : max_bytes;
    bytes.reserve(std::max(at + need, std::min(std::max<size_t>(2 * bytes.capacity(), 4096), limit)));
  }
  starts.push_back(static_cast<uint32_t>(at));
  bytes.resize(at + need);
  memcpy(bytes.data() + at, hdr, sizeof hdr);
  memcpy(bytes.data() + at + sizeof hdr, data, size);
  if (newest && (starts.size() >= 2 * static_cast<size_t>(cap) || bytes.size() > 2 * max_bytes)) Compact();
}

// Newest mode: keep only the newest `cap` records, and of those the newest that fit in max_bytes.
void RecordQueue::Compact() {
  size_t drop = starts.size() > cap ? starts.size() - cap : 0;
  while (drop + 1 < starts.size() && bytes.size() - starts[drop] > max_bytes) drop++;
  if (drop == 0) return;
  uint32_t first = drop < starts.size() ? starts[drop] : static_cast<uint32_t>(bytes.size());
  bytes.erase(bytes.begin(), bytes.begin() + first);
  starts.erase(starts.begin(), starts.begin() + drop);
  for (auto& o : starts) o -= first;
}

void RecordQueue::Clear() {
  // After a storm, give the memory back rather than keep the storm's high-water mark.
  if (bytes.capacity() > (1u << 20)) std::vector<uint8_t>().swap(bytes);
  else bytes.clear();
  if (starts.capacity() > (1u << 16)) std::vector<uint32_t>().swap(starts);
  else starts.clear();
  seen = overflow = 0;
}

Napi::Function FeedReader::Init(Napi::Env env) {
  return DefineClass(env, "FeedReader",
                     {
                         InstanceMethod<&FeedReader::Take>("take"),
                         InstanceMethod<&FeedReader::SetInterval>("setInterval"),
                         InstanceMethod<&FeedReader::Stats>("stats"),
                         InstanceMethod<&FeedReader::Close>("close"),
                     });
}

static uint32_t OptU32(Napi::Object o, const char* key, uint32_t dflt) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return dflt;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("FeedReader: ") + key + " must be a number");
  int64_t n = v.As<Napi::Number>().Int64Value();
  if (n < 0 || n > UINT32_MAX) throw Napi::RangeError::New(o.Env(), std::string("FeedReader: ") + key + " out of range");
  return static_cast<uint32_t>(n);
}

// new FeedReader(mapFd, { intervalMax, intervalNewest, recentMax, commOffset, commLen, comm })
FeedReader::FeedReader(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FeedReader>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsObject())
    throw Napi::TypeError::New(env, "FeedReader(mapFd: number, options: object)");
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Object o = info[1].As<Napi::Object>();
  interval_.cap = OptU32(o, "intervalMax", 50000);
  interval_.newest = o.Get("intervalNewest").ToBoolean();
  interval_.max_bytes = OptU32(o, "intervalMaxBytes", 32u << 20);
  recent_.cap = OptU32(o, "recentMax", 500);
  recent_.newest = true;
  comm_off_ = OptU32(o, "commOffset", 0);
  comm_len_ = OptU32(o, "commLen", 0);
  if (o.Get("comm").IsString()) comm_ = o.Get("comm").As<Napi::String>().Utf8Value();
  LogReset();
  errno = 0;
  rb_ = ring_buffer__new(fd, &FeedReader::OnRecord, this, nullptr);
  if (!rb_) ThrowErrno(env, errno, "attach", "cannot open ring buffer");
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  stopfd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.u32 = 0;
  int err = epfd_ < 0 || stopfd_ < 0 ? errno : 0;
  if (!err && epoll_ctl(epfd_, EPOLL_CTL_ADD, ring_buffer__epoll_fd(rb_), &ev) < 0) err = errno;
  ev.data.u32 = 1;
  if (!err && epoll_ctl(epfd_, EPOLL_CTL_ADD, stopfd_, &ev) < 0) err = errno;
  if (err) {
    Shutdown();
    ThrowErrno(env, err, "attach", "cannot poll ring buffer");
  }
  thread_ = std::thread([this] { Run(); });
  // Real-time priority (lowest FIFO level) when allowed: the thread then runs as soon as the
  // kernel wakes it, whatever else is runnable, so the ring buffer only has to hold what a
  // storm makes between two of its turns. It does little per turn (a memcpy per record).
  struct sched_param sp = {};
  sp.sched_priority = 1;
  realtime_ = pthread_setschedparam(thread_.native_handle(), SCHED_FIFO, &sp) == 0;
}

FeedReader::~FeedReader() { Shutdown(); }

void FeedReader::Run() {
  struct epoll_event evs[2];
  for (;;) {
    int n = epoll_wait(epfd_, evs, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < n; i++)
      if (evs[i].data.u32 == 1) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ring_buffer__consume(rb_);
    }
    // The ring buffer's fd stays readable while records wait: in a storm, take them in batches
    // every 2 ms rather than a few at a time in a busy loop.
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
}

void FeedReader::Shutdown() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    if (write(stopfd_, &one, sizeof one) < 0) { /* cannot happen for an eventfd below its max */ }
    thread_.join();
  }
  if (epfd_ >= 0) close(epfd_);
  if (stopfd_ >= 0) close(stopfd_);
  epfd_ = stopfd_ = -1;
  if (rb_) ring_buffer__free(rb_);
  rb_ = nullptr;
}

int FeedReader::OnRecord(void* ctx, void* data, size_t size) {
  auto* self = static_cast<FeedReader*>(ctx);
  if (!self->comm_.empty()) {
    bool match = false;
    if (size >= static_cast<size_t>(self->comm_off_) + self->comm_len_) {
      const char* c = static_cast<const char*>(data) + self->comm_off_;
      size_t n = strnlen(c, self->comm_len_);
      match = memmem(c, n, self->comm_.data(), self->comm_.size()) != nullptr;
    }
    if (!match) {
      self->filtered_++;
      return 0;
    }
  }
  self->received_++;
  self->interval_.Push(data, size);
  self->recent_.Push(data, size);
  return 0;
}

// take(which: 0 interval | 1 recent): [records: Buffer, count, seen, overflow], and clears it.
// Consumes what the kernel has queued first (a quiet feed's reader is not woken for it).
Napi::Value FeedReader::Take(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool recent = info.Length() > 0 && info[0].ToNumber().Int32Value() == 1;
  std::vector<uint8_t> bytes;
  size_t count = 0;
  uint64_t seen = 0, overflow = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (rb_) ring_buffer__consume(rb_);
    RecordQueue& q = recent ? recent_ : interval_;
    if (q.newest) q.Compact();
    count = q.starts.size();
    seen = q.seen;
    overflow = q.overflow;
    bytes.swap(q.bytes);  // the queue starts again empty (and small)
    q.Clear();
  }
  Napi::Array out = Napi::Array::New(env, 4);
  // The queue's bytes become the Buffer as they are, not a copy (a storm's queue is up to
  // intervalMaxBytes, and the thread fills the next one meanwhile); V8 is told of their size, so
  // that it collects the Buffer as soon as it is dropped.
  if (bytes.empty()) {
    out.Set(0u, Napi::Buffer<uint8_t>::New(env, 0));
  } else {
    auto* keep = new std::vector<uint8_t>(std::move(bytes));
    int64_t size = static_cast<int64_t>(keep->size());
    Napi::MemoryManagement::AdjustExternalMemory(env, size);
    out.Set(0u, Napi::Buffer<uint8_t>::New(
                    env, keep->data(), keep->size(),
                    [size](Napi::Env e, uint8_t*, std::vector<uint8_t>* v) {
                      delete v;
                      Napi::MemoryManagement::AdjustExternalMemory(e, -size);
                    },
                    keep));
  }
  out.Set(1u, Napi::Number::New(env, static_cast<double>(count)));
  out.Set(2u, Napi::Number::New(env, static_cast<double>(seen)));
  out.Set(3u, Napi::Number::New(env, static_cast<double>(overflow)));
  return out;
}

// setInterval(max, newest): the interval queue's cap and mode from now on.
Napi::Value FeedReader::SetInterval(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "setInterval(max: number, newest: boolean)");
  int64_t m = info[0].As<Napi::Number>().Int64Value();
  if (m < 0 || m > UINT32_MAX) throw Napi::RangeError::New(env, "setInterval: max out of range");
  std::lock_guard<std::mutex> lock(mu_);
  interval_.cap = static_cast<uint32_t>(m);
  interval_.newest = info[1].ToBoolean();
  return env.Undefined();
}

// stats(): { received, filtered, realtime } since start.
Napi::Value FeedReader::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  std::lock_guard<std::mutex> lock(mu_);
  o.Set("received", Napi::Number::New(env, static_cast<double>(received_)));
  o.Set("filtered", Napi::Number::New(env, static_cast<double>(filtered_)));
  o.Set("realtime", Napi::Boolean::New(env, realtime_));
  return o;
}

Napi::Value FeedReader::Close(const Napi::CallbackInfo& info) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (rb_) ring_buffer__consume(rb_);
  }
  Shutdown();
  return info.Env().Undefined();
}

}  // namespace perfscope
