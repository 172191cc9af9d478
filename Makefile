# filmrestore top-level Makefile.
#
#   make              build build/filmrestore, build/filmrestored and build/unit_tests; with
#                     the CUDA backend (nodes/engine/cuda/) when nvcc is on PATH
#   make CUDA=0       the same without the CUDA backend (the CPU one only)
#   make test         the whole suite (unit + end-to-end), as CI runs it
#   make asan-test    the same suite built with AddressSanitizer and UBSan
#   make bench        the benches in bench/ (slow; prints ratios against peers)
#   make fuzz         builds every tests/fuzz/fuzz_*.c with clang's libFuzzer, ASan and
#                     UBSan, and runs each for FUZZ_SECONDS (default 60) on its corpus in
#                     tests/fuzz/corpus/NAME (new inputs go to build-fuzz/corpus-NAME). It
#                     forks, so a crash is recorded (build-fuzz/crash-NAME-*) and fuzzing
#                     goes on; the last line says whether anything crashed. As OSS-Fuzz
#                     does, an allocation too large for ASan returns NULL (a corrupt size
#                     field in libhdf5's metadata asks for terabytes): the code must cope
#
# Sources are found by wildcard: a new .c file in shared/, nodes/, coordinator/, cluster/,
# cli/ or jobs/ joins the library; tests/unit/*.c join the unit-test binary. Every
# program is compiled with mpicc so MPI, libav, HDF5, ZeroMQ and the compute
# libraries are all available to every module.

CC      = mpicc
BUILD  ?= build
OPT    ?= -O2
SAN    ?=
PKGS    = libavformat libavcodec libswscale libavutil hdf5 libzmq jansson libmicrohttpd
CFLAGS  = -std=c11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Werror -pthread -fopenmp \
          -Ishared -Inodes -Inodes/engine -Inodes/engine/cpu -Icoordinator -Icluster -Icli -Ijobs $(shell pkg-config --cflags $(PKGS)) $(SAN)
LDLIBS  = $(shell pkg-config --libs $(PKGS)) -ldnnl -lopenblas -lm -pthread -fopenmp $(SAN)

# The backends, ggml style: one folder each, chosen by build flags. The CPU one is always
# built; the CUDA one (its host side in C, its kernels in .cu files compiled by nvcc) when
# nvcc is found and CUDA is not 0. FR_HAVE_CUDA tells the registry (fr_backend.c).
ifeq ($(origin NVCC),undefined)
NVCC      := $(firstword $(shell command -v nvcc 2>/dev/null) $(wildcard $(CUDA_HOME)/bin/nvcc /usr/local/cuda/bin/nvcc))
endif
CUDA      ?= $(if $(NVCC),1,0)
CUDA_HOME ?= $(patsubst %/bin/,%,$(dir $(NVCC)))
# sm_80 (A100) and sm_90 (H100, H200) machine code, and PTX for later cards
CUDA_ARCH ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=[sm_90,compute_90]
NVFLAGS    = -std=c++17 -O2 -g $(CUDA_ARCH) -Inodes/engine -Inodes/engine/cuda -Ishared \
             -Xcompiler -Wall,-Wextra,-Werror,-fPIC --Werror all-warnings

