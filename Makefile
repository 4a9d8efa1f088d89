# Build graph for perfscope. `make build` is incremental: nothing is redone when nothing changed.
# Generated files live in build/ (BPF objects, vmlinux.h, the addon) and dist/ (JavaScript: tsc's
# module tree, which the bench and a few tests import, and the bundle dist/perfscope*.js, which
# bin/perfscope.js runs and the npm package ships).

CLANG     ?= $(shell command -v clang-16 || command -v clang)
BPFTOOL   ?= $(shell command -v bpftool || echo /usr/sbin/bpftool)
CXX       ?= g++
NODE      ?= node
ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
B         := build

# The addon is compiled against the headers of the very Node.js that runs it (no ~/.npmrc,
# no download): <prefix of process.execPath>/include/node.
NODE_INC  := $(shell $(NODE) -p "require('path').resolve(process.execPath, '../../include/node')")
NAPI_INC  := $(shell $(NODE) -p "require('node-addon-api').include_dir" 2>/dev/null)

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(B)/bpf/%.bpf.o,$(BPF_SRCS))
NATIVE_SRCS := $(wildcard native/*.cc)
NATIVE_HDRS := $(wildcard native/*.h)
TS_SRCS   := $(shell find src -name '*.ts' -o -name '*.tsx')

.PHONY: build bpf native ts bundle clean
build: bpf native ts bundle

bpf: $(BPF_OBJS)
native: $(B)/perfscope.node
ts: dist/.built
bundle: dist/perfscope.js

$(B)/vmlinux.h: /sys/kernel/btf/vmlinux
	@mkdir -p $(B)
	$(BPFTOOL) btf dump file $< format c > $@.tmp && mv $@.tmp $@

$(B)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(B)/vmlinux.h
	@mkdir -p $(B)/bpf
	$(CLANG) -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) -I$(B) -Ibpf -c $< -o $@

$(B)/perfscope.node: $(NATIVE_SRCS) $(NATIVE_HDRS)
	@test -f "$(NODE_INC)/node_api.h" || { echo "perfscope: Node.js headers not found at $(NODE_INC) (install the nodejs headers for $$($(NODE) --version))" >&2; exit 1; }
	@test -n "$(NAPI_INC)" || { echo "perfscope: node-addon-api missing: run npm ci" >&2; exit 1; }
	@mkdir -p $(B)
	$(CXX) -std=c++17 -O2 -g -Wall -Wextra -Wno-unused-parameter -fPIC -shared -pthread -fvisibility=hidden \
	  -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED \
	  -I$(NODE_INC) -I$(NAPI_INC) -o $@.tmp $(NATIVE_SRCS) -lbpf -lelf -ldw -lz && mv $@.tmp $@

dist/.built: $(TS_SRCS) tsconfig.json package.json
	npx tsc -p tsconfig.json
	@touch $@

# The bundle (scripts/bundle.mjs says what is in which file).
dist/perfscope.js: $(TS_SRCS) scripts/bundle.mjs tsconfig.json package-lock.json
	@mkdir -p dist
	$(NODE) scripts/bundle.mjs

clean:
	rm -rf $(B) dist
