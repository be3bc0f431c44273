# The two commands of README.md:
#   make run    install what is missing, build, serve ./data over S3 and
#               mount it at ./mnt
#   make test   install what is missing, build, run every test
# Other targets: build, asan (sanitizer build + tests), bench, bench-fs, clean.

PRESET ?= release
BIN := build/$(PRESET)
DATA ?= ./data
MNT ?= ./mnt
SEGLAKE := $(BIN)/engine/tools/seglake

.PHONY: deps build run test asan bench bench-fs clean

deps:
	@bash .ci/deps.sh

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET)

# The S3 endpoint on ./data at 127.0.0.1:9000 and ./data mounted at ./mnt
# (scripts/run.sh: Ctrl-C stops the server and unmounts). First start
# generates credentials into ./data/credentials and prints them;
# SEGLAKE_ACCESS_KEY / SEGLAKE_SECRET_KEY override them, SEGLAKE_MOUNT_OPTIONS
# holds seglake-mount -o options.
run: build
	@exec scripts/run.sh $(BIN) $(DATA) $(MNT)

test: build
	@ctest --preset $(PRESET) -j2

asan:
	@$(MAKE) test PRESET=asan

bench: build
	@$(BIN)/engine/tools/seglake-engine-bench

# The mount against a local directory on the same disk (fuse/bench/README.md).
# SIZE=1G for a quicker run; BENCH_FS_ARGS for more options (--only, --json).
bench-fs: build
	@SIZE=$(or $(SIZE),4G) fuse/bench/run_fs_bench.sh $(BENCH_FS_ARGS) $(BIN)

clean:
	rm -rf build
