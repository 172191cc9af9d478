# filmrestore top-level Makefile.
#
#   make              build build/filmrestore and build/unit_tests
#   make test         the whole suite (unit + end-to-end), as CI runs it
#   make asan-test    the same suite built with AddressSanitizer and UBSan
#   make bench        the benches in bench/ (slow; prints ratios against peers)
#   make fuzz         builds every tests/fuzz/fuzz_*.c with clang's libFuzzer, ASan and
#                     UBSan, and runs each for FUZZ_SECONDS (default 60) on its corpus in
#                     tests/fuzz/corpus/NAME (new inputs go to build-fuzz/corpus-NAME). It
#                     forks, so a crash is recorded (build-fuzz/crash-NAME-*) and fuzzing
#                     goes on; the last line says whether anything crashed
#
# Sources are found by wildcard: a new .c file in shared/, nodes/, coordinator/
# or jobs/ joins the library; tests/unit/*.c join the unit-test binary. Every
# program is compiled with mpicc so MPI, libav, HDF5, ZeroMQ and the compute
# libraries are all available to every module.

CC      = mpicc
BUILD  ?= build
OPT    ?= -O2
SAN    ?=
PKGS    = libavformat libavcodec libswscale libavutil hdf5 libzmq jansson
CFLAGS  = -std=c11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Werror -pthread -fopenmp \
          -Ishared -Inodes -Inodes/engine -Icoordinator -Ijobs $(shell pkg-config --cflags $(PKGS)) $(SAN)
LDLIBS  = $(shell pkg-config --libs $(PKGS)) -ldnnl -lopenblas -lm -pthread -fopenmp $(SAN)

LIB_SRC  = $(wildcard shared/*.c nodes/*.c nodes/engine/*.c coordinator/*.c jobs/*.c)
LIB_SRC := $(filter-out coordinator/main.c,$(LIB_SRC))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC = $(wildcard tests/unit/*.c)
TEST_OBJ = $(TEST_SRC:%.c=$(BUILD)/obj/%.o)

.PHONY: all test asan asan-test bench clean fuzz
all: $(BUILD)/filmrestore $(BUILD)/unit_tests

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libfilmrestore.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/filmrestore: $(BUILD)/obj/coordinator/main.o $(BUILD)/libfilmrestore.a
	$(CC) -o $@ $^ $(LDLIBS)

$(BUILD)/unit_tests: $(TEST_OBJ) $(BUILD)/libfilmrestore.a
	$(CC) -o $@ $^ -lcriterion $(LDLIBS)

test: all
	FR_BUILD=$(BUILD) bash tests/run

asan:
	$(MAKE) BUILD=build-asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" all

asan-test: asan
	FR_BUILD=build-asan FR_SANITIZED=1 bash tests/run

bench: all
	bash bench/run

# libFuzzer targets: each links the shared/ modules it drives, built with clang.
FUZZ_SECONDS ?= 60
FUZZ_BUILD    = build-fuzz
FUZZ_CC      ?= clang
FUZZ_FLAGS    = -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                -Ishared -Inodes -Icoordinator $(shell mpicc --showme:compile) $(shell pkg-config --cflags $(PKGS))
FUZZ_LIBS     = $(shell pkg-config --libs libavformat libavcodec libswscale libavutil hdf5) -lm -pthread
FUZZ_SHARED   = shared/fr_model.c shared/fr_store.c shared/fr_h5attr.c shared/fr_video_in.c shared/fr_status.c \
                shared/fr_sha256.c shared/fr_log.c shared/fr_plane.c shared/fr_wire_parse.c shared/fr_sys.c
FUZZ_TARGETS  = $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_input.h $(FUZZ_SHARED)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_SHARED) $(FUZZ_LIBS)

fuzz: $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do n=$${t##*/fuzz_}; mkdir -p tests/fuzz/corpus/$$n $(FUZZ_BUILD)/corpus-$$n; \
	  echo "fuzz $$n: $(FUZZ_SECONDS) s"; \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp nice -n 19 $$t -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=20 -rss_limit_mb=2560 -artifact_prefix=$(FUZZ_BUILD)/crash-$$n- \
	    $(FUZZ_BUILD)/corpus-$$n tests/fuzz/corpus/$$n 2>&1 | tee $(FUZZ_BUILD)/log-$$n | grep -E "INITED|DONE|crash|timeout|oom" | tail -4; done
	@ls $(FUZZ_BUILD) | grep -E '^crash-' && echo "make fuzz: inputs above crashed, hung or ran out of memory: triage them" || echo "make fuzz: no crash, hang or leak"

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BUILD)/obj/coordinator/main.d
