# The two commands of the README: `make serve` and `make test`.
# Everything else here is a step they depend on.

BUILD_DIR ?= build
BUILD_TYPE ?= Release
PY ?= /usr/bin/python3
PORT ?= 8000
EXAMPLES := $(BUILD_DIR)/examples
JOBS ?= $(shell nproc)

.PHONY: serve test deps build examples unit e2e clean test-asan

serve: build examples
	$(BUILD_DIR)/inferd serve --model-repository $(EXAMPLES)/model_repository --http-port $(PORT)

test: build examples
	cd $(BUILD_DIR) && ctest --output-on-failure -j 2

deps:
	bash scripts/install-deps.sh

$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The example model repository and its PyTorch goldens. Rebuilt only when the
# script changes.
examples: deps $(EXAMPLES)/.stamp

$(EXAMPLES)/.stamp: $(wildcard examples/*.py) $(wildcard scripts/llm/*.py) tests/data/chat_templates/inferd-chat.jinja
	$(PY) examples/build_model_repository.py --out $(EXAMPLES)
	touch $@

clean:
	rm -rf $(BUILD_DIR)

# The unit and end-to-end tests again on a build with AddressSanitizer and
# UndefinedBehaviorSanitizer (GCC), in $(ASAN_DIR). The e2e tests start the
# sanitized inferd, so a leak or an error in the server fails its test (the
# server exits with the sanitizer's code). Not part of `test`: it takes a
# full build of its own.
ASAN_DIR ?= build-asan
ASAN_FLAGS := -O1 -g1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=0 \
  LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan.supp:print_suppressions=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

test-asan: deps examples
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=None \
	  -DCMAKE_C_FLAGS="$(ASAN_FLAGS)" -DCMAKE_CXX_FLAGS="$(ASAN_FLAGS)" \
	  -DCMAKE_EXE_LINKER_FLAGS="$(ASAN_FLAGS)" -DCMAKE_SHARED_LINKER_FLAGS="$(ASAN_FLAGS)"
	cmake --build $(ASAN_DIR) -j $(JOBS)
	rm -rf $(ASAN_DIR)/examples && ln -s $(CURDIR)/$(EXAMPLES) $(ASAN_DIR)/examples
	cd $(ASAN_DIR) && $(ASAN_ENV) ctest --output-on-failure -j 2 $(CTEST_ARGS)

# libFuzzer harnesses with ASan + UBSan (clang), each run FUZZ_SECONDS on a
# copy of its committed seed corpus (docs/fuzzing.md). Not part of `test`.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZERS := request_target v2_request http_request outbound_policy predict_request \
  model_config tokenizer_json chat_template gguf_file job_document
# No -g: clang 14 cannot emit debug information for the coroutines of http/
# ("Cannot represent a difference across sections").
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -O1

.PHONY: fuzz fuzz-build
fuzz-build:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DINFERD_FUZZ=ON -DCMAKE_C_FLAGS="$(FUZZ_FLAGS)" -DCMAKE_CXX_FLAGS="$(FUZZ_FLAGS)"
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzzers

fuzz: fuzz-build
	@for f in $(FUZZERS); do \
	  work=$(FUZZ_DIR)/corpus/$$f; rm -rf $$work; mkdir -p $$work; cp fuzz/corpus/$$f/* $$work/; \
	  echo "== fuzz_$$f ($(FUZZ_SECONDS) s)"; \
	  $(FUZZ_DIR)/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/crash-$$f- $$work 2>&1 | \
	    grep -E "stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|Test unit written" \
	    || true; \
	  test -z "$$(ls $(FUZZ_DIR)/crash-$$f-* 2>/dev/null)" || { echo "fuzz_$$f found a crash"; exit 1; }; \
	done
