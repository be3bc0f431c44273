#!/usr/bin/env bash
# run_fs_bench.sh: measures seglake-mount against a local directory in one run.
#
# Makes a scratch dir holding a data dir, a local comparison dir and a
# mountpoint side by side (so the data dir and the local dir are on the same
# file system), mounts the data dir with seglake-mount, runs the same work in
# the mount (in bucket "bench") and in the local dir, and prints each figure
# with the ratio mount/local. Builds nothing: give it a build dir.
#
#   seq-write  fio: sequential write, 1 MiB blocks, SIZE (default 4 GiB), with
#              a final fsync (--end_fsync=1); MiB/s over the wall time, which
#              includes that fsync and the close (the mount commits there)
#   seq-read   fio: sequential read of that file, 1 MiB blocks: first cold (page
#              cache dropped, when this runs as root), then warm (read once
#              with cat before)
#   rand-read  fio: 4 KiB random reads of a RAND_SIZE (default 1 GiB) file, read
#              once before (warm), one job, time-based (--runtime)
#   meta       fs_meta_bench.py: create+close of 10,000 empty files (1 and 4
#              threads), stat, readdir of a 100,000-entry directory (entries
#              created over S3), rename of a directory of 10,000 files with an
#              atomicity check, and S3 PUT -> visible in the mount latency; it
#              starts seglake-s3d on the same data dir for the S3 parts
#
# Usage: run_fs_bench.sh [OPTIONS] [BUILD_DIR]
#   BUILD_DIR          a CMake build dir holding fuse/seglake-mount,
#                      s3d/server/seglake-s3d and s3d/bench/seglake-bench
#                      (default: the newest optimized build*/ of the repo with
#                      a seglake-mount, as run_s3_bench.sh picks its binaries)
#   --mount PATH       the seglake-mount binary (overrides BUILD_DIR's)
#   --s3d PATH         the seglake-s3d binary (overrides BUILD_DIR's)
#   --dir DIR          where the scratch dir goes (default: $TMPDIR or /tmp)
#   --size SIZE        seq-write/seq-read file size, fio syntax (default 4G;
#                      environment SIZE, e.g. SIZE=1G for a quick run)
#   --rand-size SIZE   rand-read file size (default 1G; environment RAND_SIZE)
#   --runtime SECS     rand-read time per side (default 15; environment RUNTIME)
#   --files N          files for create/stat/rename (default 10000)
#   --entries N        readdir entries (default 100000)
#   --puts N           PUTs for the visibility latency (default 200)
#   --only NAMES       comma-separated subset: seq-write,seq-read,rand-read,meta
#                      (seq-read needs seq-write; meta runs all its parts)
#   -o OPTS            extra seglake-mount options (e.g. -o writeback_cache)
#   --json             print one JSON document on standard output instead of
#                      the table (progress always goes to standard error)
#   --keep             keep the scratch dir (logs, fio and meta JSON)
#   -h, --help         this text
#
# Needs fio and python3 (boto3 for the S3 parts of meta). A report: figures
# are printed whatever they are; a failure to mount or run exits 1, bad usage 2.
set -euo pipefail

die() { echo "run_fs_bench: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
say() { echo "$*" >&2; }

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=""
mount_bin=""
s3d_bin=""
scratch_parent="${TMPDIR:-/tmp}"
size="${SIZE:-4G}"
rand_size="${RAND_SIZE:-1G}"
runtime="${RUNTIME:-15}"
files=10000
entries=100000
puts=200
all_runs="seq-write,seq-read,rand-read,meta"
only=$all_runs
extra_opts=""
json=0
keep=0

while [ $# -gt 0 ]; do
  case "$1" in
    --mount) mount_bin=${2:?--mount needs a path}; shift 2 ;;
    --mount=*) mount_bin=${1#*=}; shift ;;
    --s3d) s3d_bin=${2:?--s3d needs a path}; shift 2 ;;
    --s3d=*) s3d_bin=${1#*=}; shift ;;
    --dir) scratch_parent=${2:?--dir needs a directory}; shift 2 ;;
    --dir=*) scratch_parent=${1#*=}; shift ;;
    --size) size=${2:?--size needs a size}; shift 2 ;;
    --size=*) size=${1#*=}; shift ;;
    --rand-size) rand_size=${2:?--rand-size needs a size}; shift 2 ;;
    --rand-size=*) rand_size=${1#*=}; shift ;;
    --runtime) runtime=${2:?--runtime needs seconds}; shift 2 ;;
    --runtime=*) runtime=${1#*=}; shift ;;
    --files) files=${2:?--files needs a number}; shift 2 ;;
    --files=*) files=${1#*=}; shift ;;
    --entries) entries=${2:?--entries needs a number}; shift 2 ;;
    --entries=*) entries=${1#*=}; shift ;;
    --puts) puts=${2:?--puts needs a number}; shift 2 ;;
    --puts=*) puts=${1#*=}; shift ;;
    --only) only=${2:?--only needs names}; shift 2 ;;
    --only=*) only=${1#*=}; shift ;;
    -o) extra_opts=${2:?-o needs options}; shift 2 ;;
    -o*) extra_opts=${1#-o}; shift ;;
    --json) json=1; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) say "run_fs_bench: unknown option $1"; usage >&2; exit 2 ;;
    *) [ -z "$build" ] || { say "run_fs_bench: one build dir only"; exit 2; }
       build=$1; shift ;;
  esac
