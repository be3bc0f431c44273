"""A differential test: one seeded random sequence of file operations applied
to the mount and to a local directory side by side; after every step both
trees must list the same names, types and sizes and hold the same bytes.

SEGLAKE_TEST_SEED picks the seed and SEGLAKE_RANDOM_STEPS the length
(default 1500); a failure prints both with the failing step."""
import ctypes
import errno
import hashlib
import os
import random
import shutil
import stat
import sys
import tempfile

import fuse_harness as h

STEPS = int(os.environ.get("SEGLAKE_RANDOM_STEPS", "1500"))
MAX_OPEN = 6
MAX_FILES = 14
KiB = 1 << 10
MiB = 1 << 20
FALLOC_PUNCH = 2 | 1  # FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
h.LIBC.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]

OPEN_FLAGS = [
    ("rdwr", os.O_RDWR),
    ("rdwr|creat", os.O_RDWR | os.O_CREAT),
    ("rdwr|trunc", os.O_RDWR | os.O_TRUNC),
    ("wronly|append", os.O_WRONLY | os.O_APPEND),
    ("rdwr|append", os.O_RDWR | os.O_APPEND),
    ("rdonly", os.O_RDONLY),
]


class Handle:
    def __init__(self, rel, fd_m, fd_l, flags):
        self.rel = rel
        self.fds = (fd_m, fd_l)
        self.flags = flags

    @property
    def writable(self):
        return self.flags & (os.O_WRONLY | os.O_RDWR) != 0

    @property
    def readable(self):
        return self.flags & os.O_WRONLY == 0

    @property
    def append(self):
        return self.flags & os.O_APPEND != 0


def punch(fd, offset, length):
    if h.LIBC.fallocate(fd, FALLOC_PUNCH, offset, length) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


class Divergence(AssertionError):
    pass


