#!/usr/bin/env python3
"""Crash soak: seglake-s3d and seglake-mount on one data dir under mixed load,
killed with SIGKILL at random moments, restarted and checked.

Each round:
  1. S3 clients (puts of random sizes, multipart uploads with 5 MiB parts,
     deletes, CopyObject, read-backs) and mount clients (file writes with
     fsync then close, in-place patches, renames of files and directories,
     unlinks, read-backs) run in threads on disjoint keys, while readers read
     a set of static keys through both doors. Some rounds also run
     `seglake gc run --grace 0s` and `seglake compact run --max-live 1`, or
     `seglake fsck`, during the load.
  2. After 1-4 s, seglake-s3d, seglake-mount or both get SIGKILL. A dead
     mount is lazily unmounted (fusermount3 -uz) once its clients stopped.
  3. `seglake fsck` runs while both are down (the segments of the killed
     processes may show as unsealed-dead-segment, nothing else), the daemons
     restart, and every key is checked over S3 (listing, GET: content hash and
     ETag) and through the mount (directory walk, read), then fsck again.

Every operation is in the journal (the file journal.jsonl in the temp dir,
kept with --keep). One that was acknowledged (an S3 2xx, fsync + close
returning 0, rename/unlink returning 0) defines the key's state; one that a
crash interrupted is uncertain: the key (or, for a rename, the set of keys)
must then hold exactly one of the candidate states, never a mix. An error
that no crash explains fails the run.

Every few rounds, with no writers, readers over S3 and the mount read every
key (and one file stays open, one GET stays half-read) while gc, compaction
and gc again run: no read may fail. Every fifth round stops both daemons
cleanly and runs fsck on the quiet data dir; at the end scrub and
rebuild-index run, and everything is checked once more.

  python3 tests/soak/crash_soak.py --rounds 6            # short (CTest)
  python3 tests/soak/crash_soak.py --rounds 200 --seed N # long

The seed is printed first; a failure prints the seed, the round and the
journal entry that failed. Mounts and processes are always cleaned up.
"""
import argparse
import collections
import errno
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import soak_common as c
from soak_common import MiB, h, md5

BUCKET = "soak"
PART = 5 * MiB
St = collections.namedtuple("St", "size md5 etag")
EMPTY = St(0, md5(b""), md5(b""))
# What a killed mount's pending requests and later calls answer.
DEAD_MOUNT_ERRNOS = (errno.ENOTCONN, errno.ECONNABORTED)


def st_of(data, etag=None):
    d = md5(data)
    return St(len(data), d, etag or d)


def fmt(st):
    if st is None:
        return "absent"
    return "%d bytes md5 %s etag %s" % (st.size, st.md5, st.etag)


def fmt_alts(alts):
    return [{k: fmt(v) for k, v in sorted(a.items())} for a in alts]


def matches(obs, exp):
    if obs is None or exp is None:
        return obs is None and exp is None
    return obs.size == exp.size and obs.md5 == exp.md5 and \
        (exp.etag is None or obs.etag == exp.etag)


def pick_size(rng):
    r = rng.random()
    if r < 0.05:
        return 0
    if r < 0.30:
        return rng.randint(1, 4096)
    if r < 0.60:
        return rng.randint(4097, 256 * 1024)
    if r < 0.80:
        return rng.randint(256 * 1024, MiB)
    return rng.randint(MiB + 1, 3 * MiB)


def make_data(rng, size, tag):
    """`size` bytes starting with a readable tag (which op wrote them)."""
    head = ("<%s>" % tag).encode()
    if size <= len(head):
        return head[:size]
    return head + rng.randbytes(size - len(head))


def write_all(fd, data, offset=None):
    view = memoryview(data)
    done = 0
    while done < len(view):
        chunk = view[done:done + MiB]
        n = os.write(fd, chunk) if offset is None else os.pwrite(fd, chunk, offset + done)
        done += n


def read_fd(fd, limit):
    out = bytearray()
    while True:
        chunk = os.pread(fd, MiB, len(out))
        if not chunk:
            return bytes(out)
        out += chunk
        if len(out) > limit:
            return bytes(out)


class SoakFailure(Exception):
    def __init__(self, message, entry=None, details=None, key=None):
        super().__init__(message)
        self.message = message
        self.entry = entry
        self.details = details
        self.key = key if key is not None else (entry or {}).get("key")


class DoorDown(Exception):
    """The door this client uses was killed: the client stops for this round."""


