// libFuzzer harness (clang -fsanitize=fuzzer,address,undefined) over the parser process's
// entry points: a file's ELF tables, its DWARF asked for the addresses of its own symbols, and
// a perf map's text; the input is all three at once. Built by `make fuzz` (build/fuzz-parser),
// run by scripts/fuzz-native.sh and test/native/fuzz.test.ts from the seeds in
// test/native/fuzz-seeds/.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "parse.h"

using namespace perfscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // libelf may write to the image it is given (elf_memory): a copy of its own.
  std::vector<char> img(data, data + size);
  parse::ElfInfo info;
  if (parse::ParseElf(-1, img.data(), img.size(), &info)) {
    std::vector<uint64_t> addrs;
    for (size_t i = 0; i < info.table.syms.size() && i < 8; i++) addrs.push_back(info.table.syms[i].addr + 1);
    for (const parse::Segment& s : info.segs) addrs.push_back(s.vaddr);
    std::vector<char> img2(data, data + size);
    parse::DwarfFile dw;
    if (dw.Open(-1, img2.data(), img2.size()))
      for (uint64_t a : addrs) {
        std::vector<parse::DwFrame> frames;
        dw.Frames(a, &frames);
      }
  }
  {
    // Call-frame information: a crafted .eh_frame / .eh_frame_hdr, or .debug_frame (read when
    // there is no usable .eh_frame, and beside it: seed cfi-debug-frame.so), must neither crash nor hang.
    std::vector<char> img3(data, data + size);
    parse::CfiTable cfi;
    parse::BuildCfi(-1, img3.data(), img3.size(), &cfi);
    for (size_t i = 1; i < cfi.rows.size(); i++)
      if (cfi.rows[i - 1].pc >= cfi.rows[i].pc) __builtin_trap();  // the addon relies on the order
  }
  parse::PerfMapTable pm;
  parse::ParsePerfMap(std::string_view(reinterpret_cast<const char*>(data), size), 1 << 12, 1 << 16, &pm);
  return 0;
}
