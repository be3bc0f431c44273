# The two commands of README.md:
#   make run    install what is missing, build, run seglake on ./data
#   make test   install what is missing, build, run every test
# Other targets: build, asan (sanitizer build + tests), bench, clean.

PRESET ?= release
BIN := build/$(PRESET)
DATA ?= ./data
SEGLAKE := $(BIN)/engine/tools/seglake

.PHONY: deps build run test asan bench clean

deps:
	@bash .ci/deps.sh

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET)

# The engine's own job until the S3 daemon and the mount land: keep a data
# dir, store this README in it as an object, list it, report the dir's state.
run: build
	@$(SEGLAKE) --data-dir $(DATA) --create bucket create demo >/dev/null 2>&1 || true
	@$(SEGLAKE) --data-dir $(DATA) put demo README.md README.md
	@$(SEGLAKE) --data-dir $(DATA) ls demo
	@$(SEGLAKE) --data-dir $(DATA) status

test: build
	@ctest --preset $(PRESET) -j2

asan:
	@$(MAKE) test PRESET=asan

bench: build
	@$(BIN)/engine/tools/seglake-engine-bench

clean:
	rm -rf build