class Journal:
    """Every operation, one JSON line each; entries stay in memory only while
    the model refers to them."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.next_id = 1
        self.f = open(path, "w")

    def begin(self, rnd, worker, op, **fields):
        with self.lock:
            e = dict(id=self.next_id, round=rnd, worker=worker, op=op, status="started", **fields)
            self.next_id += 1
        e["t0"] = round(time.monotonic(), 4)
        return e

    def end(self, e, status, **fields):
        e.update(status=status, t1=round(time.monotonic(), 4), **fields)
        with self.lock:
            self.f.write(json.dumps(e, default=str) + "\n")

    def close(self):
        with self.lock:
            self.f.close()


class Model:
    """What every key must hold: a definite state (St, or absent) set by
    acknowledged operations, plus the uncertain ones not yet resolved, each a
    list of alternatives {key: St or None} of which exactly one must hold."""

    def __init__(self):
        self.lock = threading.Lock()
        self.state = {}
        self.last = {}  # key -> the journal entry that last defined it
        self.pending = []  # (entry, alternatives)
        self.uploads = {}  # upload id -> [key, whether complete or abort was sent]
        self.unknown_uploads = collections.Counter()  # key -> creates cut by a crash

    def get(self, key):
        with self.lock:
            return self.state.get(key)

    def present(self, prefix=""):
        with self.lock:
            return sorted(k for k in self.state if k.startswith(prefix))

    def ack(self, entry, changes):
        with self.lock:
            for k, v in changes.items():
                if v is None:
                    self.state.pop(k, None)
                else:
                    self.state[k] = v
                self.last[k] = entry

    def uncertain(self, entry, alts):
        with self.lock:
            self.pending.append((entry, alts))
            for a in alts:
                for k in a:
                    self.last[k] = entry


class Client(threading.Thread):
    """One client thread of the load: runs step() until the round stops or its
    door dies."""
    door = None

    def __init__(self, soak, name, rng):
        super().__init__(name=name, daemon=True)
        self.soak = soak
        self.rng = rng
        self.model = soak.model
        self.journal = soak.journal
        self.n = 0

    def run(self):
        try:
            while not self.soak.stop.is_set():
                self.step()
        except DoorDown:
            pass
        except SoakFailure as f:
            self.soak.fail(f)
        except BaseException:
            self.soak.fail(SoakFailure("%s: unexpected exception\n%s"
                                       % (self.name, traceback.format_exc())))

    def tag(self):
        self.n += 1
        return "r%d-%s-%d" % (self.soak.round, self.name, self.n)

    def begin(self, op, **fields):
        return self.journal.begin(self.soak.round, self.name, op, **fields)

    def crashed(self, exc):
        """Whether exc is what a crash of this client's door explains."""
        if self.soak.kill_time.get(self.door) is None:
            return False
        if self.door == "s3":
            return c.is_connection_error(exc)
        return isinstance(exc, OSError) and exc.errno in DEAD_MOUNT_ERRNOS

    def failed(self, e, exc, alts):
        """An operation raised exc. If a crash explains it, the operation is
        uncertain (alts: its possible outcomes; None for a read) and the
        client stops; otherwise the run fails."""
        if self.crashed(exc):
            fields = {"error": repr(exc)}
            if alts is not None:
                fields["alternatives"] = fmt_alts(alts)
            self.journal.end(e, "uncertain", **fields)
            if alts is not None:
                self.model.uncertain(e, alts)
                self.soak.count("uncertain %s" % e["op"])
            self.soak.count("%s errors after the kill: %s" % (self.door, type(exc).__name__
                            if self.door == "s3" else errno.errorcode.get(exc.errno)))
            raise DoorDown()
        self.journal.end(e, "error", error=repr(exc))
        raise SoakFailure("%s %s failed while %s was up: %r"
                          % (self.name, e["op"], "seglake-s3d" if self.door == "s3"
                             else "seglake-mount", exc), e)

    def ack(self, e, changes):
        self.journal.end(e, "ack")
        self.model.ack(e, changes)
        self.soak.count("acknowledged %s" % e["op"])

    def check(self, e, ok, message):
        if not ok:
            self.journal.end(e, "wrong")
            raise SoakFailure("%s %s: %s" % (self.name, e["op"], message), e)

    def choose(self, weighted):
        ops, weights = zip(*weighted)
        return self.rng.choices(ops, weights)[0]


class S3Worker(Client):
    door = "s3"

    def __init__(self, soak, index, rng):
        super().__init__(soak, "s3w%d" % index, rng)
        self.prefix = "s3w%d/" % index
        self.keys = [self.prefix + "k%02d" % j for j in range(12)]
        self.s3 = soak.s3d.client()

    def step(self):
        self.choose([(self.op_put, 50), (self.op_delete, 10), (self.op_copy, 12),
                     (self.op_mpu, 5), (self.op_read, 10)])()

    def op_put(self):
        k = self.rng.choice(self.keys)
        old = self.model.get(k)
        tag = self.tag()
        data = make_data(self.rng, pick_size(self.rng), tag)
        new = st_of(data)
        e = self.begin("put", key=k, tag=tag, old=fmt(old), new=fmt(new))
        try:
            r = self.s3.put_object(Bucket=BUCKET, Key=k, Body=data)
        except Exception as x:
            self.failed(e, x, [{k: old}, {k: new}])
        self.check(e, r["ETag"].strip('"') == new.etag, "PutObject answered ETag %s" % r["ETag"])
        self.ack(e, {k: new})

    def op_delete(self):
        k = self.rng.choice(self.keys)
        old = self.model.get(k)
        e = self.begin("delete", key=k, old=fmt(old))
        try:
            self.s3.delete_object(Bucket=BUCKET, Key=k)
        except Exception as x:
            self.failed(e, x, [{k: old}, {k: None}])
        self.ack(e, {k: None})

    def op_copy(self):
        present = self.model.present(self.prefix)
        if not present:
            return self.op_put()
        src = self.rng.choice(present)
        dst = self.rng.choice([k for k in self.keys if k != src])
        s, old = self.model.get(src), self.model.get(dst)
        e = self.begin("copy", key=dst, source=src, old=fmt(old), new=fmt(s))
        try:
            r = self.s3.copy_object(Bucket=BUCKET, Key=dst,
                                    CopySource={"Bucket": BUCKET, "Key": src})
        except Exception as x:
            self.failed(e, x, [{dst: old}, {dst: s}])
        etag = r["CopyObjectResult"]["ETag"].strip('"')
        self.check(e, etag == s.etag, "CopyObject answered ETag %s, source has %s"
                   % (etag, s.etag))
        self.ack(e, {dst: s})

    def op_mpu(self):
        k = self.rng.choice(self.keys)
        old = self.model.get(k)
        tag = self.tag()
        parts = [make_data(self.rng, PART, "%s-p%d" % (tag, i + 1))
                 for i in range(self.rng.choice([1, 2]))]
        parts.append(make_data(self.rng, self.rng.randint(1, MiB), "%s-last" % tag))
        data = b"".join(parts)
        etag = "%s-%d" % (md5(b"".join(hashlib.md5(p).digest() for p in parts)), len(parts))
        new = St(len(data), md5(data), etag)
        abort = self.rng.random() < 0.15
        e = self.begin("multipart", key=k, tag=tag, parts=len(parts), abort=abort, old=fmt(old),
                       new=fmt(new))
        try:
            uid = self.s3.create_multipart_upload(Bucket=BUCKET, Key=k)["UploadId"]
        except Exception as x:
            if self.crashed(x):
                with self.model.lock:
                    self.model.unknown_uploads[k] += 1
            self.failed(e, x, [{k: old}])
        e["upload_id"] = uid
        with self.model.lock:
            self.model.uploads[uid] = [k, False]
        done = []
        for i, p in enumerate(parts, 1):
            try:
                r = self.s3.upload_part(Bucket=BUCKET, Key=k, UploadId=uid, PartNumber=i, Body=p)
            except Exception as x:
                self.failed(e, x, [{k: old}])
            self.check(e, r["ETag"].strip('"') == md5(p), "UploadPart %d answered ETag %s"
                       % (i, r["ETag"]))
            done.append({"PartNumber": i, "ETag": r["ETag"]})
        with self.model.lock:
            self.model.uploads[uid][1] = True
        if abort:
            try:
                self.s3.abort_multipart_upload(Bucket=BUCKET, Key=k, UploadId=uid)
            except Exception as x:
                self.failed(e, x, [{k: old}])
            with self.model.lock:
                del self.model.uploads[uid]
            return self.ack(e, {})
        try:
            r = self.s3.complete_multipart_upload(Bucket=BUCKET, Key=k, UploadId=uid,
                                                  MultipartUpload={"Parts": done})
        except Exception as x:
            self.failed(e, x, [{k: old}, {k: new}])
        self.check(e, r["ETag"].strip('"') == etag, "CompleteMultipartUpload answered ETag %s"
                   % r["ETag"])
        with self.model.lock:
            del self.model.uploads[uid]
        self.ack(e, {k: new})

    def op_read(self):
        k = self.rng.choice(self.keys)
        exp = self.model.get(k)
        e = self.begin("get", key=k, expect=fmt(exp))
        obs = None
        try:
            r = self.s3.get_object(Bucket=BUCKET, Key=k)
            data = r["Body"].read()
            obs = st_of(data, r["ETag"].strip('"'))
        except c.botocore.exceptions.ClientError as x:
            if x.response["Error"]["Code"] != "NoSuchKey":
                self.failed(e, x, None)
        except Exception as x:
            self.failed(e, x, None)
        self.check(e, matches(obs, exp), "GET reads %s, expected %s (last written by entry %s)"
                   % (fmt(obs), fmt(exp), self.model.last.get(k, {}).get("id")))
        self.journal.end(e, "ack")
        self.soak.count("checked get")


