# The two commands of the README: `make serve` and `make test`.
# Everything else here is a step they depend on.

BUILD_DIR ?= build
BUILD_TYPE ?= Release
PY ?= /usr/bin/python3
PORT ?= 8000
EXAMPLES := $(BUILD_DIR)/examples
JOBS ?= $(shell nproc)

.PHONY: serve test deps build examples unit e2e clean

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
