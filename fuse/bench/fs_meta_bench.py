#!/usr/bin/env python3
"""fs_meta_bench.py: metadata operations on a seglake mount beside a local dir.

Runs the same work in MOUNT_DIR (a directory inside a bucket of a running
seglake-mount) and in LOCAL_DIR (a plain directory, ideally on the file system
that holds the data dir), and prints each figure with the ratio mount/local:

  create   create+close of --files empty files, 1 thread and 4 threads (files/s)
  stat     os.stat of those files: the first pass, then repeated passes (/s)
  readdir  listing a directory of --entries entries (seconds): names only
           (os.listdir), twice, then names and attributes (os.scandir + stat,
           as `ls -l`); on the mount the entries are created over S3 with
           concurrency (seglake-bench, else boto3 threads), locally by threads
  rename   renaming a directory holding --files files (seconds), while an
           observer lists the parent without pause and counts snapshots that
           show both names or neither (a second observer does the same over
           S3 with ListObjectsV2); afterwards every file must be under the new
           name
  visible  S3 PUT -> visible in the mount, --puts PUTs of each kind, one at a
           time: new keys never looked up in the mount; new keys looked up
           (not found) just before the PUT, so the kernel caches a negative
           entry; overwrites of files read just before, so the kernel caches
           their attributes and pages. The time from the PUT's response until
           os.stat (new keys) or a read of the content (overwrites) in the
           mount shows it; p50/p99/max (mount only; needs --endpoint)

The S3 parts need --endpoint, --access-key, --secret-key, --bucket (the bucket
MOUNT_DIR lies in) and --key-prefix (MOUNT_DIR's path inside the bucket, "" for
the bucket's top directory).

Python adds about 1.3 us of interpreter time to each call; that matters only
for stats the kernel answers from its caches (see fuse/bench/README.md).

Usage: fs_meta_bench.py [OPTIONS] MOUNT_DIR LOCAL_DIR
  --files N            files for create, stat and rename (default 10000)
  --entries N          entries for readdir (default 100000)
  --puts N             PUTs for the visibility latency (default 200; at least 100
                       recommended)
  --only NAMES         comma-separated subset of create,stat,readdir,rename,visible
  --endpoint URL       S3 endpoint of seglake-s3d on the same data dir
  --access-key KEY / --secret-key SECRET / --region REGION
  --bucket NAME        the bucket MOUNT_DIR is in
  --key-prefix P       MOUNT_DIR's key prefix in the bucket ("" or "dir/")
  --seglake-bench PATH seglake-bench binary for creating the readdir entries
  --json               print one JSON document instead of the table
Exit status: 0 done (a failed check is reported, not fatal), 1 a step could not
run, 2 bad usage.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time

ALL = ["create", "stat", "readdir", "rename", "visible"]


def log(msg):
    print("fs_meta_bench: " + msg, file=sys.stderr, flush=True)


def now():
    return time.perf_counter()


def pct(values, p):
    """The p-th percentile (0..100) by nearest rank."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def run_threads(n, fn, args_of):
    """Runs fn(*args_of(i)) on n threads released together; returns seconds."""
    start = threading.Barrier(n + 1)
    errors = []

    def body(i):
        start.wait()
        try:
            fn(*args_of(i))
        except BaseException as e:  # reported by the caller
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    start.wait()
    t0 = now()
    for t in threads:
        t.join()
    elapsed = now() - t0
    if errors:
        raise errors[0]
    return elapsed


def create_files(paths):
    flags = os.O_CREAT | os.O_WRONLY | os.O_EXCL
    for p in paths:
        os.close(os.open(p, flags, 0o644))


# ---- S3 ---------------------------------------------------------------------

class S3:
    def __init__(self, a):
        import boto3  # only when the S3 parts run
        from botocore.config import Config
        self.bucket = a.bucket
        self.prefix = a.key_prefix
        self.client = boto3.client(
            "s3", endpoint_url=a.endpoint, aws_access_key_id=a.access_key,
            aws_secret_access_key=a.secret_key, region_name=a.region,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2},
                          max_pool_connections=64, connect_timeout=10, read_timeout=120))

    def key(self, rel):
        return self.prefix + rel

    def count(self, rel_prefix):
        """Keys under rel_prefix, not counting a directory marker."""
        n = 0
        for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.key(rel_prefix)):
            n += sum(1 for o in page.get("Contents", []) if not o["Key"].endswith("/"))
        return n