class Differential:
    """Applies each operation to both trees and compares them."""

    def __init__(self, mount_root, local_root, seed):
        self.roots = (mount_root, local_root)
        self.rng = random.Random(seed)
        self.handles = []
        self.history = []
        self.local_punch = True

    # the model (read from the local tree, the reference)

    def files(self):
        out = []
        for root, dirs, names in os.walk(self.roots[1]):
            dirs.sort()
            for n in sorted(names):
                out.append(os.path.relpath(os.path.join(root, n), self.roots[1]))
        return out

    def dirs(self):
        out = [""]
        for root, dirs, _ in os.walk(self.roots[1]):
            for d in sorted(dirs):
                out.append(os.path.relpath(os.path.join(root, d), self.roots[1]))
        return sorted(out)

    def new_name(self, kind):
        parent = self.rng.choice(self.dirs())
        return os.path.join(parent, "%s%d" % (kind, self.rng.randrange(40)))

    def size(self, rel):
        return os.stat(os.path.join(self.roots[1], rel)).st_size

    # running one operation on both sides

    def both(self, what, fn):
        """fn(side) runs on the mount (0) and the local tree (1); both must
        succeed or fail with the same errno."""
        results = []
        for side in (1, 0):
            try:
                results.append(("ok", fn(side)))
            except OSError as e:
                results.append(("err", e.errno))
        local, mount = results
        if local[0] != mount[0] or (local[0] == "err" and local[1] != mount[1]):
            raise Divergence("%s: local %s, mount %s" % (
                what, self.describe(local), self.describe(mount)))
        return local[0] == "ok", mount[1], local[1]

    @staticmethod
    def describe(r):
        return errno.errorcode.get(r[1], r[1]) if r[0] == "err" else "ok"

    def path(self, side, rel):
        return os.path.join(self.roots[side], rel)

    # operations

    def op_open(self):
        if len(self.handles) >= MAX_OPEN:
            return self.op_close()
        files = self.files()
        name, flags = self.rng.choice(OPEN_FLAGS)
        if not files or (len(files) < MAX_FILES and self.rng.random() < 0.3):
            rel = self.new_name("f")
            flags |= os.O_CREAT
            name += "|creat"
            if os.path.isdir(self.path(1, rel)):
                return "skip"
        else:
            rel = self.rng.choice(files)
        fds = [None, None]

        def do(side):
            fds[side] = os.open(self.path(side, rel), flags, 0o644)
        ok, _, _ = self.both("open(%s, %s)" % (rel, name), do)
        if ok:
            self.handles.append(Handle(rel, fds[0], fds[1], flags))
        return "open(%s, %s)" % (rel, name)

    def pick(self, need):
        hs = [x for x in self.handles if getattr(x, need)]
        return self.rng.choice(hs) if hs else None

    def op_write(self):
        hd = self.pick("writable")
        if hd is None:
            return self.op_open()
        size = self.size(hd.rel)
        r = self.rng.random()
        n = self.rng.randrange(1, 4 * KiB) if r < 0.7 else \
            self.rng.randrange(4 * KiB, 256 * KiB) if r < 0.95 else \
            self.rng.randrange(256 * KiB, 1536 * KiB)
        r = self.rng.random()
        off = self.rng.randrange(size + 1) if r < 0.6 else \
            self.rng.randrange(size + 256 * KiB) if r < 0.9 else self.rng.randrange(3 * MiB)
        data = self.rng.randbytes(n)
        if hd.append:
            self.both("append(%s, %d)" % (hd.rel, n), lambda s: os.write(hd.fds[s], data))
            return "append(%s, %d)" % (hd.rel, n)
        self.both("pwrite(%s, %d@%d)" % (hd.rel, n, off),
                  lambda s: os.pwrite(hd.fds[s], data, off))
        return "pwrite(%s, %d@%d)" % (hd.rel, n, off)

    def op_read(self):
        hd = self.pick("readable")
        if hd is None:
            return self.op_open()
        size = self.size(hd.rel)
        off = self.rng.randrange(size + 10)
        n = self.rng.randrange(1, 300 * KiB)
        # Without the kernel's cached pages (which another handle may have
        # filled) the read reaches this handle in the mount: every handle of
        # a file must read the same bytes.
        os.posix_fadvise(hd.fds[0], 0, 0, os.POSIX_FADV_DONTNEED)
        ok, got_m, got_l = self.both("pread(%s, %d@%d)" % (hd.rel, n, off),
                                     lambda s: os.pread(hd.fds[s], n, off))
        if ok and got_m != got_l:
            raise Divergence("pread(%s, %d@%d) returned different bytes (%d vs %d)"
                             % (hd.rel, n, off, len(got_m), len(got_l)))
        return "pread(%s, %d@%d)" % (hd.rel, n, off)

    def op_truncate(self):
        size = 0 if self.rng.random() < 0.1 else self.rng.randrange(2 * MiB)
        hd = self.pick("writable")
        if hd is not None and self.rng.random() < 0.7:
            self.both("ftruncate(%s, %d)" % (hd.rel, size),
                      lambda s: os.ftruncate(hd.fds[s], size))
            return "ftruncate(%s, %d)" % (hd.rel, size)
        files = self.files()
        if not files:
            return "skip"
        rel = self.rng.choice(files)
        self.both("truncate(%s, %d)" % (rel, size),
                  lambda s: os.truncate(self.path(s, rel), size))
        return "truncate(%s, %d)" % (rel, size)

    def op_punch(self):
        hd = self.pick("writable")
        if hd is None or hd.append:
            return "skip"
        size = self.size(hd.rel)
        off = self.rng.randrange(size + 1)
        n = self.rng.randrange(1, 512 * KiB)

        def do(side):
            if side == 1 and not self.local_punch:
                end = min(off + n, self.size(hd.rel))
                if end > off:
                    os.pwrite(hd.fds[1], bytes(end - off), off)
                return
            try:
                punch(hd.fds[side], off, n)
            except OSError as e:
                if side == 1 and e.errno == errno.EOPNOTSUPP:
                    self.local_punch = False
                    return do(side)
                raise
        self.both("punch(%s, %d@%d)" % (hd.rel, n, off), do)
        return "punch(%s, %d@%d)" % (hd.rel, n, off)

    def op_copy_range(self):
        src, dst = self.pick("readable"), self.pick("writable")
        if src is None or dst is None or dst.append:
            return "skip"
        size = self.size(src.rel)
        if size == 0:
            return "skip"
        soff = self.rng.randrange(size)
        n = self.rng.randrange(1, min(size - soff, 400 * KiB) + 1)
        doff = self.rng.randrange(self.size(dst.rel) + 1)
        if src.rel == dst.rel and soff < doff + n and doff < soff + n:
            return "skip"  # overlapping ranges in one file: EINVAL by design

        def do(side):
            done = 0
            while done < n:
                k = os.copy_file_range(src.fds[side], dst.fds[side], n - done, soff + done,
                                       doff + done)
                if k == 0:
                    break
                done += k
            return done
        what = "copy_file_range(%s %d@%d -> %s @%d)" % (src.rel, n, soff, dst.rel, doff)
        ok, m, l = self.both(what, do)
        if ok and m != l:
            raise Divergence("%s copied %d bytes in the mount, %d locally" % (what, m, l))
        return what

    def op_fsync(self):
        if not self.handles:
            return "skip"
        hd = self.rng.choice(self.handles)
        self.both("fsync(%s)" % hd.rel, lambda s: os.fsync(hd.fds[s]))
        return "fsync(%s)" % hd.rel

    def op_close(self, hd=None):
        if not self.handles:
            return "skip"
        hd = hd or self.rng.choice(self.handles)
        self.handles.remove(hd)
        self.both("close(%s)" % hd.rel, lambda s: os.close(hd.fds[s]))
        return "close(%s)" % hd.rel

    def op_reopen(self):
        if not self.handles:
            return "skip"
        hd = self.rng.choice(self.handles)
        self.op_close(hd)
        name, flags = self.rng.choice(OPEN_FLAGS)
        fds = [None, None]

        def do(side):
            fds[side] = os.open(self.path(side, hd.rel), flags & ~os.O_CREAT)
        ok, _, _ = self.both("reopen(%s, %s)" % (hd.rel, name), do)
        if ok:
            self.handles.append(Handle(hd.rel, fds[0], fds[1], flags))
        return "reopen(%s, %s)" % (hd.rel, name)

    def close_handles_of(self, rel):
        for hd in [x for x in self.handles if x.rel == rel or x.rel.startswith(rel + "/")]:
            self.op_close(hd)

    def op_rename(self):
        files = self.files()
        if not files:
            return "skip"
        src = self.rng.choice(files)
        if self.rng.random() < 0.4 and len(files) > 1:
            dst = self.rng.choice([f for f in files if f != src])
        else:
            dst = self.new_name("r")
        if dst != src and os.path.isfile(self.path(1, dst)):
            # An open file replaced by rename keeps its bytes locally but
            # not in the mount (documented): close its handles first.
            self.close_handles_of(dst)
        what = "rename(%s, %s)" % (src, dst)
        ok, _, _ = self.both(what, lambda s: os.rename(self.path(s, src), self.path(s, dst)))
        if ok and src != dst:
            for hd in self.handles:
                if hd.rel == src:
                    hd.rel = dst
        return what

    def op_rename_dir(self):
        dirs = [d for d in self.dirs() if d]
        if not dirs:
            return "skip"
        src = self.rng.choice(dirs)
        dst = self.new_name("d")
        if dst == src or dst.startswith(src + "/"):
            return "skip"
        what = "rename_dir(%s, %s)" % (src, dst)
        ok, _, _ = self.both(what, lambda s: os.rename(self.path(s, src), self.path(s, dst)))
        if ok:
            for hd in self.handles:
                if hd.rel.startswith(src + "/"):
                    hd.rel = dst + hd.rel[len(src):]
        return what

    def op_unlink(self):
        files = self.files()
        if not files:
            return "skip"
        rel = self.rng.choice(files)
        self.close_handles_of(rel)
        self.both("unlink(%s)" % rel, lambda s: os.unlink(self.path(s, rel)))
        return "unlink(%s)" % rel

    def op_mkdir(self):
        if len(self.dirs()) > 8:
            return self.op_rmdir()
        rel = self.new_name("d")
        self.both("mkdir(%s)" % rel, lambda s: os.mkdir(self.path(s, rel)))
        return "mkdir(%s)" % rel

    def op_rmdir(self):
        dirs = [d for d in self.dirs() if d]
        if not dirs:
            return "skip"
        rel = self.rng.choice(dirs)
        self.both("rmdir(%s)" % rel, lambda s: os.rmdir(self.path(s, rel)))
        return "rmdir(%s)" % rel

    OPS = [("op_write", 30), ("op_read", 8), ("op_open", 10), ("op_close", 6),
           ("op_reopen", 5), ("op_fsync", 5), ("op_truncate", 6), ("op_punch", 5),
           ("op_copy_range", 4), ("op_rename", 6), ("op_rename_dir", 2), ("op_unlink", 4),
           ("op_mkdir", 3), ("op_rmdir", 2)]

    def step(self):
        names, weights = zip(*self.OPS)
        op = self.rng.choices(names, weights)[0]
        desc = getattr(self, op)()
        self.history.append(desc)
        return desc

    # comparing the trees

    def snapshot(self, side):
        tree = {}
        root = self.roots[side]

        def fail(e):
            raise Divergence("listing %s: %s" % ("the mount" if side == 0 else "locally", e))
        for d, dirs, names in os.walk(root, onerror=fail):
            for n in dirs:
                tree[os.path.relpath(os.path.join(d, n), root)] = ("dir",)
            for n in names:
                p = os.path.join(d, n)
                st = os.lstat(p)
                kind = "file" if stat.S_ISREG(st.st_mode) else "other"
                with open(p, "rb") as f:
                    digest = hashlib.md5(f.read()).hexdigest()
                tree[os.path.relpath(p, root)] = (kind, st.st_size, digest)
        return tree

    def compare(self):
        mount, local = self.snapshot(0), self.snapshot(1)
        if mount == local:
            return
        lines = []
        for k in sorted(set(mount) | set(local)):
            if mount.get(k) != local.get(k):
                lines.append("  %s: mount %s, local %s" % (k, mount.get(k), local.get(k)))
        raise Divergence("trees differ:\n" + "\n".join(lines[:20]))

    def close_all(self):
        for hd in list(self.handles):
            self.op_close(hd)

    def drop_all(self):
        """Closes every handle, ignoring errors (cleanup after a failure)."""
        for hd in self.handles:
            for fd in hd.fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.handles = []