done

for n in ${only//,/ }; do
  case ",$all_runs," in
    *",$n,"*) ;;
    *) say "run_fs_bench: unknown run '$n' (known: $all_runs)"; exit 2 ;;
  esac
done
wants() { case ",$only," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
case "$runtime" in ''|*[!0-9]*) say "run_fs_bench: --runtime takes whole seconds"; exit 2 ;; esac
for v in "$files" "$entries" "$puts"; do
  case "$v" in ''|*[!0-9]*|0) say "run_fs_bench: counts must be positive integers"; exit 2 ;; esac
done

optimized_build() {  # is the build dir $1 an optimized, non-sanitizer build?
  local cache="$1/CMakeCache.txt"
  [ -f "$cache" ] || return 1
  grep -qE '^CMAKE_BUILD_TYPE:[A-Z]+=(Release|RelWithDebInfo|MinSizeRel)$' "$cache" || return 1
  ! grep -qE '^SEGLAKE_(SANITIZE|FUZZ):BOOL=(ON|TRUE|1)$' "$cache"
}
if [ -z "$build" ] && [ -z "$mount_bin" ]; then
  # The build dir of the newest seglake-mount in an optimized build under the repo.
  while read -r path; do
    dir=$(dirname "$(dirname "$path")")
    if optimized_build "$dir"; then build=$dir; break; fi
  done < <(find "$repo"/build* -path '*/fuse/seglake-mount' -type f -perm -u+x \
             -printf '%T@ %p\n' 2>/dev/null | sort -rn | cut -d' ' -f2-)
fi
if [ -n "$build" ]; then
  [ -d "$build" ] || die "no build dir $build"
  build=$(cd "$build" && pwd)
  [ -n "$mount_bin" ] || mount_bin="$build/fuse/seglake-mount"
  [ -n "$s3d_bin" ] || s3d_bin="$build/s3d/server/seglake-s3d"
  bench_bin="$build/s3d/bench/seglake-bench"
else
  bench_bin=""
fi
[ -n "$mount_bin" ] && [ -x "$mount_bin" ] ||
  die "no seglake-mount binary (build it: cmake --build --preset release, or pass BUILD_DIR or --mount)"
command -v python3 >/dev/null || die "python3 is needed"
if wants seq-write || wants seq-read || wants rand-read; then
  command -v fio >/dev/null || die "fio is needed (apt-get install fio / brew install fio)"
fi
if wants seq-read && ! wants seq-write; then
  die "seq-read reads the file seq-write writes: add seq-write to --only"
fi
os=$(uname -s)

mkdir -p "$scratch_parent"
scratch=$(mktemp -d "$scratch_parent/seglake-fsbench.XXXXXX")
scratch=$(cd "$scratch" && pwd -P)
data="$scratch/data"
local_dir="$scratch/local"
mnt="$scratch/mnt"
mkdir -p "$local_dir" "$mnt"
mount_pid=""
s3d_pid=""