def s3_create_entries(a, s3, rel_dir, n):
    """Creates n empty objects under rel_dir/ over S3 with concurrency; returns
    (directory relative to MOUNT_DIR, seconds, method)."""
    if a.seglake_bench and os.access(a.seglake_bench, os.X_OK):
        # seglake-bench prepares --objects keys <prefix><run id>/obj-N at
        # --concurrency before a (here negligible) measured stat run.
        env = dict(os.environ, AWS_ACCESS_KEY_ID=a.access_key,
                   AWS_SECRET_ACCESS_KEY=a.secret_key)
        prefix = s3.key(rel_dir + "/")
        cmd = [a.seglake_bench, "--endpoint", a.endpoint, "--bucket", a.bucket, "--prefix",
               prefix, "--workload", "stat", "--objects", str(n), "--size", "1",
               "--concurrency", "32", "--duration", "100ms", "--keep", "--json"]
        t0 = now()
        r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        elapsed = now() - t0
        if r.returncode not in (0, 3):
            raise RuntimeError("seglake-bench failed (%d): %s" % (r.returncode, r.stderr[-2000:]))
        keys = s3.client.list_objects_v2(Bucket=a.bucket, Prefix=prefix, Delimiter="/")
        dirs = [p["Prefix"] for p in keys.get("CommonPrefixes", [])]
        if len(dirs) != 1:
            raise RuntimeError("seglake-bench left %d run dirs under %s" % (len(dirs), prefix))
        run_dir = dirs[0][len(s3.prefix):].rstrip("/")
        return run_dir, elapsed, "S3 PUTs of 1 byte by seglake-bench, 32 connections"
    # boto3 from 32 threads.
    from concurrent.futures import ThreadPoolExecutor

    def put(i):
        s3.client.put_object(Bucket=a.bucket, Key=s3.key("%s/obj-%d" % (rel_dir, i)), Body=b"x")

    t0 = now()
    with ThreadPoolExecutor(max_workers=32) as pool:
        for _ in pool.map(put, range(n), chunksize=256):
            pass
    return rel_dir, now() - t0, "S3 PUTs of 1 byte by boto3, 32 threads"


# ---- the measurements -----------------------------------------------------

def bench_create(a, root, results, label):
    base = os.path.join(root, "rename")  # create1 becomes the rename source
    os.makedirs(base, exist_ok=True)
    src = os.path.join(base, "src")
    os.mkdir(src)
    paths = [os.path.join(src, "f%06d" % i) for i in range(a.files)]
    t1 = run_threads(1, create_files, lambda i: (paths,))
    d4 = os.path.join(root, "create4")
    os.mkdir(d4)
    paths4 = [os.path.join(d4, "f%06d" % i) for i in range(a.files)]
    t4 = run_threads(4, create_files, lambda i: (paths4[i::4],))
    got = len(os.listdir(src)), len(os.listdir(d4))
    results.setdefault("create_1", {})[label] = a.files / t1
    results.setdefault("create_4", {})[label] = a.files / t4
    if got != (a.files, a.files):
        results.setdefault("checks", []).append(
            "%s: after creating %d files, readdir shows %d and %d" % (label, a.files, *got))
    log("%s: create 1 thread %.0f files/s, 4 threads %.0f files/s" %
        (label, a.files / t1, a.files / t4))


def bench_stat(a, root, results, label):
    src = os.path.join(root, "rename", "src")
    paths = [os.path.join(src, "f%06d" % i) for i in range(a.files)]
    if not os.path.isdir(src):
        create_files_dir(src, paths)
    t0 = now()
    for p in paths:
        os.stat(p)
    first = now() - t0
    passes = 3
    t0 = now()
    for _ in range(passes):
        for p in paths:
            os.stat(p)
    rep = now() - t0
    results.setdefault("stat_first", {})[label] = a.files / first
    results.setdefault("stat_repeat", {})[label] = passes * a.files / rep
    log("%s: stat first pass %.0f/s, repeated %.0f/s" %
        (label, a.files / first, passes * a.files / rep))


