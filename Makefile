# pthumb: parallel image thumbnailer.
#
#   make            build ./pthumb
#   make run        install what is missing, build, thumbnail testdata/
#                   into thumbs/ (the main job)
#   make check      install what is missing, build, run every test
#   make sanitize   the tests and end-to-end runs under ASan + UBSan; fails
#                   on any sanitizer report in their logs
#   make integration  --shard auto as a job array on a single-node Slurm
#                   cluster it installs and starts (as root; else it skips)
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       install the Debian packages the build needs (as root),
#                   or print the command that would
#
# Tests that need the photos of ../shared/corpus (get-photos.sh) skip with
# a message when they are absent; PTHUMB_CORPUS overrides where to look.

# The one place pthumb's version is written: the binary (--version) and
# the installed manual take it from here.
VERSION = 1.0.0

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
CFLAGS ?= -O2 -g
BUILD ?= build
PROG ?= pthumb

PKGS = vips glib-2.0
DEB_PKGS = libvips-dev libglib2.0-dev libcriterion-dev pkg-config

# Builds (not test runs) use every CPU.
NPROC := $(shell nproc 2>/dev/null || echo 1)

WARN = -Wall -Wextra -Werror
# No contraction of a * b + c into one rounding: thumbnails must be the
# same bytes on every machine (src/resample.h).
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DPTHUMB_VERSION='"$(VERSION)"' \
	-ffp-contract=off $(WARN) $(CFLAGS) \
	$(EXTRA_CFLAGS) \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

SRCS = $(wildcard src/*.c)
HDRS = $(wildcard src/*.h)
OBJS = $(SRCS:src/%.c=$(BUILD)/%.o)
LIB_OBJS = $(filter-out $(BUILD)/main.o,$(OBJS))
TEST_SRCS = $(wildcard tests/*.c)
# The parent's side knows no libvips (pool.h, jobq.h, output.h say so):
# these modules and their tests link into a runner of their own with GLib
# and Criterion alone, so a module that starts to need libvips breaks the
# build. The other tests run in TEST_RUNNER, linked with everything.
NOVIPS_MODS = pool proto scan jobq report signals output record \
	freedesktop format hash xio pathlist watch fault options optvalue \
	shard
NOVIPS_TESTS = jobq pool proto scan report format pathlist hash
NOVIPS_OBJS = $(NOVIPS_MODS:%=$(BUILD)/%.o) \
	$(NOVIPS_TESTS:%=$(BUILD)/tests/test_%.o) $(BUILD)/tests/helpers.o
NOVIPS_RUNNER = $(BUILD)/test-without-libvips
TEST_OBJS = $(filter-out $(NOVIPS_TESTS:%=$(BUILD)/tests/test_%.o), \
	$(TEST_SRCS:tests/%.c=$(BUILD)/tests/%.o))
TEST_RUNNER = $(BUILD)/test-runner
# The manual as installed: src/pthumb.1 with the version in its title.
MAN = $(BUILD)/pthumb.1
# The binary the end-to-end tests run: ./pthumb plus fault injection.
TEST_PROG = $(BUILD)/faults/pthumb
FAULT_OBJS = $(SRCS:src/%.c=$(BUILD)/faults/%.o)

SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

.PHONY: all run check test sanitize valgrind integration bench fuzz fuzz-deps \
	install deps clean

all: $(PROG)

# V=1 shows the full commands.
Q = $(if $(V),,@)

$(PROG): $(OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(OBJS) $(LIBS)

$(BUILD)/%.o: src/%.c $(HDRS) | $(BUILD)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/faults/%.o: src/%.c $(HDRS) | $(BUILD)/faults
	@echo "  CC      $< (faults)"
	$(Q)$(CC) $(ALL_CFLAGS) -DPTHUMB_FAULT_INJECTION -c -o $@ $<

$(TEST_PROG): $(FAULT_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(FAULT_OBJS) $(LIBS)

$(BUILD)/tests/%.o: tests/%.c $(wildcard tests/*.h) $(wildcard tests/fuzz/*.c) \
		$(HDRS) | $(BUILD)/tests
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -Isrc -Itests -DTOP_DIR='"$(CURDIR)"' \
		-DMAN_PAGE='"$(abspath $(MAN))"' -c -o $@ $<

$(TEST_RUNNER): $(TEST_OBJS) $(LIB_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(TEST_OBJS) $(LIB_OBJS) $(LIBS) -lcriterion \
		$(shell pkg-config --libs lcms2 2>/dev/null)

$(NOVIPS_RUNNER): $(NOVIPS_OBJS)
	@echo "  LD      $@ (GLib alone)"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(NOVIPS_OBJS) \
		$(shell pkg-config --libs glib-2.0) -lcriterion -lm

$(MAN): src/pthumb.1 Makefile | $(BUILD)
	sed 's/^\.TH PTHUMB 1 \([^ ]*\) pthumb /.TH PTHUMB 1 \1 "pthumb $(VERSION)" /' \
		src/pthumb.1 > $@

$(BUILD) $(BUILD)/tests $(BUILD)/faults:
	mkdir -p $@

run: deps
	$(MAKE) -j$(NPROC) $(PROG)
	./$(PROG) testdata

check: deps
	$(MAKE) -j$(NPROC) $(PROG) $(TEST_PROG) $(TEST_RUNNER) $(NOVIPS_RUNNER) \
		$(MAN)
	$(MAKE) test

# Criterion runs each test in its own process; the end-to-end tests run
# the binary named by PTHUMB_BIN: ./pthumb built with fault injection
# (PTHUMB_FAULT, src/fault.h).
test:
	PTHUMB_BIN=$(abspath $(TEST_PROG)) $(NOVIPS_RUNNER) --jobs 2 $(TEST_ARGS)
	PTHUMB_BIN=$(abspath $(TEST_PROG)) $(TEST_RUNNER) --jobs 2 $(TEST_ARGS)

# Every test under ASan and UBSan, but for those that measure the
# fidelity of the corpus photos (minutes of arithmetic, three times slower
# here, through code the testdata's fidelity test runs here too): they
# skip themselves when PTHUMB_SANITIZE is set.
sanitize: deps
	rm -rf build-san/logs
	mkdir -p build-san/logs
	$(MAKE) -j$(NPROC) BUILD=build-san PROG=build-san/pthumb \
		EXTRA_CFLAGS="$(SAN_FLAGS)" build-san/pthumb \
		build-san/faults/pthumb build-san/test-runner \
		build-san/test-without-libvips build-san/pthumb.1
	PTHUMB_SANITIZE=1 \
	ASAN_OPTIONS=log_path=$(CURDIR)/build-san/logs/asan:detect_leaks=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=log_path=$(CURDIR)/build-san/logs/ubsan:print_stacktrace=1 \
		$(MAKE) BUILD=build-san PROG=build-san/pthumb test
	@if ls build-san/logs/* >/dev/null 2>&1; then \
		echo "sanitizer reports:"; cat build-san/logs/*; exit 1; \
	else echo "sanitize: no sanitizer reports"; fi

# The end-to-end suites with every pthumb process (workers included) under
# valgrind's memcheck, through tests/valgrind-pthumb. PTHUMB_VALGRIND=1
# makes the tests that cannot run so skip themselves, each saying why
# (helper_skip_under_valgrind in tests/helpers.h).
VALGRIND_TESTS = @(cli|hostile|modes)/*

valgrind: deps
	@command -v valgrind >/dev/null || { [ "$$(id -u)" = 0 ] && \
		apt-get install -y -q --no-install-recommends valgrind; }
	$(MAKE) -j$(NPROC) $(TEST_PROG) $(TEST_RUNNER) $(MAN)
	rm -rf $(BUILD)/valgrind
	mkdir -p $(BUILD)/valgrind
	@# libvips' modules as $$VIPSHOME shows them to tests/valgrind-pthumb:
	@# all but JPEG XL's, whose libhwy runs rdtscp as it loads, which
	@# valgrind 3.19 stops with SIGILL on some CPUs (no test here reads
	@# JPEG XL under valgrind).
	libdir=$$(pkg-config --variable=libdir vips) && \
	for m in "$$libdir"/vips-modules-*/*.so; do \
		[ -e "$$m" ] || continue; \
		d=$(BUILD)/valgrind/vips/$$(dirname "$${m#/usr/lib/}"); \
		mkdir -p "$$d"; \
		case $$m in *jxl*) ;; *) ln -s "$$m" "$$d/" ;; esac; \
	done
	PTHUMB_VALGRIND=1 PTHUMB_BIN=$(CURDIR)/tests/valgrind-pthumb \
		$(TEST_RUNNER) --jobs 2 --filter '$(VALGRIND_TESTS)'
	@if find $(BUILD)/valgrind -name '*.log' -size +0 | grep -q .; then \
		echo "valgrind reports:"; \
		find $(BUILD)/valgrind -name '*.log' -size +0 -exec cat {} +; \
		exit 1; \
	else echo "valgrind: no reports"; fi

