# Sanitizer runs of the test suite. `make test SAN=1`: heapscope and the unit tests built into
# build-san/ with ASan + UBSan (+ LSan at exit); `make test TSAN=1` (= `make tsan-test`): built
# into build-tsan/ with TSan, running the server and daemon tests. Same sources and BPF object
# recipe; the traced programs (build/progs) and the tests' fixtures stay the normal build's, not
# sanitized: they are the targets with exact allocation counts. SAN_SUBSET / TSAN_SUBSET: the
# tests run (tests/run.sh patterns; empty = every test). Every report of every process (the
# background servers, daemons and recorders too) is a failure in "N passed, N failed".
SAN_SUBSET ?=
TSAN_SUBSET ?= test_server_* serve_* daemon_api daemon_ctl
# The fixtures the tests take from build/ whatever the build under test.
SAN_FIXTURES := progs build/tests/test_processes build/bench/allocbench

ifdef SAN_FLAGS
test: $(BUILD)/heapscope $(UNIT_BINS)
	$(MAKE) SAN= TSAN= $(SAN_FIXTURES)
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL BUILD=$(BUILD) SAN_LOGS=$(CURDIR)/$(BUILD)/san-logs \
		TEST_TIMEOUT=900 \
		tests/run.sh $(foreach p,$(if $(TSAN),$(TSAN_SUBSET),$(SAN_SUBSET)),'$(p)')
endif

san-test:
	$(MAKE) SAN=1 test

tsan-test:
	$(MAKE) TSAN=1 test

.PHONY: san-test tsan-test