def create_files_dir(d, paths):
    os.makedirs(d, exist_ok=True)
    run_threads(4, create_files, lambda i: (paths[i::4],))


def bench_readdir(a, root, results, label, s3):
    if s3 is not None:
        run_dir, made, how = s3_create_entries(a, s3, "readdir", a.entries)
        d = os.path.join(root, run_dir)
        # Wait for the mount to follow (poll_ms) and for cached attributes
        # of the parent to expire, so the listing below is a first listing.
        deadline = now() + 30
        while not os.path.isdir(d) and now() < deadline:
            time.sleep(0.05)
        time.sleep(1.5)
    else:
        d = os.path.join(root, "readdir")
        paths = [os.path.join(d, "obj-%d" % i) for i in range(a.entries)]
        t0 = now()
        create_files_dir(d, paths)
        made, how = now() - t0, "create+close from 4 threads"
    results.setdefault("readdir_setup", {})[label] = {"seconds": made, "how": how,
                                                      "per_s": a.entries / made}
    t0 = now()
    n1 = len(os.listdir(d))
    first = now() - t0
    t0 = now()
    n2 = len(os.listdir(d))
    second = now() - t0
    t0 = now()
    n3 = 0
    with os.scandir(d) as it:
        for e in it:
            e.stat(follow_symlinks=False)
            n3 += 1
    long = now() - t0
    results.setdefault("readdir_1", {})[label] = first
    results.setdefault("readdir_2", {})[label] = second
    results.setdefault("readdir_l", {})[label] = long
    if (n1, n2, n3) != (a.entries,) * 3:
        results.setdefault("checks", []).append(
            "%s: a directory of %d entries listed %d, %d and %d entries" %
            (label, a.entries, n1, n2, n3))
    log("%s: %d entries made in %.1f s (%s); listdir %.3f s, again %.3f s, with stat %.3f s" %
        (label, a.entries, made, how, first, second, long))


def observe_listing(parent, names, stop, counts):
    """Lists `parent` until stop is set; counts snapshots by how many of
    `names` they hold."""
    a, b = names
    while not stop.is_set():
        try:
            entries = set(os.listdir(parent))
        except OSError as e:
            counts["errors"] += 1
            counts["last_error"] = str(e)
            continue
        counts[(a in entries) + (b in entries)] += 1


def observe_s3(s3, prefix, names, stop, counts):
    a, b = (prefix + n + "/" for n in names)
    while not stop.is_set():
        try:
            r = s3.client.list_objects_v2(Bucket=s3.bucket, Prefix=prefix, Delimiter="/")
        except Exception as e:  # noqa: BLE001 - counted and reported
            counts["errors"] += 1
            counts["last_error"] = str(e)
            continue
        seen = {p["Prefix"] for p in r.get("CommonPrefixes", [])}
        counts[(a in seen) + (b in seen)] += 1