# Side by side with the peers (tests/bench/run.sh): installs them, makes
# its inputs under build/bench, writes tests/bench/results/.
bench: deps
	bash tests/bench/run.sh

# libFuzzer targets (clang) for the wire protocol and the command line,
# each run for FUZZ_SECONDS from the seeds in tests/fuzz/<target>/; what
# they find is added there, and the tests replay every file there.
FUZZ_SECONDS ?= 60
FUZZ_CC = clang
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -std=c11 -D_GNU_SOURCE -Isrc \
	$(shell pkg-config --cflags glib-2.0 2>/dev/null)

fuzz: deps fuzz-deps
	mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -o build/fuzz/proto tests/fuzz/fuzz_proto.c \
		src/proto.c src/xio.c
	$(FUZZ_CC) $(FUZZ_FLAGS) -o build/fuzz/options \
		tests/fuzz/fuzz_options.c src/options.c src/optvalue.c \
		src/shard.c $(shell pkg-config --libs glib-2.0) -lm
	for t in proto options; do \
		mkdir -p build/fuzz/new-$$t; \
		build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=tests/fuzz/$$t/crash- \
			build/fuzz/new-$$t tests/fuzz/$$t || exit 1; \
	done

fuzz-deps:
	@if command -v $(FUZZ_CC) >/dev/null && \
		ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a \
		>/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends clang \
		libclang-rt-14-dev; \
	else \
		echo "make fuzz needs: sudo apt-get install clang libclang-rt-14-dev"; \
		exit 1; \
	fi

# tests/integration.sh says what it checks; one line "integration: SKIP:
# REASON" where Slurm cannot be installed or started.
integration: deps
	$(MAKE) $(PROG)
	sh tests/integration.sh

install: $(PROG) $(MAN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(PROG) $(DESTDIR)$(PREFIX)/bin/pthumb
	install -m 644 $(MAN) $(DESTDIR)$(PREFIX)/share/man/man1/pthumb.1
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 644 src/pthumb.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/pthumb

deps:
	@if pkg-config --exists $(PKGS) criterion 2>/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing $(DEB_PKGS)"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends $(DEB_PKGS); \
	else \
		echo "pthumb needs: sudo apt-get install $(DEB_PKGS)"; exit 1; \
	fi

clean:
	rm -rf build build-san pthumb
