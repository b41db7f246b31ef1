# heapscope: one non-recursive Makefile. `make deps` once, then `make`, `make test`, `make bench`.
BUILD := build
# Sanitizer builds (mk/san.mk): their own build dir, the same sources and BPF object recipe.
ifdef SAN
BUILD := build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# Static runtimes: with the shared libubsan.so beside libasan.so, UBSan ignores log_path.
SAN_LDFLAGS := -static-libasan -static-libubsan
endif
ifdef TSAN
BUILD := build-tsan
SAN_FLAGS := -fsanitize=thread
endif
CC := gcc
CLANG := clang
BPFTOOL := bpftool
CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Werror -I. -I$(BUILD) -MMD -MP -D_GNU_SOURCE= -DHEAPSCOPE_VERSION=\"0.1.0\"
LDLIBS := -lbpf -lelf -ldw -lZydis -lsqlite3 -lmicrohttpd -lcurl -ljson-c -lz -lpthread -lstdc++ -liberty -lm
ifdef SAN_FLAGS
CFLAGS += $(SAN_FLAGS)
LDLIBS += $(SAN_FLAGS) $(SAN_LDFLAGS)
endif

DEB_PACKAGES := build-essential clang libclang-rt-14-dev llvm bpftool libbpf-dev libelf-dev libdw-dev libiberty-dev debuginfod \
	libzydis-dev libsqlite3-dev sqlite3 libmicrohttpd-dev libcurl4-openssl-dev libjson-c-dev zlib1g-dev libcmocka-dev \
	pkg-config g++ bpftrace heaptrack procps libc6-dbg util-linux libjemalloc2 libtcmalloc-minimal4 golang-go jq time gdb python3 \
	chromium nodejs wrk curl redis-server redis-tools man-db groff-base valgrind libxml2-utils iproute2

LIB_SRCS := $(filter-out agent/main.c,$(wildcard agent/*.c store/*.c report/*.c server/*.c daemon/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/web_assets.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/heapscope progs

deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEB_PACKAGES)
	# Debian's npm conflicts with an already installed NodeSource nodejs, which bundles npm.
	command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends npm
	$(MAKE) web-deps

# The browser tests' modules (playwright-core), exactly as the committed lockfile pins them.
web-deps:
	cd tests/web && npm ci --ignore-scripts --no-audit --no-fund

$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

# The recipe of every BPF object (this one, bench/'s floor); its first prerequisite is the source.
define BPF_COMPILE
@mkdir -p $(@D)
$(CLANG) -g -O2 -Wall -target bpf -D__TARGET_ARCH_x86 -I. -I$(BUILD) -c $< -o $@
endef

$(BUILD)/heapscope.bpf.o: bpf/heapscope.bpf.c bpf/abi.h bpf/unwind_step.h bpf/sampled.bpf.h $(BUILD)/vmlinux.h
	$(BPF_COMPILE)

$(BUILD)/heapscope.skel.h: $(BUILD)/heapscope.bpf.o
	$(BPFTOOL) gen skeleton $< name heapscope_bpf > $@.tmp && mv $@.tmp $@

# Everything in agent/ may include the skeleton.
$(LIB_OBJS) $(BUILD)/agent/main.o: | $(BUILD)/heapscope.skel.h

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libheapscope.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/heapscope: $(BUILD)/agent/main.o $(BUILD)/libheapscope.a
	$(CC) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libheapscope.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libheapscope.a $(LDLIBS) -lcmocka

include mk/progs.mk
include mk/bench.mk
include mk/fuzz.mk
include mk/san.mk

ifndef SAN_FLAGS
test: all $(UNIT_BINS)
	tests/run.sh
endif

clean:
	rm -rf $(BUILD)

.PHONY: all deps test clean progs bench demo
.PHONY: web-deps
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# The main job on a demo workload: record a program that leaks from three functions, then report
# where its live blocks came from, with the lifetimes, sites and advice.
demo: all
	$(BUILD)/heapscope record -o $(BUILD)/demo.db -- $(BUILD)/progs/leaks3
	$(BUILD)/heapscope report -d $(BUILD)/demo.db
	$(BUILD)/heapscope report -d $(BUILD)/demo.db --format html -o $(BUILD)/demo.html
	@echo "-- open $(BUILD)/demo.html in a browser, or run: $(BUILD)/heapscope serve -d $(BUILD)/demo.db"

# The dashboard: every file under web/ (but npm's node_modules and package*.json, and dotfiles)
# is embedded into the binary by the generated build/web_assets.S (.incbin), served by the server
# and inlined into the HTML report (report/html.c). Each file is a prerequisite, and the list
# file changes when a file is added or removed.
WEB_FILES := $(shell find web -type f ! -path 'web/node_modules/*' ! -name 'package*.json' \
	! -path '*/.*' 2>/dev/null | LC_ALL=C sort)

$(BUILD)/web_assets.list: FORCE
	@mkdir -p $(@D)
	@echo '$(WEB_FILES)' | cmp -s - $@ || echo '$(WEB_FILES)' > $@

$(BUILD)/web_assets.S: server/gen_assets.sh $(BUILD)/web_assets.list $(WEB_FILES)
	server/gen_assets.sh $(WEB_FILES) > $@.tmp && mv $@.tmp $@

$(BUILD)/web_assets.o: $(BUILD)/web_assets.S
	$(CC) -c $< -o $@

FORCE:
.PHONY: FORCE

# `make install` (PREFIX=/usr/local, DESTDIR honoured): the binary, its manual page (gzip'd), its
# bash completion, and the systemd unit with its ExecStart pointing at it. `make uninstall`
# removes them.
PREFIX ?= /usr/local
SYSTEMD_UNIT_DIR ?= /lib/systemd/system
MAN1_DIR := $(PREFIX)/share/man/man1
COMPLETION_DIR := $(PREFIX)/share/bash-completion/completions

install: $(BUILD)/heapscope
	install -D -m 0755 $(BUILD)/heapscope $(DESTDIR)$(PREFIX)/bin/heapscope
	install -d $(DESTDIR)$(MAN1_DIR)
	gzip -9n < doc/heapscope.1 > $(DESTDIR)$(MAN1_DIR)/heapscope.1.gz.tmp
	chmod 0644 $(DESTDIR)$(MAN1_DIR)/heapscope.1.gz.tmp
	mv $(DESTDIR)$(MAN1_DIR)/heapscope.1.gz.tmp $(DESTDIR)$(MAN1_DIR)/heapscope.1.gz
	install -D -m 0644 dist/heapscope.bash $(DESTDIR)$(COMPLETION_DIR)/heapscope
	@mkdir -p $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	sed 's|@PREFIX@|$(PREFIX)|g' dist/heapscope.service > $(DESTDIR)$(SYSTEMD_UNIT_DIR)/heapscope.service.tmp
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/heapscope.service.tmp
	mv $(DESTDIR)$(SYSTEMD_UNIT_DIR)/heapscope.service.tmp $(DESTDIR)$(SYSTEMD_UNIT_DIR)/heapscope.service

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/heapscope $(DESTDIR)$(SYSTEMD_UNIT_DIR)/heapscope.service
	rm -f $(DESTDIR)$(MAN1_DIR)/heapscope.1.gz $(DESTDIR)$(COMPLETION_DIR)/heapscope

.PHONY: install uninstall
