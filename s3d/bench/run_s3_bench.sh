#!/usr/bin/env bash
# run_s3_bench.sh: measures seglake-s3d against the disk it runs on.
#
# Starts seglake-s3d on a fresh data dir on 127.0.0.1 (a free port), measures
# the disk's baselines in the same run (fio if installed, else dd), runs
# seglake-bench through the workloads below, samples the server's peak RSS and
# prints each figure beside its target. Takes about two minutes with the
# default 10 s per workload.
#
#   4 MiB PUT, concurrency 4 (seed-put)     p99 <= 100 ms
#   64 MiB multipart PUT (seed-mpu)         p99 <= 1 s, Complete p99 <= 20 ms
#   64 MiB PUT, concurrency 4               >= 50% of raw write+fdatasync MiB/s
#   64 MiB GET, concurrency 4               >= 50% of raw sequential read MiB/s
#   4 KiB PUT, concurrency 64               >= 3,000 ops/s
#   4 KiB GET, concurrency 64               >= 20,000 ops/s, p99 <= 10 ms
#   idle connections (10,000)               <= 16 KiB of server RSS each
#   4 KiB GET c=64 beside 10,000 slowloris  p99 <= 2x the p99 without them
#     connections (s3d/bench/trickle.py: one head byte per second each)
#   server peak RSS (VmHWM)                 <= 256 MiB
#
# Usage: run_s3_bench.sh [OPTIONS] [SEGLAKE_S3D]
#   --s3d PATH        the seglake-s3d binary (default: the newest build*/**/seglake-s3d
#                     of a Release build without sanitizers)
#   --bench PATH      the seglake-bench binary (default: likewise)
#   --dir DIR         scratch space on the disk to measure (default: $TMPDIR or /tmp)
#   --duration TIME   measured time of each workload (default 10s)
#   --only NAMES      comma-separated subset: seed-put,seed-mpu,put-64m,get-64m,put-4k,get-4k,
#                     idle-conns,slowloris (slowloris compares with get-4k)
#   --perf NAMES      record the server with perf(1) during these runs (comma-
#                     separated, or "all") and print its hottest symbols
#   --keep            keep the scratch dir (data dir, server log, JSON results)
#   -h, --help        this text
#
# Only loopback traffic: the server listens on 127.0.0.1 and seglake-bench
# refuses any other endpoint. A report: a missed target does not change the
# exit status; a failure to start or run does (1), bad usage is 2.
set -euo pipefail