def bench_rename(a, root, results, label, s3):
    parent = os.path.join(root, "rename")
    src, dst = os.path.join(parent, "src"), os.path.join(parent, "dst")
    if not os.path.isdir(src):
        create_files_dir(src, [os.path.join(src, "f%06d" % i) for i in range(a.files)])
    observers = []
    stop = threading.Event()
    fs_counts = {0: 0, 1: 0, 2: 0, "errors": 0}
    observers.append(threading.Thread(target=observe_listing,
                                      args=(parent, ("src", "dst"), stop, fs_counts)))
    s3_counts = None
    if s3 is not None:
        s3_counts = {0: 0, 1: 0, 2: 0, "errors": 0}
        observers.append(threading.Thread(
            target=observe_s3, args=(s3, s3.key("rename/"), ("src", "dst"), stop, s3_counts)))
    for t in observers:
        t.start()
    time.sleep(0.3)
    t0 = now()
    os.rename(src, dst)
    elapsed = now() - t0
    time.sleep(0.5 if s3 is None else 1.0)
    stop.set()
    for t in observers:
        t.join()
    moved = len(os.listdir(dst))
    left = os.path.exists(src)
    results.setdefault("rename", {})[label] = elapsed
    obs = {"listings": fs_counts[0] + fs_counts[1] + fs_counts[2],
           "both_or_neither": fs_counts[0] + fs_counts[2], "errors": fs_counts["errors"]}
    if s3_counts is not None:
        obs["s3_listings"] = s3_counts[0] + s3_counts[1] + s3_counts[2]
        obs["s3_both_or_neither"] = s3_counts[0] + s3_counts[2]
        obs["s3_errors"] = s3_counts["errors"]
    results.setdefault("rename_observed", {})[label] = obs
    checks = results.setdefault("checks", [])
    if obs["both_or_neither"]:
        checks.append("%s: rename: %d of %d listings of the parent showed both names or neither"
                      % (label, obs["both_or_neither"], obs["listings"]))
    if s3_counts is not None and obs["s3_both_or_neither"]:
        checks.append("%s: rename: %d of %d S3 listings showed both prefixes or neither"
                      % (label, obs["s3_both_or_neither"], obs["s3_listings"]))
    if moved != a.files or left:
        checks.append("%s: rename: readdir shows %d of %d files under the new name, old name %s" %
                      (label, moved, a.files, "still exists" if left else "gone"))
    if s3 is not None:
        in_dst, in_src = s3.count("rename/dst/"), s3.count("rename/src/")
        obs["s3_keys_after"] = {"dst": in_dst, "src": in_src}
        if (in_dst, in_src) != (a.files, 0):
            checks.append("%s: rename: over S3, %d of %d keys under the new name, %d under the old"
                          % (label, in_dst, a.files, in_src))
    log("%s: rename of a dir of %d files %.4f s; %d listings during it, %d with both/neither%s" %
        (label, a.files, elapsed, obs["listings"], obs["both_or_neither"],
         "" if s3_counts is None else "; S3: %d listings, %d with both/neither" %
         (obs["s3_listings"], obs["s3_both_or_neither"])))


def wait_visible(check, timeout=10.0):
    """Polls check() about every 0.2 ms; returns the time it first held, or None."""
    deadline = now() + timeout
    while True:
        if check():
            return now()
        if now() > deadline:
            return None
        time.sleep(0.0002)