class FsWorker(Client):
    door = "fs"

    def __init__(self, soak, index, rng):
        super().__init__(soak, "fsw%d" % index, rng)
        self.prefix = "fsw%d/" % index
        self.files = [self.prefix + "f%02d" % j for j in range(10)]
        # The worker's directory: where its files under d* are now.
        dirs = sorted({k.split("/")[1] for k in self.model.present(self.prefix + "d")})
        self.dir = self.prefix + (dirs[0] if dirs else "d%d" % soak.round)
        self.dir_count = 0

    def path(self, key):
        return os.path.join(self.soak.mnt, BUCKET, key)

    def step(self):
        self.choose([(self.op_write, 40), (self.op_patch, 12), (self.op_rename, 12),
                     (self.op_unlink, 8), (self.op_dir_write, 12), (self.op_dir_rename, 4),
                     (self.op_read, 10)])()

    def write_file(self, k, op):
        old = self.model.get(k)
        tag = self.tag()
        data = make_data(self.rng, pick_size(self.rng), tag)
        new = st_of(data)
        e = self.begin(op, key=k, tag=tag, old=fmt(old), new=fmt(new))
        p = self.path(k)
        fd, synced = None, False
        try:
            os.makedirs(os.path.dirname(p), exist_ok=True)
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            write_all(fd, data)
            os.fsync(fd)
            synced = True
            os.close(fd)
            fd = None
        except OSError as x:
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
            if synced:  # fsync returned 0: acknowledged
                alts = [{k: new}]
            else:  # a new file is an empty object from its creation on
                alts = [{k: old}, {k: new}] + ([{k: EMPTY}] if old is None else [])
            self.failed(e, x, alts)
        self.ack(e, {k: new})

    def op_write(self):
        self.write_file(self.rng.choice(self.files), "fs-write")

    def op_dir_write(self):
        self.write_file("%s/g%d" % (self.dir, self.rng.randrange(4)), "fs-write")

    def op_patch(self):
        keys = [k for k in self.model.present(self.prefix) if self.model.get(k).size > 0]
        if not keys:
            return self.op_write()
        k = self.rng.choice(keys)
        old = self.model.get(k)
        tag = self.tag()
        off = self.rng.randrange(old.size)
        patch = make_data(self.rng, self.rng.randint(1, 64 * 1024), tag)
        e = self.begin("fs-patch", key=k, tag=tag, old=fmt(old), offset=off, length=len(patch))
        fd, synced, new = None, False, None
        try:
            fd = os.open(self.path(k), os.O_RDWR)
            cur = read_fd(fd, old.size)
            self.check(e, matches(st_of(cur), St(old.size, old.md5, None)),
                       "the file reads %s before the patch, expected %s" % (fmt(st_of(cur)),
                                                                           fmt(old)))
            data = cur[:off] + patch + cur[off + len(patch):]
            new = st_of(data)
            e["new"] = fmt(new)
            write_all(fd, patch, off)
            os.fsync(fd)
            synced = True
            os.close(fd)
            fd = None
        except OSError as x:
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
            if synced:
                alts = [{k: new}]
            elif new is None:  # nothing written yet
                alts = [{k: old}]
            else:
                alts = [{k: old}, {k: new}]
            self.failed(e, x, alts)
        self.ack(e, {k: new})

    def op_rename(self):
        present = self.model.present(self.prefix + "f")
        if not present:
            return self.op_write()
        a = self.rng.choice(present)
        b = self.rng.choice([k for k in self.files if k != a])
        sa, sb = self.model.get(a), self.model.get(b)
        e = self.begin("fs-rename", key=a, to=b, old=fmt(sa), replaced=fmt(sb))
        try:
            os.rename(self.path(a), self.path(b))
        except OSError as x:
            self.failed(e, x, [{a: sa, b: sb}, {a: None, b: sa}])
        self.ack(e, {a: None, b: sa})

    def op_unlink(self):
        present = self.model.present(self.prefix)
        if not present:
            return self.op_write()
        a = self.rng.choice(present)
        old = self.model.get(a)
        e = self.begin("fs-unlink", key=a, old=fmt(old))
        try:
            os.unlink(self.path(a))
        except OSError as x:
            self.failed(e, x, [{a: old}, {a: None}])
        self.ack(e, {a: None})

    def op_dir_rename(self):
        src = self.dir + "/"
        moved = {k: self.model.get(k) for k in self.model.present(src)}
        if not moved:
            return self.op_dir_write()
        self.dir_count += 1
        dst = "%sd%d_%d" % (self.prefix, self.soak.round, self.dir_count)
        before = dict(moved)
        before.update({dst + k[len(self.dir):]: None for k in moved})
        after = {k: None for k in moved}
        after.update({dst + k[len(self.dir):]: v for k, v in moved.items()})
        e = self.begin("fs-rename-dir", key=self.dir, to=dst, keys=sorted(moved))
        try:
            os.rename(self.path(self.dir), self.path(dst))
        except OSError as x:
            self.failed(e, x, [before, after])
        self.dir = dst
        self.ack(e, after)

    def op_read(self):
        k = self.rng.choice(self.files + ["%s/g%d" % (self.dir, j) for j in range(4)])
        exp = self.model.get(k)
        e = self.begin("fs-read", key=k, expect=fmt(exp))
        obs = None
        try:
            with open(self.path(k), "rb") as f:
                obs = st_of(f.read(), None)
        except FileNotFoundError:
            pass
        except OSError as x:
            self.failed(e, x, None)
        if obs is not None and exp is not None:
            obs = obs._replace(etag=exp.etag)  # the mount shows no ETag
        self.check(e, matches(obs, exp), "the mount reads %s, expected %s (last written by "
                   "entry %s)" % (fmt(obs), fmt(exp), self.model.last.get(k, {}).get("id")))
        self.journal.end(e, "ack")
        self.soak.count("checked fs-read")


