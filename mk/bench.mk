# Benchmarks (bench/ -> build/bench/): allocbench, the BPF floor, the store ingest program.
# `make bench` runs bench/run.sh, which prints ratios and never fails on a figure.
ALLOCBENCH_SRC := $(CURDIR)/../shared/bench/allocbench.c
BENCH_BINS := $(BUILD)/bench/allocbench $(BUILD)/bench/floor $(BUILD)/bench/ingest

bench-bins: $(BUILD)/heapscope $(BENCH_BINS)

bench: bench-bins
	bench/run.sh

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

.PHONY: bench-bins