def bench_visible(a, root, results, s3):
    """Three kinds of PUT, a.puts of each, one at a time: a new key never looked
    up in the mount; a new key whose name was looked up (and not found) just
    before, so the kernel holds a negative entry for it; an overwrite of a key
    whose content was read in the mount just before, so the kernel holds its
    attributes and pages. The second shows only once the mount has seen the
    change in the data dir's change sequence and dropped the kernel's entry;
    the others as soon as the mount is asked (a lookup, an open)."""
    d = os.path.join(root, "visible")
    os.makedirs(d, exist_ok=True)
    time.sleep(0.5)
    lat = {"fresh": [], "negative": [], "overwrite": []}
    put_lat, missed = [], 0

    def exists_with(path, size):
        try:
            return os.stat(path).st_size == size
        except FileNotFoundError:
            return False

    def reads(path, body):
        try:
            with open(path, "rb") as f:
                return f.read() == body
        except FileNotFoundError:
            return False

    for kind in ("fresh", "negative", "overwrite"):
        for i in range(a.puts):
            name = "%s-%06d" % ("fresh" if kind == "fresh" else "neg", i)
            path = os.path.join(d, name)
            # Same length for every generation: only the content tells.
            body = (b"%s-%06d-" % (kind[:3].encode(), i)) * 4
            if kind == "negative":
                if os.path.exists(path):
                    raise RuntimeError("%s exists before its PUT" % path)
            elif kind == "overwrite":
                if not reads(path, (b"neg-%06d-" % i) * 4):
                    raise RuntimeError("%s does not hold its first content" % path)
            # A random pause, so that PUTs do not fall into step with the
            # mount's polling (each would then wait a whole period).
            time.sleep(random.uniform(0, 0.1))
            t0 = now()
            s3.client.put_object(Bucket=s3.bucket, Key=s3.key("visible/" + name), Body=body)
            t_ack = now()
            put_lat.append(t_ack - t0)
            if kind == "overwrite":
                t = wait_visible(lambda: reads(path, body))
            else:
                t = wait_visible(lambda: exists_with(path, len(body)))
            if t is None:
                missed += 1
            else:
                lat[kind].append(t - t_ack)

    def ms(v):
        return None if v is None else v * 1000.0
    v = {"puts": a.puts, "not_visible_in_10s": missed,
         "put_p50_ms": ms(pct(put_lat, 50)), "put_p99_ms": ms(pct(put_lat, 99))}
    for kind, values in lat.items():
        v[kind] = {"p50_ms": ms(pct(values, 50)), "p99_ms": ms(pct(values, 99)),
                   "max_ms": ms(max(values) if values else None), "n": len(values)}
    results["visible"] = v
    if missed:
        results.setdefault("checks", []).append(
            "visible: %d of %d PUTs did not show in the mount within 10 s" % (missed, 3 * a.puts))
    f = lambda x: "-" if x is None else "%.1f" % x  # noqa: E731
    log("visible: " + "; ".join("%s p50 %s ms p99 %s ms" % (k, f(v[k]["p50_ms"]), f(v[k]["p99_ms"]))
                                for k in lat) + "; %d missed" % missed)


# ---- output -----------------------------------------------------------------

def rows_of(results):
    """(name, mount, local, unit, ratio text) rows of the table."""
    rows = []

    def pair(key, name, unit, kind):
        r = results.get(key)
        if not r:
            return
        m, l = r.get("mount"), r.get("local")
        ratio = ""
        if m and l:
            ratio = "%.2fx" % (m / l)
            if kind == "time":
                ratio += " time"
        fmt = (lambda v: "%.0f" % v) if kind == "rate" else (lambda v: "%.3f" % v)
        rows.append((name, fmt(m) if m is not None else "-", fmt(l) if l is not None else "-",
                     unit, ratio))

    pair("create_1", "create+close, 1 thread", "files/s", "rate")
    pair("create_4", "create+close, 4 threads", "files/s", "rate")
    pair("stat_first", "stat, first pass", "stats/s", "rate")
    pair("stat_repeat", "stat, repeated", "stats/s", "rate")
    pair("readdir_1", "readdir %s entries" % results.get("entries", ""), "s", "time")
    pair("readdir_2", "  again", "s", "time")
    pair("readdir_l", "  with stat (ls -l)", "s", "time")
    pair("rename", "rename dir of %s files" % results.get("files", ""), "s", "time")
    v = results.get("visible")
    if v:
        f = lambda x: "-" if x is None else "%.1f" % x  # noqa: E731
        for kind, label in (("fresh", "new key"), ("negative", "new key, looked up before"),
                            ("overwrite", "overwrite, read before")):
            k = v[kind]
            rows.append(("S3 PUT -> visible: " + label,
                         "p50 %s p99 %s" % (f(k["p50_ms"]), f(k["p99_ms"])), "", "ms",
                         "max %s" % f(k["max_ms"])))
    return rows


