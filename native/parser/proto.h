// The wire between perfscope (the addon's symbolizer worker) and its parser process
// (native/parser/main.cc): length-prefixed frames on a unix stream socketpair, descriptors
// (SCM_RIGHTS) riding on a request's header. Both ends check every length against the bytes
// they hold: the parser because its input comes from other processes' files, perfscope because
// the parser is the part that may have been subverted by them.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace perfscope {
namespace proto {

enum Type : uint32_t {
  kElf = 1,      // fds [file]: segments, symbols (.symtab else .dynsym), build-id, debuglink
  kDebug = 2,    // fds [main, candidate...]: the first candidate that is its debug file, its symbols
  kDwarf = 3,    // fds [file with the DWARF]: frames (outermost first) of one address
  kPerfMap = 4,  // fds [perf map]: its entries
  kCfi = 5,      // fds [file]: its call-frame information as unwinding rows (parse.h CfiRow)
  kOk = 100,
  kFail = 101,
};

constexpr uint32_t kMaxFds = 9;                     // per message: a file and at most 8 candidates
constexpr uint64_t kMaxRequest = 1 << 16;           // request payloads are small
constexpr uint64_t kMaxResponse = uint64_t(512) << 20;

struct Hdr {
  uint32_t type;
  uint32_t nfds;
  uint64_t len;
};

class Writer {
 public:
  std::string buf;
  void U8(uint8_t v) { buf.push_back(char(v)); }
  void U32(uint32_t v) { buf.append(reinterpret_cast<const char*>(&v), 4); }
  void U64(uint64_t v) { buf.append(reinterpret_cast<const char*>(&v), 8); }
  void Bytes(std::string_view s) {
    U64(s.size());
    buf.append(s.data(), s.size());
  }
};

class Reader {
 public:
  Reader(const char* p, size_t n) : p_(p), n_(n) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && at_ == n_; }
  size_t left() const { return n_ - at_; }
  uint8_t U8() {
    uint8_t v = 0;
    Get(&v, 1);
    return v;
  }
  uint32_t U32() {
    uint32_t v = 0;
    Get(&v, 4);
    return v;
  }
  uint64_t U64() {
    uint64_t v = 0;
    Get(&v, 8);
    return v;
  }
  // A byte string of at most max bytes.
  std::string_view Bytes(size_t max) {
    uint64_t len = U64();
    if (!ok_ || len > max || len > n_ - at_) {
      ok_ = false;
      return {};
    }
    std::string_view s(p_ + at_, size_t(len));
    at_ += size_t(len);
    return s;
  }

 private:
  void Get(void* v, size_t k) {
    if (!ok_ || k > n_ - at_) {
      ok_ = false;
      return;
    }
    memcpy(v, p_ + at_, k);
    at_ += k;
  }
  const char* p_;
  size_t n_;
  size_t at_ = 0;
  bool ok_ = true;
};

}  // namespace proto
}  // namespace perfscope
