# libFuzzer harnesses (tests/fuzz/ -> build/fuzz/): the project's store, report, server and daemon
# sources compiled again with clang and -fsanitize=fuzzer-no-link,address,undefined into their own
# objects (never mixed with the normal build's), linked with one harness each. The agent (libbpf,
# the skeleton) is not needed: the archive only lends the objects a harness references.
# `make fuzz` runs every harness for FUZZ_SECONDS (60) each on its corpus and prints executions
# and crashes; tests/integration/fuzz_short.sh (CI) runs each briefly and replays the regressions.
FUZZ_CC := clang
FUZZ_SECONDS ?= 60
FUZZ_DIR := $(BUILD)/fuzz
# The harnesses' recording, made by this tree's recorder so that it always has the current
# schema (a committed one went stale at the first schema bump); also fuzz_db's seed corpus.
FUZZ_FIXTURE := $(FUZZ_DIR)/fixture/fixture.db
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=gnu11 -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
	-Wall -Wno-unused-parameter -I. -I$(BUILD) -MMD -MP -D_GNU_SOURCE= \
	-DHEAPSCOPE_VERSION=\"0.1.0\" -DFUZZ_FIXTURE=\"$(CURDIR)/$(FUZZ_FIXTURE)\"
FUZZ_LDLIBS := -lsqlite3 -lmicrohttpd -lcurl -ljson-c -lz -lpthread -lm
FUZZ_LIB_SRCS := $(wildcard store/*.c report/*.c server/*.c daemon/*.c) agent/scan_client.c \
	tests/fuzz/fuzz_util.c
FUZZ_LIB_OBJS := $(FUZZ_LIB_SRCS:%.c=$(FUZZ_DIR)/%.o)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_util.c,\
	$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BINS := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)

fuzz-bins: $(FUZZ_BINS) $(FUZZ_FIXTURE)

# leaks3 recorded (root, BPF), then made small for mutation: no WAL, 512-byte pages.
$(FUZZ_FIXTURE): $(BUILD)/heapscope $(BUILD)/progs/leaks3
	@mkdir -p $(@D)
	rm -f $@.tmp*
	$(BUILD)/heapscope record -o $@.tmp -- $(BUILD)/progs/leaks3 >/dev/null
	sqlite3 $@.tmp 'PRAGMA journal_mode=DELETE;' >/dev/null
	sqlite3 $@.tmp 'PRAGMA page_size=512; VACUUM;'
	mv $@.tmp $@

# `make test` builds them too, so that fuzz_short.sh (run by tests/run.sh) finds them (a
# sanitizer build of the tests leaves them to fuzz_short.sh: they are sanitized anyway).
ifndef SAN_FLAGS
test: fuzz-bins
endif

fuzz: fuzz-bins
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_NAMES)

$(FUZZ_DIR)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/libfuzzlib.a: $(FUZZ_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/tests/fuzz/fuzz_%.o $(FUZZ_DIR)/libfuzzlib.a $(BUILD)/web_assets.o
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LDLIBS)

.PHONY: fuzz fuzz-bins
