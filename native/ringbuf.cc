#include "ringbuf.h"

#include <bpf/libbpf.h>
#include <cerrno>
#include <cstring>
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

}  // namespace perfscope