def print_table(results):
    rows = rows_of(results)
    head = ("workload", "mount", "local", "unit", "mount/local")
    w = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
    fmt = "%%-%ds  %%%ds  %%%ds  %%-%ds  %%s" % tuple(w[:4])
    print(fmt % head)
    print(fmt % tuple("-" * n for n in w))
    for r in rows:
        print(fmt % r)
    obs = results.get("rename_observed", {}).get("mount")
    if obs:
        print("rename atomicity (mount): %d listings of the parent during the rename, %d showed "
              "both names or neither" % (obs["listings"], obs["both_or_neither"]))
        if "s3_listings" in obs:
            print("rename atomicity (S3):    %d ListObjectsV2 during the rename, %d showed both "
                  "prefixes or neither" % (obs["s3_listings"], obs["s3_both_or_neither"]))
    for side in ("mount", "local"):
        s = results.get("readdir_setup", {}).get(side)
        if s:
            print("readdir entries (%s): %s, %.1f s = %.0f/s" % (side, s["how"], s["seconds"],
                                                                  s["per_s"]))
    v = results.get("visible")
    if v:
        print("S3 PUT latency itself: p50 %.1f ms, p99 %.1f ms (%d PUTs)" % (
            v["put_p50_ms"], v["put_p99_ms"], 3 * v["puts"]))
    for c in results.get("checks", []):
        print("CHECK FAILED: " + c)


def main():
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("mount_dir")
    p.add_argument("local_dir")
    p.add_argument("--files", type=int, default=10000)
    p.add_argument("--entries", type=int, default=100000)
    p.add_argument("--puts", type=int, default=200)
    p.add_argument("--only", default=",".join(ALL))
    p.add_argument("--endpoint")
    p.add_argument("--access-key", default=os.environ.get("AWS_ACCESS_KEY_ID"))
    p.add_argument("--secret-key", default=os.environ.get("AWS_SECRET_ACCESS_KEY"))
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--bucket")
    p.add_argument("--key-prefix", default="")
    p.add_argument("--seglake-bench")
    p.add_argument("--json", action="store_true")
    p.add_argument("-h", "--help", action="store_true")
    if "-h" in sys.argv[1:] or "--help" in sys.argv[1:]:
        try:
            print(__doc__.split("\n", 2)[2])
        except BrokenPipeError:
            pass
        return 0
    try:
        a = p.parse_args()
    except SystemExit:
        return 2
    only = [x for x in a.only.split(",") if x]
    bad = [x for x in only if x not in ALL]
    if bad:
        print("fs_meta_bench: unknown workload(s) %s (known: %s)" % (",".join(bad), ",".join(ALL)),
              file=sys.stderr)
        return 2
    if a.files < 1 or a.entries < 1 or a.puts < 1:
        print("fs_meta_bench: --files, --entries and --puts must be positive", file=sys.stderr)
        return 2
    s3 = None
    if a.endpoint:
        if not (a.bucket and a.access_key and a.secret_key):
            print("fs_meta_bench: --endpoint needs --bucket, --access-key and --secret-key",
                  file=sys.stderr)
            return 2
        if a.key_prefix and not a.key_prefix.endswith("/"):
            a.key_prefix += "/"
        try:
            s3 = S3(a)
        except ImportError:
            log("boto3 is not installed: the S3 parts are skipped (pip install boto3)")
    elif "visible" in only:
        log("no --endpoint: 'visible' is skipped, readdir entries are made through the mount")
    for d in (a.mount_dir, a.local_dir):
        if not os.path.isdir(d):
            print("fs_meta_bench: %s is not a directory" % d, file=sys.stderr)
            return 2
    results = {"files": a.files, "entries": a.entries}
    targets = (("mount", a.mount_dir, s3), ("local", a.local_dir, None))
    try:
        if "create" in only:
            for label, root, _ in targets:
                bench_create(a, root, results, label)
        if "stat" in only:
            for label, root, _ in targets:
                bench_stat(a, root, results, label)
        if "rename" in only:
            for label, root, s in targets:
                bench_rename(a, root, results, label, s)
        if "readdir" in only:
            for label, root, s in targets:
                bench_readdir(a, root, results, label, s)
        if "visible" in only and s3 is not None:
            bench_visible(a, a.mount_dir, results, s3)
    except Exception as e:  # noqa: BLE001 - one line, then exit 1
        log("failed: %s: %s" % (type(e).__name__, e))
        results.setdefault("checks", []).append("aborted: %s: %s" % (type(e).__name__, e))
        if a.json:
            print(json.dumps(results, indent=1))
        else:
            print_table(results)
        return 1
    if a.json:
        print(json.dumps(results, indent=1))
    else:
        print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
