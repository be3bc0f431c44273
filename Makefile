# The two commands of README.md:
#   make run    install what is missing, build, serve ./data over S3
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

# The S3 endpoint on ./data at 127.0.0.1:9000 (until the mount lands, the
# daemon alone). First start generates credentials into ./data/credentials
# and prints them; SEGLAKE_ACCESS_KEY / SEGLAKE_SECRET_KEY override them.
run: build
	@mkdir -p $(DATA)
	@exec $(BIN)/s3d/server/seglake-s3d --data-dir $(DATA)

test: build
	@ctest --preset $(PRESET) -j2

asan:
	@$(MAKE) test PRESET=asan

bench: build
	@$(BIN)/engine/tools/seglake-engine-bench

clean:
	rm -rf build
