// RingBuffer: a BPF ring buffer consumed on the Node.js event loop. libuv polls the ring
// buffer's epoll fd (no thread of our own); each wake-up drains what is there and hands JS
// one batch: a Buffer of records, each as [u32 length][u32 pad][bytes, padded to 8].
// A wake-up hands over at most kMaxBatch records: under a storm that outruns the consumer the
// event loop still gets to run timers and rendering between batches (the ring buffer's fd
// stays readable, so libuv calls again on its next turn).
#pragma once
#include <napi.h>
#include <uv.h>

#include <memory>
#include <vector>

struct ring_buffer;

namespace perfscope {

class RingBuffer : public Napi::ObjectWrap<RingBuffer> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit RingBuffer(const Napi::CallbackInfo& info);
  ~RingBuffer() override;

 private:
  Napi::Value Consume(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  static int OnRecord(void* ctx, void* data, size_t size);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static constexpr uint32_t kMaxBatch = 16384;
  // Copies up to max_batch_ records into batch_; true when it stopped at the limit (more left).
  bool Drain();
  void Deliver();
  void Shutdown();

  Napi::Env env_;
  ring_buffer* rb_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> async_;
  std::vector<uint8_t> batch_;
  uint32_t count_ = 0;
  uint32_t max_batch_ = kMaxBatch;
};

}  // namespace perfscope