class RandomOps(h.MountTestCase):
    # A tenth of the default poll interval: the follower runs often.
    mount_options = ("poll_ms=5",)

    def test_differential(self):
        seed = int(os.environ.get("SEGLAKE_TEST_SEED", random.randrange(1 << 31)))
        print("\nseed %d, %d steps" % (seed, STEPS), file=sys.stderr)
        b = self.new_bucket("rand")
        local = tempfile.mkdtemp(prefix="seglake-random-local-")
        self.addCleanup(shutil.rmtree, local, True)
        d = Differential(b, local, seed)
        self.addCleanup(d.drop_all)
        i = 0
        try:
            for i in range(STEPS):
                d.step()
                d.compare()
            d.close_all()
            d.history.append("close all")
            d.compare()
        except Divergence as e:
            if self.mount.proc.poll() is not None:
                e = "%s\nseglake-mount exited with %s; its log ends:\n%s" % (
                    e, self.mount.proc.returncode, self.mount.log_text(max_lines=10))
            recent = "\n".join("  %4d %s" % (n, x) for n, x in
                               list(enumerate(d.history))[-int(os.environ.get("SEGLAKE_HISTORY", "15")):])
            self.fail("seed %d, step %d (%s): %s\nlast steps:\n%s\n(rerun with "
                      "SEGLAKE_TEST_SEED=%d)" % (seed, i, d.history[-1] if d.history else "",
                                                 e, recent, seed))


if __name__ == "__main__":
    h.main()