class Reader(Client):
    """Reads keys that no one changes while it runs, through one door, and
    checks their content; `pause` seconds between reads."""

    def __init__(self, soak, name, door, keys, pause):
        super().__init__(soak, name, random.Random(soak.rng.random()))
        self.door = door
        self.keys = keys
        self.pause = pause
        self.s3 = soak.s3d.client() if door == "s3" else None

    def step(self):
        k = self.rng.choice(self.keys)
        exp = self.model.get(k)
        e = self.begin("read-" + self.door, key=k, expect=fmt(exp))
        try:
            if self.door == "s3":
                r = self.s3.get_object(Bucket=BUCKET, Key=k)
                obs = st_of(r["Body"].read(), r["ETag"].strip('"'))
            else:
                fd = os.open(os.path.join(self.soak.mnt, BUCKET, k), os.O_RDONLY)
                try:
                    if self.rng.random() < 0.5:  # make the mount read its segments
                        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                    obs = st_of(read_fd(fd, exp.size), exp.etag)
                finally:
                    os.close(fd)
        except Exception as x:
            self.failed(e, x, None)
        self.check(e, matches(obs, exp), "%s reads %s, expected %s" % (k, fmt(obs), fmt(exp)))
        self.soak.count("checked %s reads of unchanged keys" % self.door)
        if self.pause:
            time.sleep(self.pause)