die() { echo "run_s3_bench: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
s3d=""
bench=""
scratch_parent="${TMPDIR:-/tmp}"
duration=10s
only="seed-put,seed-mpu,put-64m,get-64m,put-4k,get-4k,idle-conns,slowloris"
keep=0
perf_runs=""

while [ $# -gt 0 ]; do
  case "$1" in
    --s3d) s3d=${2:?--s3d needs a path}; shift 2 ;;
    --s3d=*) s3d=${1#*=}; shift ;;
    --bench) bench=${2:?--bench needs a path}; shift 2 ;;
    --bench=*) bench=${1#*=}; shift ;;
    --dir) scratch_parent=${2:?--dir needs a directory}; shift 2 ;;
    --dir=*) scratch_parent=${1#*=}; shift ;;
    --duration) duration=${2:?--duration needs a time}; shift 2 ;;
    --duration=*) duration=${1#*=}; shift ;;
    --only) only=${2:?--only needs names}; shift 2 ;;
    --only=*) only=${1#*=}; shift ;;
    --perf) perf_runs=${2:?--perf needs run names}; shift 2 ;;
    --perf=*) perf_runs=${1#*=}; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "run_s3_bench: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) [ -z "$s3d" ] || { echo "run_s3_bench: one server path only" >&2; exit 2; }
       s3d=$1; shift ;;
  esac
done

optimized_build() {  # is the build dir of $1 an optimized, non-sanitizer build?
  local rel=${1#"$repo"/} cache
  cache="$repo/${rel%%/*}/CMakeCache.txt"
  [ -f "$cache" ] || return 1
  grep -qE '^CMAKE_BUILD_TYPE:[A-Z]+=(Release|RelWithDebInfo|MinSizeRel)$' "$cache" || return 1
  ! grep -qE '^SEGLAKE_(SANITIZE|FUZZ):BOOL=(ON|TRUE|1)$' "$cache"
}
newest() {  # the newest executable named $1 in an optimized build dir of the repo
  local path
  find "$repo"/build* -name "$1" -type f -perm -u+x -printf '%T@ %p\n' 2>/dev/null |
    sort -rn | cut -d' ' -f2- | while read -r path; do
      if optimized_build "$path"; then echo "$path"; break; fi
    done
}
[ -n "$s3d" ] || s3d=$(newest seglake-s3d)
[ -n "$bench" ] || bench=$(newest seglake-bench)
[ -x "$s3d" ] || die "no seglake-s3d binary (build it, or pass its path)"
[ -x "$bench" ] || die "no seglake-bench binary (build it, or pass --bench)"
command -v python3 >/dev/null || die "python3 is needed to read the JSON results"
all_runs="seed-put,seed-mpu,put-64m,get-64m,put-4k,get-4k,idle-conns,slowloris"
[ "$perf_runs" != all ] || perf_runs=$only
for n in ${only//,/ } ${perf_runs//,/ }; do
  case ",$all_runs," in
    *",$n,"*) ;;
    *) echo "run_s3_bench: unknown run '$n' (known: $all_runs)" >&2; exit 2 ;;
  esac
done
[ -z "$perf_runs" ] || command -v perf >/dev/null || die "--perf needs perf (apt-get install linux-perf)"

mkdir -p "$scratch_parent"
scratch=$(mktemp -d "$scratch_parent/seglake-s3bench.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$keep" = 1 ]; then
    echo "run_s3_bench: kept $scratch" >&2
  else
    rm -rf "$scratch"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== seglake S3 benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "host: $(uname -srm), $(nproc) CPUs; load:$(uptime | sed 's/.*load average: / /')"
echo "server: $s3d"
echo "bench:  $bench"
echo "scratch: $scratch ($(df -hT "$scratch" | awk 'NR==2 {print $2 " on " $1}'))"
echo

# ---- disk baselines -----------------------------------------------------
mib_per_s() {  # bytes seconds
  python3 -c "import sys; b, s = float(sys.argv[1]), float(sys.argv[2]); print('%.1f' % (b / s / 1048576 if s > 0 else 0))" "$1" "$2"
}
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$1" "$2"; }

base_bytes=$((1024 * 1024 * 1024))
base_file="$scratch/baseline.dat"
read_mode="O_DIRECT"
if command -v fio >/dev/null; then
  tool="fio $(fio --version 2>/dev/null)"
  t0=$(now)
  fio --name=write --filename="$base_file" --rw=write --bs=1M --size=$base_bytes \
      --ioengine=psync --end_fsync=1 --fdatasync=0 --output=/dev/null >/dev/null 2>&1 ||
    die "fio write failed"
  t1=$(now)
  raw_write=$(mib_per_s $base_bytes "$(elapsed "$t0" "$t1")")
  t0=$(now)
  if ! fio --name=read --filename="$base_file" --rw=read --bs=1M --size=$base_bytes \
        --ioengine=psync --direct=1 --output=/dev/null >/dev/null 2>&1; then
    read_mode="page cache"
    fio --name=read --filename="$base_file" --rw=read --bs=1M --size=$base_bytes \
        --ioengine=psync --output=/dev/null >/dev/null 2>&1 || die "fio read failed"
  fi
  t1=$(now)
  raw_read=$(mib_per_s $base_bytes "$(elapsed "$t0" "$t1")")
else
  tool="dd"
  t0=$(now)
  dd if=/dev/zero of="$base_file" bs=1M count=1024 conv=fdatasync status=none || die "dd write failed"
  t1=$(now)
  raw_write=$(mib_per_s $base_bytes "$(elapsed "$t0" "$t1")")
  t0=$(now)
  if ! dd if="$base_file" of=/dev/null bs=1M iflag=direct status=none 2>/dev/null; then
    read_mode="page cache"
    dd if="$base_file" of=/dev/null bs=1M status=none || die "dd read failed"
  fi
  t1=$(now)
  raw_read=$(mib_per_s $base_bytes "$(elapsed "$t0" "$t1")")
fi
t0=$(now)
cat "$base_file" >/dev/null
t1=$(now)
cached_read=$(mib_per_s $base_bytes "$(elapsed "$t0" "$t1")")
rm -f "$base_file"
echo "disk baselines ($tool, 1 GiB, 1 MiB blocks):"
echo "  sequential write + fdatasync  $raw_write MiB/s"
echo "  sequential read ($read_mode)   $raw_read MiB/s"
echo "  page-cache read (cat)         $cached_read MiB/s"
echo

# ---- server ---------------------------------------------------------------
access_key=AKIASEGLAKEBENCH0001
secret_key=seglake-bench-secret-0123456789abcdefghij
data="$scratch/data"
mkdir -p "$data"
"$s3d" --data-dir "$data" --listen 127.0.0.1:0 --access-key "$access_key" \
  --secret-key "$secret_key" 2>"$scratch/s3d.log" &
server_pid=$!
endpoint=""
for _ in $(seq 1 300); do
  endpoint=$(sed -n 's/.*seglake-s3d listening on \(http:\/\/[^ ]*\).*/\1/p' "$scratch/s3d.log" | head -n1)
  [ -n "$endpoint" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$scratch/s3d.log" >&2; die "seglake-s3d exited"; }
  sleep 0.1
done
[ -n "$endpoint" ] || { cat "$scratch/s3d.log" >&2; die "seglake-s3d did not start in 30 s"; }
echo "seglake-s3d (pid $server_pid) listening on $endpoint"

server_cpu_ticks() {  # utime + stime of the server, in clock ticks
  awk '{print $14 + $15}' "/proc/$server_pid/stat" 2>/dev/null || echo 0
}
busy_cpu_ticks() {  # busy time of all CPUs, in clock ticks
  awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat
}
clk_tck=$(getconf CLK_TCK)
peak_rss_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0; }

export AWS_ACCESS_KEY_ID=$access_key AWS_SECRET_ACCESS_KEY=$secret_key
run() {  # name, then seglake-bench flags
  local name=$1
  shift
  case ",$only," in *",$name,"*) ;; *) return 0 ;; esac
  echo
  echo "-- $name: $*"
  local rc=0 perf_pid=""
  case ",$perf_runs," in
    *",$name,"*)
      perf record -F 499 -g -p "$server_pid" -o "$scratch/$name.perf" >/dev/null 2>&1 &
      perf_pid=$!
      sleep 0.5 ;;
  esac
  local cpu0 busy0 t0 cpu1 busy1 t1 TIMEFORMAT='%U %S'
  cpu0=$(server_cpu_ticks)
  busy0=$(busy_cpu_ticks)
  t0=$(now)
  { time "$bench" --endpoint "$endpoint" --duration "$duration" --keep --json "$@" \
      >"$scratch/$name.json" 2>"$scratch/$name.err"; } 2>"$scratch/$name.time" || rc=$?
  cpu1=$(server_cpu_ticks)
  busy1=$(busy_cpu_ticks)
  t1=$(now)
  sed 's/^/   /' "$scratch/$name.err"
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    perf report -i "$scratch/$name.perf" --no-children --sort dso,symbol -g none --stdio \
      2>/dev/null | grep -v '^#' | grep -v '^$' >"$scratch/$name.perf.txt" || true
    echo "   server profile (perf, self time), top 25 of $scratch/$name.perf.txt:"
    head -n 25 "$scratch/$name.perf.txt" | cut -c1-150 | sed 's/^/   /'
  fi
  if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then
    rm -f "$scratch/$name.json"
    echo "   seglake-bench failed (exit $rc)"
  fi
  kill -0 "$server_pid" 2>/dev/null || die "seglake-s3d died during $name (log: $scratch/s3d.log)"
  python3 - "$scratch/$name.json" "$cpu0" "$cpu1" "$busy0" "$busy1" "$clk_tck" "$t0" "$t1" \
    "$(cat "$scratch/$name.time" 2>/dev/null)" <<'EOF' || true
