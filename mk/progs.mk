# Test target programs with exactly known allocation behaviour (tests/progs/ -> build/progs/).
PROG_CFLAGS := -O1 -g -fno-omit-frame-pointer -Wall -Wextra -pthread
# nofp_* and libnofp: as distributions build (no frame pointers), for the CFI unwinder's tests.
NOFP_CFLAGS := -O2 -g -fomit-frame-pointer -Wall -Wextra -pthread
PROG_C := $(filter-out tests/progs/lib%.c,$(wildcard tests/progs/*.c))
PROG_CXX := $(wildcard tests/progs/*.cpp)
PROG_LIBS := $(wildcard tests/progs/lib*.c)
PROG_BINS := $(PROG_C:tests/progs/%.c=$(BUILD)/progs/%) $(PROG_CXX:tests/progs/%.cpp=$(BUILD)/progs/%) \
	$(PROG_LIBS:tests/progs/%.c=$(BUILD)/progs/%.so)

progs: $(PROG_BINS)

$(BUILD)/progs/%: tests/progs/%.c tests/progs/progs.h
	@mkdir -p $(@D)
	$(CC) $(PROG_CFLAGS) -o $@ $< -ldl

$(BUILD)/progs/nofp_chain: tests/progs/nofp_chain.c tests/progs/progs.h $(BUILD)/progs/libnofp.so \
		$(BUILD)/progs/libfponly.so
	$(CC) $(NOFP_CFLAGS) -o $@ $< -L$(BUILD)/progs -lnofp -lfponly -Wl,-rpath,'$$ORIGIN' -ldl

# Frame pointers and no unwind tables (no -g either: that would emit .debug_frame).
$(BUILD)/progs/libfponly.so: tests/progs/libfponly.c tests/progs/progs.h
	@mkdir -p $(@D)
	$(CC) -O2 -fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fno-unwind-tables \
		-Wall -Wextra -shared -fPIC -o $@ $<

$(BUILD)/progs/nofp_%: tests/progs/nofp_%.cpp tests/progs/progs.h
	@mkdir -p $(@D)
	g++ $(NOFP_CFLAGS) -o $@ $<

$(BUILD)/progs/libnofp.so: tests/progs/libnofp.c tests/progs/progs.h
	@mkdir -p $(@D)
	$(CC) $(NOFP_CFLAGS) -shared -fPIC -o $@ $<

$(BUILD)/progs/%: tests/progs/%.cpp tests/progs/progs.h
	@mkdir -p $(@D)
	g++ $(PROG_CFLAGS) -o $@ $<

$(BUILD)/progs/%.so: tests/progs/%.c tests/progs/progs.h
	@mkdir -p $(@D)
	$(CC) $(PROG_CFLAGS) -shared -fPIC -o $@ $<

# Inlined code as distributions build it (-O2): tests/integration/symbolize_inline.sh.
$(BUILD)/progs/inline_o2: tests/progs/inline_o2.c tests/progs/progs.h
	@mkdir -p $(@D)
	$(CC) $(NOFP_CFLAGS) -o $@ $<

$(BUILD)/progs/inline_stl: tests/progs/inline_stl.cpp tests/progs/progs.h
	@mkdir -p $(@D)
	g++ $(NOFP_CFLAGS) -o $@ $<

# Stripped as Debian ships binaries, the unstripped build beside them in debug/ (the same
# build-ids): tests/integration/symbolize_stripped.sh.
$(BUILD)/progs/libstripped.so: tests/progs/libstripped.c tests/progs/progs.h
	@mkdir -p $(@D)/debug
	$(CC) $(NOFP_CFLAGS) -Wl,--build-id -shared -fPIC -o $(@D)/debug/libstripped.so $<
	strip --strip-unneeded -o $@ $(@D)/debug/libstripped.so

$(BUILD)/progs/stripped_app: tests/progs/stripped_app.c tests/progs/progs.h $(BUILD)/progs/libstripped.so
	@mkdir -p $(@D)/debug
	$(CC) $(NOFP_CFLAGS) -Wl,--build-id -o $(@D)/debug/stripped_app $< -L$(@D)/debug -lstripped \
		-Wl,-rpath,'$$ORIGIN'
	strip --strip-all -o $@ $(@D)/debug/stripped_app