class Soak:
    def __init__(self, args):
        self.args = args
        self.cli, self.s3d_bin, _ = c.binaries()
        self.seed = args.seed if args.seed is not None else random.randrange(1 << 31)
        self.rng = random.Random(self.seed)
        self.tmp = tempfile.mkdtemp(prefix="seglake-soak-")
        self.data = os.path.join(self.tmp, "data")
        self.mnt = os.path.join(self.tmp, "mnt")
        self.s3d_log = os.path.join(self.tmp, "s3d.log")
        self.journal = Journal(os.path.join(self.tmp, "journal.jsonl"))
        self.model = Model()
        self.s3d = None
        self.mount = None
        self.mount_conn = None
        self.round = -1
        self.phase = "setup"
        self.stop = threading.Event()
        self.kill_time = {}
        self.failure = None
        self.fail_lock = threading.Lock()
        self.stats = collections.Counter()
        self.stats_lock = threading.Lock()
        self.static = []

    # ---- bookkeeping ----

    def count(self, what, n=1):
        with self.stats_lock:
            self.stats[what] += n

    def fail(self, f):
        with self.fail_lock:
            if self.failure is None:
                self.failure = f
        self.stop.set()

    def raise_failure(self):
        if self.failure is not None:
            raise self.failure

    def log(self, msg):
        print("[%s] %s" % ("setup" if self.round < 0 else "round %d" % self.round, msg),
              flush=True)

    # ---- processes ----

    def start_s3d(self):
        self.s3d = c.S3d(self.s3d_bin, self.data, self.s3d_log).start()

    def start_mount(self):
        self.mount = h.Mount(data_dir=self.data, mountpoint=self.mnt, tmp=self.tmp).start()
        self.mount_conn = c.fuse_connection(self.mnt)

    def kill(self, door):
        self.kill_time[door] = time.monotonic()
        if door == "s3":
            self.s3d.kill()
            self.s3d = None
            self.count("kills of seglake-s3d")
        else:
            self.mount.proc.kill()
            self.count("kills of seglake-mount")
            self.reap_mount("SIGKILL")

    def reap_mount(self, what):
        """Waits for the mount process to exit after `what`. One that does not
        exit within 10 s is a failure; its FUSE connection is then aborted so
        that it, and every client waiting on it, can finish."""
        proc = self.mount.proc
        try:
            proc.wait(10)
            return
        except subprocess.TimeoutExpired:
            pass
        diag = ["seglake-mount (pid %d):" % proc.pid] + c.thread_states(proc.pid)
        mine = c.thread_states(os.getpid(), all_threads=False)
        if mine:
            diag += ["this test's threads in uninterruptible sleep:"] + mine
        diag.append(c.abort_fuse_connection(self.mount_conn))
        try:
            proc.wait(30)
            diag.append("after the abort seglake-mount exited")
        except subprocess.TimeoutExpired:
            diag.append("seglake-mount still runs after the abort")
        raise SoakFailure("seglake-mount did not exit within 10 s of %s" % what,
                          details="\n".join(diag))

    def unmount_dead(self):
        p = h.unmount(self.mnt, lazy=True)
        if p.returncode != 0 or h.mounted(self.mnt):
            raise SoakFailure("fusermount3 -uz after kill -9 exited %d (%s); still mounted: %s"
                              % (p.returncode, p.stderr.strip(), h.mounted(self.mnt)))
        self.mount.proc = None
        self.mount.force_cleanup()
        self.mount = None

    def stop_clean(self):
        """SIGTERM seglake-s3d and unmount: both must exit 0."""
        if self.s3d is not None:
            rc = self.s3d.stop()
            self.s3d = None
            if rc != 0:
                raise SoakFailure("seglake-s3d exited %s on SIGTERM" % rc)
        if self.mount is not None:
            m, self.mount = self.mount, None
            try:
                m.stop()
            except AssertionError as e:
                raise SoakFailure("clean unmount failed: %s" % e)

    def cleanup(self):
        self.stop.set()
        if self.s3d is not None:
            self.s3d.kill()
            self.s3d = None
        if self.mount is not None:
            if self.mount.proc is not None and self.mount.proc.poll() is None:
                # A process that SIGKILL could not end is stuck in the kernel
                # on its own mount: abort the connection so it can go.
                self.mount.proc.kill()
                try:
                    self.mount.proc.wait(10)
                except subprocess.TimeoutExpired:
                    print(c.abort_fuse_connection(self.mount_conn), file=sys.stderr)
            self.mount.force_cleanup()
            self.mount = None
        c.cleanup_all()
        self.journal.close()
        if self.args.keep:
            print("kept %s (data dir, journal.jsonl, logs)" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- the seglake CLI ----

    def fsck(self, when, allow_dead=False):
        rc, out, err = c.run_cli(self.cli, self.data, "fsck")
        problems = out.get("problems", []) if isinstance(out, dict) else None
        self.count("fsck runs")
        if callable(allow_dead):
            allow_dead = allow_dead()
        if allow_dead and rc in (0, 1) and problems is not None:
            dead = [p for p in problems if p["kind"] == "unsealed-dead-segment"]
            if len(dead) == len(problems):
                self.count("unsealed-dead-segment (killed writers, not yet recovered)", len(dead))
                return
        if rc != 0:
            raise SoakFailure("seglake fsck %s exited %d: %s %s"
                              % (when, rc, json.dumps(out, indent=1)[:4000], err.strip()))

    def maint(self, cmd, *args):
        rc, out, err = c.run_cli(self.cli, self.data, cmd, "run", *args)
        if rc != 0:
            raise SoakFailure("seglake %s run %s exited %d: %s %s"
                              % (cmd, " ".join(args), rc, out, err.strip()))
        self.count("%s runs" % cmd)
        if cmd == "gc":
            self.count("gc: segments deleted", out.get("deleted", 0))
            self.count("gc: segments condemned", out.get("condemned", 0))
        else:
            self.count("compact: segments rewritten", out.get("segments", 0))
            self.count("compact: versions moved", out.get("versions", 0))
        return out

    def gc_compact_gc(self):
        self.maint("gc", "--grace", "0s")
        self.maint("compact", "--max-live", "1")
        return self.maint("gc", "--grace", "0s")

    # ---- checks ----

    def list_keys(self, s3):
        listed = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for o in page.get("Contents", []):
                if not o["Key"].endswith("/"):  # directory markers of the mount
                    listed[o["Key"]] = (o["Size"], o["ETag"].strip('"'))
        return listed

    def verify(self, when):
        """Every key over S3 and through the mount against the model; resolves
        the uncertain operations."""
        s3 = self.s3d.client(read_timeout=120)
        listed = self.list_keys(s3)
        obs = {}
        for k, (size, etag) in sorted(listed.items()):
            try:
                r = s3.get_object(Bucket=BUCKET, Key=k)
                data = r["Body"].read()
            except Exception as x:
                raise SoakFailure("%s: GET %s (listed, %d bytes) failed: %r" % (when, k, size, x),
                                  self.model.last.get(k))
            o = st_of(data, r["ETag"].strip('"'))
            if o.etag != etag or o.size != size:
                raise SoakFailure("%s: %s is listed with %d bytes, ETag %s; GET answers %s"
                                  % (when, k, size, etag, fmt(o)), self.model.last.get(k))
            obs[k] = o
        self.count("keys checked over S3", len(obs))
        with self.model.lock:
            expected = set(self.model.state) | {k for _, a in self.model.pending for x in a
                                                for k in x}
        for k in sorted(expected - set(listed)):
            try:
                s3.head_object(Bucket=BUCKET, Key=k)
            except c.botocore.exceptions.ClientError as x:
                if x.response["Error"]["Code"] in ("404", "NoSuchKey"):
                    continue
                raise
            raise SoakFailure("%s: %s is not listed but HEAD finds it" % (when, k),
                              self.model.last.get(k))
        self.reconcile(obs, when)
        self.check_mount(obs, when)
        self.check_uploads(s3, when)

    def reconcile(self, obs, when):
        m = self.model
        with m.lock:
            in_pending = {k for _, alts in m.pending for a in alts for k in a}
            for k in sorted((set(m.state) | set(obs)) - in_pending):
                exp = m.state.get(k)
                if not matches(obs.get(k), exp):
                    raise SoakFailure(
                        "%s: %s holds %s; acknowledged state: %s" % (when, k, fmt(obs.get(k)),
                                                                     fmt(exp)),
                        m.last.get(k), {"observed": fmt(obs.get(k)), "expected": fmt(exp)}, k)
            for e, alts in m.pending:
                ok = [i for i, a in enumerate(alts)
                      if all(matches(obs.get(k), v) for k, v in a.items())]
                if not ok:
                    keys = sorted({k for a in alts for k in a})
                    raise SoakFailure(
                        "%s: the keys of an operation cut by the crash hold none of its "
                        "possible states (a mix, or something else)" % when, e,
                        {"observed": {k: fmt(obs.get(k)) for k in keys},
                         "alternatives": fmt_alts(alts)})
                self.count("uncertain resolved: %s" % ("unchanged" if ok[0] == 0 else "applied"))
                for k, v in alts[ok[0]].items():
                    if v is None:
                        m.state.pop(k, None)
                    else:
                        m.state[k] = v
            m.pending = []

    def mount_problems(self, obs):
        root = os.path.join(self.mnt, BUCKET)
        shown = {}
        for d, _, names in os.walk(root):
            for n in names:
                shown[os.path.relpath(os.path.join(d, n), root)] = os.path.join(d, n)
        problems = []
        for k in sorted(set(obs) - set(shown)):
            problems.append("%s is an object (%s) but not a file in the mount" % (k, fmt(obs[k])))
        for k in sorted(set(shown) - set(obs)):
            problems.append("%s is a file in the mount but no object" % k)
        for k in sorted(set(obs) & set(shown)):
            try:
                with open(shown[k], "rb") as f:
                    data = f.read()
            except OSError as x:
                problems.append("reading %s in the mount failed: %r" % (k, x))
                continue
            got = st_of(data, obs[k].etag)
            if not matches(got, obs[k]):
                problems.append("%s reads %s in the mount, %s over S3" % (k, fmt(got),
                                                                         fmt(obs[k])))
        return problems, len(shown)

    def check_mount(self, obs, when):
        # A mount that lived through the round may show a change made over S3
        # only after its follower's next poll: allow a few seconds.
        deadline = time.monotonic() + 5
        while True:
            problems, n = self.mount_problems(obs)
            if not problems:
                self.count("keys checked via the mount", n)
                return
            if time.monotonic() > deadline:
                k = problems[0].split(" ", 1)[0]
                raise SoakFailure("%s, via the mount: %s" % (when, "; ".join(problems[:10])),
                                  self.model.last.get(k), key=k)
            time.sleep(0.2)

    def check_uploads(self, s3, when):
        listed = []
        kw = {}
        while True:
            r = s3.list_multipart_uploads(Bucket=BUCKET, **kw)
            listed += [(u["Key"], u["UploadId"]) for u in r.get("Uploads", [])]
            if not r.get("IsTruncated"):
                break
            kw = {"KeyMarker": r["NextKeyMarker"], "UploadIdMarker": r["NextUploadIdMarker"]}
        m = self.model
        ids = {u for _, u in listed}
        for key, uid in listed:
            if uid in m.uploads:
                continue
            if m.unknown_uploads[key] > 0:  # its create was cut by a crash
                m.unknown_uploads[key] -= 1
                continue
            raise SoakFailure("%s: upload %s of %s is open, but it was completed or aborted "
                              "with an acknowledgement, or never created" % (when, uid, key),
                              m.last.get(key))
        for uid, (key, finishing) in m.uploads.items():
            if uid not in ids and not finishing:
                raise SoakFailure("%s: upload %s of %s was created (acknowledged) and never "
                                  "completed, but it is gone" % (when, uid, key), m.last.get(key))
        for key, uid in listed:
            s3.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=uid)
        self.count("leftover uploads aborted", len(listed))
        m.uploads = {}
        m.unknown_uploads.clear()

    # ---- phases ----

    def setup(self):
        rc, out, err = c.run_cli(self.cli, self.data, "bucket", "create", BUCKET, json_out=False)
        if rc != 0:
            raise SoakFailure("seglake bucket create exited %d: %s" % (rc, err))
        self.start_mount()
        self.start_s3d()
        s3 = self.s3d.client()
        rng = random.Random(self.rng.random())
        for name, size in [("static/small", 1000), ("static/one", MiB + 12345),
                           ("static/three", 3 * MiB)]:
            data = make_data(rng, size, name)
            e = self.journal.begin(-1, "setup", "put", key=name)
            s3.put_object(Bucket=BUCKET, Key=name, Body=data)
            self.journal.end(e, "ack")
            self.model.ack(e, {name: st_of(data)})
        parts = [make_data(rng, PART, "static/mpu-1"), make_data(rng, PART, "static/mpu-2"),
                 make_data(rng, 300000, "static/mpu-3")]
        e = self.journal.begin(-1, "setup", "multipart", key="static/mpu")
        uid = s3.create_multipart_upload(Bucket=BUCKET, Key="static/mpu")["UploadId"]
        done = [{"PartNumber": i, "ETag": s3.upload_part(Bucket=BUCKET, Key="static/mpu",
                                                         UploadId=uid, PartNumber=i,
                                                         Body=p)["ETag"]}
                for i, p in enumerate(parts, 1)]
        r = s3.complete_multipart_upload(Bucket=BUCKET, Key="static/mpu", UploadId=uid,
                                         MultipartUpload={"Parts": done})
        self.journal.end(e, "ack")
        self.model.ack(e, {"static/mpu": St(sum(map(len, parts)), md5(b"".join(parts)),
                                            r["ETag"].strip('"'))})
        for name, size in [("static/fs-small", 10000), ("static/fs-two", 2 * MiB)]:
            data = make_data(rng, size, name)
            e = self.journal.begin(-1, "setup", "fs-write", key=name)
            p = os.path.join(self.mnt, BUCKET, name)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            write_all(fd, data)
            os.fsync(fd)
            os.close(fd)
            self.journal.end(e, "ack")
            self.model.ack(e, {name: st_of(data)})
        self.static = self.model.present("static/")
        h.wait_for(lambda: all(os.path.exists(os.path.join(self.mnt, BUCKET, k))
                               for k in self.static), what="the static keys in the mount")
        self.verify("after setup")
        self.fsck("after setup")

    def wait(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.failure is None:
            time.sleep(0.02)

    def background(self, name, fn):
        def run():
            try:
                fn()
            except SoakFailure as f:
                self.fail(f)
            except BaseException:
                self.fail(SoakFailure("%s: unexpected exception\n%s"
                                      % (name, traceback.format_exc())))
        t = threading.Thread(target=run, name=name, daemon=True)
        t.start()
        return t

    def round_(self, r):
        self.round = r
        self.phase = "load"
        self.kill_time = {"s3": None, "fs": None}
        self.stop = threading.Event()
        rng = self.rng
        seeds = [rng.random() for _ in range(self.args.s3_workers + self.args.fs_workers)]
        threads = [S3Worker(self, i, random.Random(seeds[i]))
                   for i in range(self.args.s3_workers)]
        threads += [FsWorker(self, i, random.Random(seeds[self.args.s3_workers + i]))
                    for i in range(self.args.fs_workers)]
        threads += [Reader(self, "static-s3", "s3", self.static, 0.02),
                    Reader(self, "static-fs", "fs", self.static, 0.02)]
        extra = rng.choices(["none", "maintenance", "fsck"], [2, 1, 1])[0]
        delay = rng.uniform(1, 4)
        target = rng.choice(["s3", "fs", "both"])
        for t in threads:
            t.start()
        helpers = []
        if extra == "maintenance":
            helpers.append(self.background("maintenance", self.gc_compact_gc))
        elif extra == "fsck":
            def fsck_under_load():
                time.sleep(rng_extra)
                # A kill during the run may leave the killed writer's segment
                # unsealed: only that may show then.
                self.fsck("during the load", allow_dead=lambda: any(
                    v is not None for v in self.kill_time.values()))
            rng_extra = rng.uniform(0, delay / 2)
            helpers.append(self.background("fsck", fsck_under_load))
        self.wait(delay)
        self.raise_failure()
        doors = ["s3", "fs"] if target == "both" else [target]
        rng.shuffle(doors)
        for d in doors:
            self.kill(d)
        self.phase = "after the kill of %s" % "+".join(doors)
        self.stop.set()
        for t in threads + helpers:
            t.join(120)
            if t.is_alive():
                self.fail(SoakFailure("%s hangs %ds after the kill" % (t.name, 120)))
        self.raise_failure()
        ops = sum(v for k, v in self.stats.items() if k.startswith("acknowledged"))
        if "fs" in doors:
            self.unmount_dead()
        if self.s3d is None and self.mount is None:
            self.fsck("with both daemons killed", allow_dead=True)
        if self.mount is None:
            self.start_mount()
        if self.s3d is None:
            self.start_s3d()
        self.phase = "verify"
        killed = " and ".join("seglake-s3d" if d == "s3" else "seglake-mount" for d in doors)
        self.verify("round %d, after killing %s %.1fs into the load (%s)"
                    % (r, killed, delay, extra))
        self.fsck("after the restart")
        self.log("killed %s after %.1fs (%s during the load); %d ops acknowledged so far; "
                 "verified" % (killed, delay, extra, ops))
        if r % 3 == 2:
            self.phase = "maintenance"
            self.maintenance_under_reads()
        if r % 5 == 4:
            self.phase = "clean stop"
            self.stop_clean()
            self.fsck("with both daemons stopped cleanly")
            self.start_mount()
            self.start_s3d()

    def maintenance_under_reads(self):
        """gc, compaction and gc with readers of every key over both doors, one
        file held open and one GET half read: no read may fail."""
        self.stop = threading.Event()
        self.kill_time = {"s3": None, "fs": None}
        keys = self.model.present()
        readers = [Reader(self, "maint-s3-%d" % i, "s3", keys, 0) for i in range(2)]
        readers += [Reader(self, "maint-fs-%d" % i, "fs", keys, 0) for i in range(2)]
        big = "static/mpu"
        exp = self.model.get(big)
        fd = os.open(os.path.join(self.mnt, BUCKET, big), os.O_RDONLY)
        try:
            head = os.pread(fd, 65536, 0)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            s3 = self.s3d.client()
            resp = s3.get_object(Bucket=BUCKET, Key=big)
            body_head = resp["Body"].read(65536)
            for t in readers:
                t.start()
            self.wait(0.3)
            gc = self.gc_compact_gc()
            self.wait(0.3)
            self.stop.set()
            for t in readers:
                t.join(120)
                if t.is_alive():
                    raise SoakFailure("%s hangs during maintenance" % t.name)
            self.raise_failure()
            try:
                held_fs = head + read_fd_from(fd, len(head))
                held_s3 = body_head + resp["Body"].read()
            except Exception as x:
                raise SoakFailure("a read held open across gc and compaction failed: %r" % x)
        finally:
            os.close(fd)
        for what, data in (("mount file held open", held_fs), ("S3 GET half read", held_s3)):
            got = st_of(data, exp.etag)
            if not matches(got, exp):
                raise SoakFailure("%s across gc and compaction read %s, expected %s"
                                  % (what, fmt(got), fmt(exp)), self.model.last.get(big))
        self.count("held reads across gc and compaction", 2)
        # With every reader gone, each process publishes a new horizon within
        # a second (its lease): what waited for the readers must go then.
        # (Each gc run's own log records make a new segment that the next run
        # condemns and, with daemons running, leaves to the run after.)
        waiting, freed = gc.get("waiting", 0), 0
        deadline = time.monotonic() + 10
        while freed < waiting:
            if time.monotonic() > deadline:
                raise SoakFailure("%d condemned segments waited for readers that finished, but "
                                  "gc runs over 10 s deleted only %d (a lease not released?)"
                                  % (waiting, freed))
            time.sleep(1.2)
            freed += self.maint("gc", "--grace", "0s").get("deleted", 0)
        self.log("gc, compact, gc under %d readers: %d segments waited for the held reads, "
                 "then went" % (len(readers), waiting))
        self.verify("after gc and compaction")
        self.fsck("after gc and compaction")

    def final(self):
        self.round = self.args.rounds
        self.phase = "final"
        self.stop_clean()
        self.fsck("at the end, both daemons stopped")
        rc, out, err = c.run_cli(self.cli, self.data, "scrub", "--no-mark")
        self.count("scrub runs")
        if rc != 0:
            raise SoakFailure("seglake scrub --no-mark exited %d: %s %s" % (rc, out, err))
        rc, out, err = c.run_cli(self.cli, self.data, "rebuild-index", json_out=False)
        if rc != 0:
            raise SoakFailure("seglake rebuild-index exited %d: %s %s" % (rc, out, err))
        self.fsck("after rebuild-index")
        self.start_mount()
        self.start_s3d()
        self.verify("after rebuild-index")
        self.stop_clean()
        self.log("clean stop, fsck, scrub, rebuild-index, verify: ok")

    def run(self):
        print("crash soak: seed %d, %d rounds, data dir %s" % (self.seed, self.args.rounds,
                                                               self.data), flush=True)
        started = time.monotonic()
        try:
            self.setup()
            for r in range(self.args.rounds):
                self.round_(r)
            self.final()
        except SoakFailure as f:
            self.fail(f)
        except BaseException as e:
            if isinstance(e, SystemExit):
                print("interrupted (seed %d, round %d)" % (self.seed, self.round),
                      file=sys.stderr)
                raise
            self.fail(SoakFailure("unexpected exception\n%s" % traceback.format_exc()))
        finally:
            self.stop.set()
            failed = self.failure is not None
            if failed:
                with self.journal.lock:
                    self.journal.f.flush()
                self.report_failure()
            self.cleanup()
        if failed:
            return 1
        self.report(time.monotonic() - started)
        return 0

    def report_failure(self):
        f = self.failure
        out = sys.stderr
        print("\nCRASH SOAK FAILED: seed %d, round %d (%s)" % (self.seed, self.round, self.phase),
              file=out)
        print(f.message, file=out)
        if f.entry is not None:
            print("journal entry: %s" % json.dumps(f.entry, indent=1, default=str), file=out)
        if isinstance(f.details, str):
            print(f.details, file=out)
        elif f.details is not None:
            print("details: %s" % json.dumps(f.details, indent=1, default=str), file=out)
        if f.key:
            lines = self.journal_lines(f.key)
            print("journal lines naming %s (last %d of %d):" % (f.key, min(len(lines), 8),
                                                                 len(lines)), file=out)
            for line in lines[-8:]:
                print("  " + line, file=out)
        print("--- seglake-s3d log tail ---\n%s" % c.tail(self.s3d_log), file=out)
        for name in sorted(os.listdir(self.tmp)):
            if name.startswith("mount-") and name.endswith(".log"):
                text = c.tail(os.path.join(self.tmp, name), 15)
                if text:
                    print("--- %s tail ---\n%s" % (name, text), file=out)
        print("reproduce: python3 tests/soak/crash_soak.py --seed %d --rounds %d --keep"
              % (self.seed, self.args.rounds), file=out)

    def journal_lines(self, key):
        """The journal lines whose operation names `key`."""
        needle = json.dumps(key)
        try:
            with open(os.path.join(self.tmp, "journal.jsonl")) as f:
                return [line.rstrip("\n") for line in f if needle in line]
        except OSError:
            return []

    def report(self, seconds):
        s = self.stats
        acked = sum(v for k, v in s.items() if k.startswith("acknowledged"))
        print("\ncrash soak passed: seed %d, %d rounds in %.0fs, %d ops acknowledged"
              % (self.seed, self.args.rounds, seconds, acked))
        for k in sorted(s):
            print("  %-60s %d" % (k, s[k]))


def read_fd_from(fd, offset):
    out = bytearray()
    while True:
        chunk = os.pread(fd, MiB, offset + len(out))
        if not chunk:
            return bytes(out)
        out += chunk


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=6, help="crash rounds (default 6)")
    p.add_argument("--seed", type=int, help="random seed (default: a new one, printed)")
    p.add_argument("--s3-workers", type=int, default=3, help="S3 client threads (default 3)")
    p.add_argument("--fs-workers", type=int, default=2, help="mount client threads (default 2)")
    p.add_argument("--keep", action="store_true",
                   help="keep the temp dir (data dir, journal, logs) at the end")
    args = p.parse_args()
    return Soak(args).run()


if __name__ == "__main__":
    sys.exit(main())