import json, os, sys
cpu0, cpu1, busy0, busy1, tck, t0, t1 = (float(x) for x in sys.argv[2:9])
try:
    bench_cpu = sum(float(x) for x in sys.argv[9].split())
except ValueError:
    bench_cpu = 0.0
try:
    d = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(0)
print("   %-13s %8s %6s %9s %9s %8s %8s %8s %8s %9s" % (
    "op", "ok", "errors", "ops/s", "MiB/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "ttfb p99"))
for op, o in d["ops"].items():
    l = o["latency_ms"]
    t = o.get("ttfb_ms", {}).get("p99")
    print("   %-13s %8d %6d %9.1f %9.1f %8.2f %8.2f %8.2f %8.2f %9s" % (
        op, o["ok"], o["errors"], o["ops_per_s"], o["mib_per_s"], l["p50"], l["p95"],
        l["p99"], l["max"], "-" if t is None else "%.2f" % t))
    if o["errors"]:
        print("   %s first error: %s" % (op, o.get("first_error", "")))
wall = t1 - t0 if t1 > t0 else 1.0
server = (cpu1 - cpu0) / tck / wall
bench = bench_cpu / wall
busy = (busy1 - busy0) / tck / wall
print("   CPU cores used over the %.1f s invocation (preparation included): seglake-s3d %.2f, "
      "seglake-bench %.2f, other processes %.2f; %d cores" % (
          wall, server, bench, max(0.0, busy - server - bench), os.cpu_count()))
if d.get("note"):
    print("   note: " + d["note"])
EOF
}

port=${endpoint##*:}
run seed-put --workload seed-put
run seed-mpu --workload seed-mpu
run put-64m --workload put --size 64MiB --concurrency 4
run get-64m --workload get --size 64MiB --concurrency 4 --objects 8
run put-4k --workload put --size 4KiB --concurrency 64
run get-4k --workload get --size 4KiB --concurrency 64 --objects 1000

# Connections that cost the server nothing but memory: 10,000 silent ones
# (RSS per connection), then 10,000 trickling heads beside the 4 KiB GETs.
case ",$only," in *",idle-conns,"*)
  echo
  echo "-- idle-conns: 10,000 silent connections"
  python3 "$here/trickle.py" --port "$port" --connections 10000 --seconds 1 --mode idle \
    --pid "$server_pid" | tee "$scratch/idle-conns.txt" | sed 's/^/   /' || true ;;
esac
case ",$only," in *",slowloris,"*)
  python3 "$here/trickle.py" --port "$port" --connections 10000 --mode slowloris \
    --seconds "$(( ${duration%s} + 20 ))" >"$scratch/trickle.txt" 2>&1 &
  trickle_pid=$!
  sleep 5
  run slowloris --workload get --size 4KiB --concurrency 64 --objects 1000
  kill "$trickle_pid" 2>/dev/null || true
  wait "$trickle_pid" 2>/dev/null || true ;;