is_mounted() {
  if [ -r /proc/self/mountinfo ]; then
    awk -v m="$mnt" '$5 == m {found = 1} END {exit !found}' /proc/self/mountinfo
  else
    mount | grep -qF " on $mnt "
  fi
}
unmount() {
  if [ "$os" = Darwin ]; then umount "$mnt"; else fusermount3 -u "$mnt"; fi
}
cleanup() {
  local rc=$?
  if [ -n "$s3d_pid" ] && kill -0 "$s3d_pid" 2>/dev/null; then
    kill -TERM "$s3d_pid" 2>/dev/null || true
    wait "$s3d_pid" 2>/dev/null || true
  fi
  if is_mounted; then
    unmount 2>/dev/null || { [ "$os" = Darwin ] || fusermount3 -uz "$mnt" 2>/dev/null || true; }
  fi
  if [ -n "$mount_pid" ] && kill -0 "$mount_pid" 2>/dev/null; then
    kill -TERM "$mount_pid" 2>/dev/null || true
    wait "$mount_pid" 2>/dev/null || true
  fi
  if [ "$keep" = 1 ]; then
    say "run_fs_bench: kept $scratch"
  elif [ "$rc" != 0 ] && [ "$rc" != 2 ] && [ "$rc" != 130 ]; then
    # A failed run keeps its logs and results, not its gigabytes of data.
    local logs
    logs=$(mktemp -d "$scratch_parent/seglake-fsbench-logs.XXXXXX")
    cp "$scratch"/*.log "$scratch"/*.json "$scratch"/*.out "$logs"/ 2>/dev/null || true
    rm -rf "$scratch"
    say "run_fs_bench: logs of the failed run in $logs"
  else
    rm -rf "$scratch"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "== seglake mount benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
say "host: $(uname -srm), $(getconf _NPROCESSORS_ONLN) CPUs; load:$(uptime | sed 's/.*load average[s]*: / /')"
say "mount: $mount_bin"
say "scratch: $scratch ($(df -P "$scratch" | awk 'NR==2 {print $1}'), data dir and local dir side by side)"

# ---- mount -------------------------------------------------------------------
opts=$extra_opts
mount_args=(-f)
[ -z "$opts" ] || mount_args+=(-o "$opts")
"$mount_bin" "${mount_args[@]}" "$data" "$mnt" 2>"$scratch/mount.log" &
mount_pid=$!
for _ in $(seq 1 300); do
  is_mounted && break
  kill -0 "$mount_pid" 2>/dev/null || { cat "$scratch/mount.log" >&2; die "seglake-mount exited before mounting"; }
  sleep 0.1
done
is_mounted || { cat "$scratch/mount.log" >&2; die "seglake-mount did not mount in 30 s"; }
say "seglake-mount (pid $mount_pid) mounted $data at $mnt${opts:+ (-o $opts)}"
mkdir "$mnt/bench" || die "cannot create the bucket directory $mnt/bench"
mkdir -p "$local_dir/bench"
work_mnt="$mnt/bench"
work_local="$local_dir/bench"

can_drop=0
if [ -w /proc/sys/vm/drop_caches ]; then can_drop=1; fi
drop_caches() {  # 0 when dropped
  sync
  [ "$can_drop" = 1 ] && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
}

now() { python3 -c 'import time; print(time.time())'; }

# fio_run NAME SIDE DIR ARGS...: runs fio in DIR, its JSON to $scratch/fio-NAME-SIDE.json
# and the wall time to $scratch/fio-NAME-SIDE.wall.
fio_run() {
  local name=$1 side=$2 dir=$3
  shift 3
  local t0 t1 rc=0
  t0=$(now)
  (cd "$dir" && fio --name="$name" --ioengine=psync --fallocate=none --output-format=json \
      --output="$scratch/fio-$name-$side.json" "$@") >"$scratch/fio-$name-$side.out" 2>&1 || rc=$?
  t1=$(now)
  echo "$t0 $t1" >"$scratch/fio-$name-$side.wall"
  if [ "$rc" != 0 ]; then
    say "   fio $name on the $side side failed (exit $rc):"
    sed 's/^/     /' "$scratch/fio-$name-$side.out" | tail -n 8 >&2
    rm -f "$scratch/fio-$name-$side.json"
    return 1
  fi
}
fio_both() {  # NAME ARGS...: local first, then the mount
  local name=$1
  shift
  say "-- $name: fio $*"
  fio_run "$name" local "$work_local" "$@" || true
  if [ "$name" = seq-read-cold ]; then drop_caches || true; fi
  fio_run "$name" mount "$work_mnt" "$@" || true
  kill -0 "$mount_pid" 2>/dev/null || die "seglake-mount died during $name (log: $scratch/mount.log)"
}

dropped=0
if wants seq-write; then
  fio_both seq-write --rw=write --bs=1M --size="$size" --end_fsync=1 --filename=seq.dat
fi
if wants seq-read; then
  if drop_caches; then dropped=1; fi
  fio_both seq-read-cold --rw=read --bs=1M --size="$size" --filename=seq.dat
  # The cold read of the mount dropped the local file's pages: read both once.
  cat "$work_local/seq.dat" >/dev/null
  cat "$work_mnt/seq.dat" >/dev/null
  fio_both seq-read-warm --rw=read --bs=1M --size="$size" --filename=seq.dat --invalidate=0
fi
if wants rand-read; then
  say "-- rand-read: writing and reading the $rand_size file once on each side"
  fio_run rand-prep local "$work_local" --rw=write --bs=1M --size="$rand_size" --end_fsync=1 \
    --filename=rand.dat || die "could not write the rand-read file"
  fio_run rand-prep mount "$work_mnt" --rw=write --bs=1M --size="$rand_size" --end_fsync=1 \
    --filename=rand.dat || die "could not write the rand-read file in the mount"
  cat "$work_local/rand.dat" >/dev/null
  cat "$work_mnt/rand.dat" >/dev/null
  fio_both rand-read --rw=randread --bs=4k --size="$rand_size" --filename=rand.dat \
    --invalidate=0 --norandommap --randrepeat=0 --time_based --runtime="$runtime"
fi
rm -f "$work_local/seq.dat" "$work_local/rand.dat"

# ---- metadata ----------------------------------------------------------------
if wants meta; then
  meta_args=(--files "$files" --entries "$entries" --puts "$puts" --json)
  if [ -n "$s3d_bin" ] && [ -x "$s3d_bin" ] && python3 -c 'import boto3' 2>/dev/null; then
    access_key=AKIASEGLAKEFSBENCH01
    secret_key=seglake-fsbench-secret-0123456789abcdef
    "$s3d_bin" --data-dir "$data" --listen 127.0.0.1:0 --access-key "$access_key" \
      --secret-key "$secret_key" 2>"$scratch/s3d.log" &
    s3d_pid=$!
    endpoint=""
    for _ in $(seq 1 300); do
      endpoint=$(sed -n 's/.*seglake-s3d listening on \(http:\/\/[^ ]*\).*/\1/p' "$scratch/s3d.log" | head -n1)
      [ -n "$endpoint" ] && break
      kill -0 "$s3d_pid" 2>/dev/null || { cat "$scratch/s3d.log" >&2; die "seglake-s3d exited"; }
      sleep 0.1
    done
    [ -n "$endpoint" ] || die "seglake-s3d did not start in 30 s"
    say "seglake-s3d (pid $s3d_pid) on the same data dir, $endpoint"
    meta_args+=(--endpoint "$endpoint" --access-key "$access_key" --secret-key "$secret_key"
                --bucket bench --key-prefix "meta/")
    [ ! -x "${bench_bin:-}" ] || meta_args+=(--seglake-bench "$bench_bin")
  else
    say "-- meta: no seglake-s3d or no boto3: the S3 parts are skipped"
  fi
  mkdir -p "$work_local/meta" "$work_mnt/meta"
  say "-- meta: fs_meta_bench.py ${meta_args[*]}"
  meta_rc=0
  python3 "$here/fs_meta_bench.py" "${meta_args[@]}" "$work_mnt/meta" "$work_local/meta" \
    >"$scratch/meta.json" || meta_rc=$?
  [ "$meta_rc" = 0 ] || say "   fs_meta_bench.py exited $meta_rc"
  kill -0 "$mount_pid" 2>/dev/null || die "seglake-mount died during meta (log: $scratch/mount.log)"
fi

# ---- stop --------------------------------------------------------------------
rss_kib=0
if [ -r "/proc/$mount_pid/status" ]; then
  rss_kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$mount_pid/status")
fi
if [ -n "$s3d_pid" ]; then
  kill -TERM "$s3d_pid" 2>/dev/null || true
  wait "$s3d_pid" 2>/dev/null || true
  s3d_pid=""
fi
unmount_rc=0
unmount 2>"$scratch/unmount.err" || unmount_rc=$?
mount_rc=0
wait "$mount_pid" || mount_rc=$?
mount_pid=""
say "unmount exited $unmount_rc; seglake-mount exited $mount_rc"

# ---- report ------------------------------------------------------------------
FS_BENCH_DIR="$here" python3 - "$scratch" "$size" "$rand_size" "$runtime" "$dropped" "$rss_kib" "$mount_rc" \
  "$unmount_rc" "$json" "$opts" <<'EOF'
import json, os, sys
scratch, size, rand_size, runtime, dropped, rss_kib, mount_rc, unmount_rc, as_json, opts = sys.argv[1:]
dropped, as_json = dropped == "1", as_json == "1"

def fio(name, side):
    try:
        d = json.load(open(os.path.join(scratch, "fio-%s-%s.json" % (name, side))))
        t0, t1 = (float(x) for x in open(os.path.join(scratch, "fio-%s-%s.wall" % (name, side))).read().split())
    except (OSError, ValueError):
        return None
    job = d["jobs"][0]
    op = job["write"] if job["write"]["io_bytes"] else job["read"]
    clat = op.get("clat_ns", {}).get("percentile", {})
    return {"bytes": op["io_bytes"], "fio_mib_s": op["bw_bytes"] / 1048576.0,
            "wall_s": t1 - t0, "wall_mib_s": op["io_bytes"] / 1048576.0 / (t1 - t0),
            "iops": op["iops"], "clat_p50_us": clat.get("50.000000", 0) / 1000.0,
            "clat_p99_us": clat.get("99.000000", 0) / 1000.0}

res = {"config": {"size": size, "rand_size": rand_size, "runtime_s": int(runtime),
                  "caches_dropped": dropped, "mount_options": opts},
       "fio": {}, "meta": None,
       "mount": {"peak_rss_mib": int(rss_kib) / 1024.0, "exit_status": int(mount_rc),
                 "unmount_status": int(unmount_rc)}}
rows = []
def ratio(m, l):
    return "%.2fx" % (m / l) if m and l else "-"

for name, label, key, unit in (
        ("seq-write", "seq write 1 MiB, %s + fsync" % size, "wall_mib_s", "MiB/s"),
        ("seq-read-cold", "seq read 1 MiB, %s, %s" % (size, "cold" if dropped else "cache NOT dropped"),
         "fio_mib_s", "MiB/s"),
        ("seq-read-warm", "seq read 1 MiB, %s, warm" % size, "fio_mib_s", "MiB/s"),
        ("rand-read", "rand read 4 KiB of %s, warm" % rand_size, "iops", "IOPS")):
    m, l = fio(name, "mount"), fio(name, "local")
    if m is None and l is None:
        continue
    res["fio"][name] = {"mount": m, "local": l}
    mv, lv = (m or {}).get(key), (l or {}).get(key)
    rows.append((label, "%.0f" % mv if mv else "FAILED" if m is None else "0",
                 "%.0f" % lv if lv else "FAILED" if l is None else "0", unit, ratio(mv, lv)))
    if name == "rand-read" and m and l:
        rows.append(("  latency p50 / p99", "%.0f / %.0f" % (m["clat_p50_us"], m["clat_p99_us"]),
                     "%.0f / %.0f" % (l["clat_p50_us"], l["clat_p99_us"]), "us",
                     ratio(m["clat_p50_us"], l["clat_p50_us"]) + " p50"))

meta = None
try:
    meta = json.load(open(os.path.join(scratch, "meta.json")))
except (OSError, ValueError):
    pass
res["meta"] = meta
notes = []
if meta:
    sys.path.insert(0, os.environ.get("FS_BENCH_DIR", ""))
    from fs_meta_bench import rows_of  # noqa: E402
    rows += rows_of(meta)

if as_json:
    print(json.dumps(res, indent=1))
    sys.exit(0)

head = ("workload", "mount", "local", "unit", "mount/local")
w = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
fmt = "%%-%ds  %%%ds  %%%ds  %%-%ds  %%s" % tuple(w[:4])
print()
print(fmt % head)
print(fmt % tuple("-" * n for n in w))
for r in rows:
    print(fmt % r)
print()
if meta:
    obs = meta.get("rename_observed", {}).get("mount")
    if obs:
        print("rename atomicity, mount: %d listings of the parent during the rename, %d with both "
              "names or neither" % (obs["listings"], obs["both_or_neither"]))
        if "s3_listings" in obs:
            print("rename atomicity, S3:    %d ListObjectsV2 during the rename, %d with both "
                  "prefixes or neither" % (obs["s3_listings"], obs["s3_both_or_neither"]))
    for side in ("mount", "local"):
        s = meta.get("readdir_setup", {}).get(side)
        if s:
            print("readdir entries, %s: %s, %.1f s = %.0f/s" % (side, s["how"], s["seconds"], s["per_s"]))
    v = meta.get("visible")
    if v:
        print("S3 PUT -> visible: %d PUTs of each kind, one at a time; the PUTs themselves p50 "
              "%.1f ms, p99 %.1f ms" % (v["puts"], v["put_p50_ms"], v["put_p99_ms"]))
    for c in meta.get("checks", []):
        print("CHECK FAILED: " + c)
print("seglake-mount peak RSS (VmHWM): %.0f MiB; exit status after unmount: %s%s" % (
    int(rss_kib) / 1024.0, mount_rc, "" if unmount_rc == "0" else " (unmount failed: %s)" % unmount_rc))
print("Reads in the mount go through seglake-mount, which reads the data dir's segment files: "
      "'cold' reads come from the disk on both sides%s; 'warm' mount reads come from the page "
      "cache of the segment files (and of the mount's own pages when the kernel keeps them), "
      "local ones from the local file's page cache." % ("" if dropped else
      " only when caches can be dropped (run as root); here they were NOT dropped"))
EOF
