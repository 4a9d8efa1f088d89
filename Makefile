# Build graph for perfscope. `make build` is incremental: nothing is redone when nothing changed.
# Generated files live in build/ (BPF objects, vmlinux.h, the addon) and dist/ (JavaScript: tsc's
# module tree, which a few tests import; the bench's, build/tsc-bench/, which npm run bench runs, and the bundle dist/perfscope*.js, which
# bin/perfscope.js runs and the npm package ships).

CLANG     ?= $(shell command -v clang-16 || command -v clang)
BPFTOOL   ?= $(shell command -v bpftool || echo /usr/sbin/bpftool)
LLVM_STRIP ?= $(shell command -v llvm-strip-16 || command -v llvm-strip)
CXX       ?= g++
NODE      ?= node
ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
B         := build

# The addon is compiled against the headers of the very Node.js that runs it (no ~/.npmrc,
# no download): <prefix of process.execPath>/include/node.
NODE_INC  := $(shell $(NODE) -p "require('path').resolve(process.execPath, '../../include/node')")
NAPI_INC  := $(shell $(NODE) -p "require('node-addon-api').include_dir" 2>/dev/null)
# libbpf is linked statically, so that the addon runs on a host without libbpf1: Debian's archive
# (libbpf-dev), with its one reference that is not position-independent renamed
# (native/libbpf-static.cc says why). libelf, libdw and zlib stay shared libraries.
LIBBPF_A  := $(shell pkg-config --variable=libdir libbpf 2>/dev/null || echo /usr/lib/$$(gcc -print-multiarch))/libbpf.a

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(B)/bpf/%.bpf.o,$(BPF_SRCS))
NATIVE_SRCS := $(wildcard native/*.cc)
NATIVE_HDRS := $(wildcard native/*.h) native/parser/proto.h
# The parser process (native/parser/): the parsing of other processes' files, as a library
# (parse.cc) that the executable and the fuzz harness both link.
PARSER_LIB := native/parser/parse.cc native/parser/parse.h native/parser/proto.h
TS_SRCS   := $(shell find src -name '*.ts' -o -name '*.tsx')
BENCH_SRCS := $(shell find bench -name '*.ts')

.PHONY: build bpf native parser fuzz ts bundle clean
build: bpf native parser ts bundle

bpf: $(BPF_OBJS)
native: $(B)/perfscope.node
parser: $(B)/perfscope-parser
fuzz: $(B)/fuzz-parser
ts: dist/.built $(B)/tsc-bench/.built
bundle: dist/perfscope.js

$(B)/vmlinux.h: /sys/kernel/btf/vmlinux
	@mkdir -p $(B)
	$(BPFTOOL) btf dump file $< format c > $@.tmp && mv $@.tmp $@

# -g is for the BTF (CO-RE relocations, the maps' and programs' types, line info); libbpf reads
# no DWARF, which is ~90 % of an object (vmlinux.h's types): it is stripped.
# libbpf's usdt.bpf.h includes <linux/errno.h>, which wants the host's <asm/errno.h>.
BPF_ASM_INC := -idirafter /usr/include/$(shell gcc -print-multiarch 2>/dev/null)
$(B)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(B)/vmlinux.h Makefile
	@mkdir -p $(B)/bpf
	$(CLANG) -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) -I$(B) -Ibpf $(BPF_ASM_INC) -c $< -o $@.tmp
	$(LLVM_STRIP) -g $@.tmp && mv $@.tmp $@

$(B)/libbpf.a: $(LIBBPF_A)
	@mkdir -p $(B)
	objcopy --redefine-sym stderr=perfscope_libbpf_stderr $< $@.tmp && mv $@.tmp $@

# The addon's DWARF (nine tenths of the file) goes beside it, in perfscope.node.debug, where gdb
# and the symbolizer find it through the debug link; the package ships the addon without it.
$(B)/perfscope.node: $(NATIVE_SRCS) $(NATIVE_HDRS) $(B)/libbpf.a Makefile
	@test -f "$(NODE_INC)/node_api.h" || { echo "perfscope: Node.js headers not found at $(NODE_INC) (install the nodejs headers for $$($(NODE) --version))" >&2; exit 1; }
	@test -n "$(NAPI_INC)" || { echo "perfscope: node-addon-api missing: run npm ci" >&2; exit 1; }
	@mkdir -p $(B)
	$(CXX) -std=c++17 -O2 -g -Wall -Wextra -Wno-unused-parameter -fPIC -shared -pthread -fvisibility=hidden \
	  -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED \
	  -I$(NODE_INC) -I$(NAPI_INC) -o $@.tmp $(NATIVE_SRCS) $(B)/libbpf.a -Wl,--exclude-libs,ALL -lelf -ldw -lz
	objcopy --only-keep-debug $@.tmp $(B)/perfscope.node.debug
	objcopy --strip-debug --add-gnu-debuglink=$(B)/perfscope.node.debug $@.tmp && mv $@.tmp $@

# The symbolizer's parser process (native/parser/main.cc says what it is and how it is confined).
$(B)/perfscope-parser: native/parser/main.cc $(PARSER_LIB) Makefile
	@mkdir -p $(B)
	$(CXX) -std=c++17 -O2 -g -Wall -Wextra -Wno-unused-parameter -fPIE -pie -Wl,-z,relro,-z,now \
	  -o $@.tmp native/parser/main.cc native/parser/parse.cc -lseccomp -ldw -lelf -lz
	objcopy --only-keep-debug $@.tmp $(B)/perfscope-parser.debug
	objcopy --strip-debug --add-gnu-debuglink=$(B)/perfscope-parser.debug $@.tmp && mv $@.tmp $@

# The coverage-guided fuzz harness (libFuzzer + AddressSanitizer) over the same parsing code:
# a development tool (scripts/fuzz-native.sh, test/native/fuzz.test.ts), not shipped.
FUZZ_CXX ?= $(shell command -v clang++-16 || command -v clang++)
$(B)/fuzz-parser: native/parser/fuzz.cc $(PARSER_LIB) Makefile
	@mkdir -p $(B)
	$(FUZZ_CXX) -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  -o $@.tmp native/parser/fuzz.cc native/parser/parse.cc -ldw -lelf -lz
	mv $@.tmp $@

dist/.built: $(TS_SRCS) tsconfig.json package.json
	npx tsc -p tsconfig.json
	@touch $@

# The bench and the soak (development tools, outside src/) with the modules of src/ they import.
$(B)/tsc-bench/.built: $(BENCH_SRCS) $(TS_SRCS) tsconfig.json tsconfig.bench.json package.json
	npx tsc -p tsconfig.bench.json
	@touch $@

# The bundle (scripts/bundle.mjs says what is in which file).
dist/perfscope.js: $(TS_SRCS) scripts/bundle.mjs tsconfig.json package-lock.json
	@mkdir -p dist
	$(NODE) scripts/bundle.mjs

clean:
	rm -rf $(B) dist