esac

rss_kib=$(peak_rss_kib)
echo
echo "server peak RSS (VmHWM): $((rss_kib / 1024)) MiB; data dir: $(du -sh "$data" | cut -f1)"

# ---- summary ------------------------------------------------------------
echo
python3 - "$scratch" "$raw_write" "$raw_read" "$read_mode" "$rss_kib" <<'EOF'
import json, os, sys
scratch, raw_write, raw_read, read_mode, rss_kib = sys.argv[1:]
raw_write, raw_read, rss_mib = float(raw_write), float(raw_read), int(rss_kib) / 1024

def load(name):
    try:
        return json.load(open(os.path.join(scratch, name + ".json")))
    except (OSError, ValueError):
        return None

rows = []
def row(label, value, target, ok, errors=0):
    if ok is None:
        verdict = "n/a"
    elif errors:
        verdict = "ERRORS"
    else:
        verdict = "PASS" if ok else "MISS"
    rows.append((label, value, target, verdict))

def op(d, name):
    return d["ops"].get(name) if d else None

def errs(d):
    return sum(o["errors"] for o in d["ops"].values()) if d else 0

d = load("seed-put"); o = op(d, "put")
if o:
    row("4 MiB PUT c=4 p99", "%.1f ms (p50 %.1f)" % (o["latency_ms"]["p99"], o["latency_ms"]["p50"]),
        "<= 100 ms", o["latency_ms"]["p99"] <= 100, errs(d))
