# Benchmarks (bench/ -> build/bench/): allocbench, the BPF floor, the store ingest program, the
# recorder's cost meter (selfstat), a fixed-rate workload (steady) and the cc1 workload's input.
# `make bench` runs bench/run.sh, which prints ratios and never fails on a figure; `make soak`
# runs bench/soak.sh (allocbench at full speed under record --serve with the API polled; prints
# the recorder's RSS, drops, events/s, database growth and API latency).
ALLOCBENCH_SRC := $(CURDIR)/../shared/bench/allocbench.c
ZLIB_EXAMPLES := /usr/share/doc/zlib1g-dev/examples
BENCH_BINS := $(BUILD)/bench/allocbench $(BUILD)/bench/floor $(BUILD)/bench/ingest \
	$(BUILD)/bench/selfstat $(BUILD)/bench/steady $(BUILD)/bench/cc1_input.i

bench-bins: $(BUILD)/heapscope $(BENCH_BINS) $(BUILD)/progs/reach_big

bench: bench-bins
	bench/run.sh

soak: $(BUILD)/heapscope $(BUILD)/bench/allocbench
	bench/soak.sh

$(BUILD)/bench/allocbench: $(ALLOCBENCH_SRC)
	@mkdir -p $(@D)
	$(CC) -O2 -g -fno-omit-frame-pointer -pthread -o $@ $<

$(BUILD)/bench/floor.bpf.o: bench/floor.bpf.c $(BUILD)/vmlinux.h
	$(BPF_COMPILE)

$(BUILD)/bench/floor.skel.h: $(BUILD)/bench/floor.bpf.o
	$(BPFTOOL) gen skeleton $< name floor_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/bench/floor: bench/floor.c $(BUILD)/bench/floor.skel.h $(BUILD)/libheapscope.a
	$(CC) $(CFLAGS) -I$(BUILD)/bench -o $@ $< $(BUILD)/libheapscope.a $(LDLIBS)

$(BUILD)/bench/ingest: bench/ingest.c $(BUILD)/libheapscope.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libheapscope.a $(LDLIBS)

$(BUILD)/bench/selfstat $(BUILD)/bench/steady: $(BUILD)/bench/%: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $<

$(BUILD)/bench/cc1_input.i: bench/cc1_input.c
	@mkdir -p $(@D)
	$(CC) -E -w -I$(ZLIB_EXAMPLES) -o $@ $<

.PHONY: bench-bins soak
