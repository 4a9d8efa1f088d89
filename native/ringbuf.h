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

// FeedReader: the event feeds' reader (src/probes/feed.ts). A thread of its own consumes the
// ring buffer as soon as the kernel wakes it (so a storm is drained at memcpy speed whatever
// the JS main thread is doing: rendering, writing --json, collecting garbage) into two bounded
// queues of raw records, which JS takes and decodes when it needs them:
//   - interval: the first `intervalMax` records since the previous take (the rest counted as
//     overflow), or, in newest mode, only the newest `intervalMax` (the rest merely counted:
//     a reader that needs the interval's count and newest event, not every event);
//   - recent: the newest `recentMax` records since the previous take (older ones skipped).
// Each queue is bounded in bytes as well as in records (`intervalMaxBytes`, default 32 MiB; the
// recent queue 32 MiB too): in first mode a record that does not fit is counted as overflow, in
// newest mode the oldest are dropped (the queue holds at most twice its bytes between compactions).
// An optional comm filter (a substring of the NUL-terminated comm at a fixed offset) is applied
// before both. Every record is counted once: received (passed the filter) or filtered.
#include <atomic>
#include <mutex>
#include <thread>

namespace perfscope {

struct RecordQueue {
  std::vector<uint8_t> bytes;    // records as [u32 len][u32 pad][bytes, padded to 8]
  std::vector<uint32_t> starts;  // offset of each record in bytes
  uint64_t seen = 0;             // records pushed since the previous take
  uint64_t overflow = 0;         // first mode: records beyond cap since the previous take
  uint32_t cap = 0;
  size_t max_bytes = 32u << 20;  // bytes of records kept (first mode), or kept after a compaction (newest)
  bool newest = false;
  void Push(const void* data, size_t size);
  void Compact();
  void Clear();
};

class FeedReader : public Napi::ObjectWrap<FeedReader> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit FeedReader(const Napi::CallbackInfo& info);
  ~FeedReader() override;

 private:
  Napi::Value Take(const Napi::CallbackInfo& info);
  Napi::Value SetInterval(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  static int OnRecord(void* ctx, void* data, size_t size);
  void Run();
  void Shutdown();

  ring_buffer* rb_ = nullptr;
  int epfd_ = -1;
  int stopfd_ = -1;
  std::thread thread_;
  std::mutex mu_;
  RecordQueue interval_;
  RecordQueue recent_;
  uint64_t received_ = 0;
  uint64_t filtered_ = 0;
  uint32_t comm_off_ = 0;
  uint32_t comm_len_ = 0;
  std::string comm_;
  bool realtime_ = false;
};

}  // namespace perfscope