elif d is not None or os.path.exists(os.path.join(scratch, "seed-put.err")):
    row("4 MiB PUT c=4 p99", "no result", "<= 100 ms", False)

d = load("seed-mpu"); o = op(d, "mpu"); c = op(d, "mpu_complete")
if o:
    row("64 MiB multipart PUT p99", "%.0f ms (p50 %.0f)" % (o["latency_ms"]["p99"], o["latency_ms"]["p50"]),
        "<= 1000 ms", o["latency_ms"]["p99"] <= 1000, errs(d))
if c:
    row("  multipart Complete p99", "%.1f ms (p50 %.1f)" % (c["latency_ms"]["p99"], c["latency_ms"]["p50"]),
        "<= 20 ms", c["latency_ms"]["p99"] <= 20, errs(d))
if d and not o:
    row("64 MiB multipart PUT p99", "no upload completed", "<= 1000 ms", False, errs(d))

d = load("put-64m"); o = op(d, "put")
if o:
    ratio = o["mib_per_s"] / raw_write if raw_write else 0
    row("64 MiB PUT c=4", "%.0f MiB/s = %.1f%% of %.0f" % (o["mib_per_s"], 100 * ratio, raw_write),
        ">= 50% raw write+sync", ratio >= 0.5, errs(d))

d = load("get-64m"); o = op(d, "get")
if o:
    ratio = o["mib_per_s"] / raw_read if raw_read else 0
    row("64 MiB GET c=4", "%.0f MiB/s = %.1f%% of %.0f" % (o["mib_per_s"], 100 * ratio, raw_read),
        ">= 50%% raw read (%s)" % read_mode, ratio >= 0.5, errs(d))

d = load("put-4k"); o = op(d, "put")
if o:
    row("4 KiB PUT c=64", "%.0f ops/s (p99 %.1f ms)" % (o["ops_per_s"], o["latency_ms"]["p99"]),
        ">= 3000 ops/s", o["ops_per_s"] >= 3000, errs(d))

d = load("get-4k"); o = op(d, "get")
if o:
    row("4 KiB GET c=64", "%.0f ops/s (p99 %.1f ms)" % (o["ops_per_s"], o["latency_ms"]["p99"]),
        ">= 20000 ops/s, p99 <= 10 ms",
        o["ops_per_s"] >= 20000 and o["latency_ms"]["p99"] <= 10, errs(d))

try:
    words = open(os.path.join(scratch, "idle-conns.txt")).read().split()
    each = float(words[words.index("KiB") + 2])
    row("idle connection (10,000 open)", "%.1f KiB of server RSS each" % each, "<= 16 KiB",
        each <= 16)
except (OSError, ValueError, IndexError):
    pass

d = load("slowloris"); o = op(d, "get"); base = op(load("get-4k"), "get")
if o and base:
    ratio = o["latency_ms"]["p99"] / base["latency_ms"]["p99"]
    row("4 KiB GET beside 10k slowloris", "p99 %.1f ms = %.2fx of %.1f (%.0f ops/s)" % (
        o["latency_ms"]["p99"], ratio, base["latency_ms"]["p99"], o["ops_per_s"]),
        "p99 <= 2x without", ratio <= 2, errs(d))

row("server peak RSS (VmHWM)", "%.0f MiB" % rss_mib, "<= 256 MiB",
    rss_mib <= 256 if rss_mib > 0 else None)

w = [max(len(r[i]) for r in rows + [("figure", "measured", "target", "result")]) for i in range(4)]
fmt = "%%-%ds  %%-%ds  %%-%ds  %%s" % (w[0], w[1], w[2])
print(fmt % ("figure", "measured", "target", "result"))
print(fmt % tuple("-" * n for n in w))
for r in rows:
    print(fmt % r)
EOF
echo
echo "load average at the end (counts the benchmark's own threads too):$(uptime | sed 's/.*load average: / /')"