LIB_SRC  = $(wildcard shared/*.c nodes/*.c nodes/engine/*.c nodes/engine/cpu/*.c coordinator/*.c cluster/*.c cli/*.c jobs/*.c)
LIB_SRC := $(filter-out cli/main.c jobs/filmrestored.c,$(LIB_SRC))
ifeq ($(CUDA),1)
CU_SRC   = $(wildcard nodes/engine/cuda/*.cu)
LIB_SRC += $(wildcard nodes/engine/cuda/*.c)
CFLAGS  += -DFR_HAVE_CUDA -I$(CUDA_HOME)/include
CU_LIBDIR = $(firstword $(wildcard $(CUDA_HOME)/lib64 $(CUDA_HOME)/lib))
LDLIBS  += -L$(CU_LIBDIR) -Wl,-rpath,$(CU_LIBDIR) -lcudnn -lcublasLt -lcudart_static -ldl -lrt -lstdc++
endif
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(CU_SRC:%.cu=$(BUILD)/obj/%.cu.o)
# objects are rebuilt when CUDA changes between builds in one folder
FLAGS_FILE = $(BUILD)/obj/cuda-flag
$(shell mkdir -p $(BUILD)/obj; echo '$(CUDA)' | cmp -s - $(FLAGS_FILE) || echo '$(CUDA)' > $(FLAGS_FILE))
TEST_SRC = $(wildcard tests/unit/*.c)
TEST_OBJ = $(TEST_SRC:%.c=$(BUILD)/obj/%.o)

.PHONY: all test asan asan-test bench fuzz clean
all: $(BUILD)/filmrestore $(BUILD)/filmrestored $(BUILD)/unit_tests $(BUILD)/fr-engine

$(BUILD)/obj/%.o: %.c $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.cu.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) $(NVFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libfilmrestore.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/filmrestore: $(BUILD)/obj/cli/main.o $(BUILD)/libfilmrestore.a
	$(CC) -o $@ $^ $(LDLIBS)

$(BUILD)/filmrestored: $(BUILD)/obj/jobs/filmrestored.o $(BUILD)/libfilmrestore.a
	$(CC) -o $@ $^ $(LDLIBS)

# engine_forward alone, with only the libraries it uses (bench/gpu-check bundles it)
$(BUILD)/fr-engine: $(BUILD)/obj/bench/gpu/engine_main.o $(BUILD)/libfilmrestore.a
	$(CC) -o $@ $^ -Wl,--as-needed $(LDLIBS)

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

# libFuzzer: the library again, built by clang with ASan, UBSan and coverage
# hooks in build-fuzz/ (a sub-make with BUILD=build-fuzz); each target links
# it with -fsanitize=fuzzer.
FUZZ_SECONDS ?= 60
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_TARGETS  = $(patsubst tests/fuzz/%.c,build-fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

ifneq ($(BUILD),build-fuzz)
.PHONY: fuzz-lib
fuzz-lib:
	$(MAKE) BUILD=build-fuzz CC="clang $$(mpicc --showme:compile)" OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" build-fuzz/libfilmrestore.a

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_input.h fuzz-lib
	clang $$(mpicc --showme:compile) $(filter-out $(SAN),$(CFLAGS)) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer \
	    $< build-fuzz/libfilmrestore.a -o $@ $$(mpicc --showme:link) $(LDLIBS) $(FUZZ_SAN)

fuzz: $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do n=$${t##*/fuzz_}; mkdir -p tests/fuzz/corpus/$$n build-fuzz/corpus-$$n; \
	  echo "fuzz $$n: $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=allocator_may_return_null=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp nice -n 19 $$t -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=20 -rss_limit_mb=2560 -artifact_prefix=build-fuzz/crash-$$n- -print_final_stats=1 \
	    build-fuzz/corpus-$$n tests/fuzz/corpus/$$n 2>&1 | tee build-fuzz/log-$$n | grep -E "INITED|DONE|crash|timeout|oom" | tail -4; done
	@ls build-fuzz | grep -E '^crash-' && echo "make fuzz: inputs above crashed, hung or ran out of memory: triage them" || echo "make fuzz: no crash, hang or leak"
endif

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BUILD)/obj/cli/main.d $(BUILD)/obj/jobs/filmrestored.d \
         $(BUILD)/obj/bench/gpu/engine_main.d

# test-only driver of the restoration filters (raw gray frames in, restored frames out), for
# tools/eval-restore; not part of `all`
$(BUILD)/restore_harness: $(BUILD)/obj/tests/restore_harness.o $(BUILD)/libfilmrestore.a
	$(CC) -o $@ $^ $(LDLIBS)
