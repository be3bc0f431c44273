"""seglake-mount killed with SIGKILL: every file that was closed, fsync'd or
renamed before the kill reads back after a remount, byte for byte, and is an
object over S3 with the MD5 of its bytes as ETag. A file with writes after its
last fsync reads as the fsync'd bytes or as those plus the later writes,
never anything in between."""
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import unittest

import fuse_harness as h

MiB = 1 << 20
BUCKET = "crash"


class Crash(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="seglake-crash-")
        self.data = os.path.join(self.tmp, "data")
        self.mnt = os.path.join(self.tmp, "mnt")
        self.mount = None
        self.server = None
        # path relative to the bucket -> the contents it may have after a
        # crash: the acknowledged bytes first, then any later unsynced state.
        self.expected = {}
        self.maybe = set()  # files whose state at the kill is not acknowledged

    def tearDown(self):
        if self.server is not None:
            self.server.stop()
            self.server.cleanup()
        if self.mount is not None:
            self.mount.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run(self, result=None):
        self.logs = []
        before = (len(result.failures), len(result.errors)) if result else None
        out = super().run(result)
        if result is not None and (len(result.failures), len(result.errors)) != before:
            for i, text in enumerate(self.logs):
                print("\n--- seglake-mount log, mount %d ---\n%s" % (i + 1, text),
                      file=sys.stderr)
        return out

    def start_mount(self):
        self.mount = h.Mount(data_dir=self.data, mountpoint=self.mnt, tmp=self.tmp)
        self.addCleanup(lambda m=self.mount: self.logs.append(m.log_text()))
        self.mount.start()
        return os.path.join(self.mnt, BUCKET)

    def write(self, path, data):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        h.write_file(path, data)

    def workload(self, b, rng, cycle):
        """Runs one cycle's operations; returns the fds left open at the kill."""
        def rel(p):
            return os.path.relpath(p, b)

        # Closed files.
        for i in range(15):
            p = os.path.join(b, "c%d" % cycle, "closed-%02d" % i)
            data = rng.randbytes(rng.choice([0, 1, 4096, 100_000, 1_500_000]))
            self.write(p, data)
            self.expected[rel(p)] = [data]
        # fsync'd, then more writes that are never acknowledged.
        open_fds = []
        for i in range(5):
            p = os.path.join(b, "c%d" % cycle, "synced-%d" % i)
            fd = os.open(p, os.O_CREAT | os.O_RDWR, 0o644)
            open_fds.append(fd)
            data = rng.randbytes(rng.randrange(1, 3 * MiB))
            os.write(fd, data)
            os.fsync(fd)
            off = rng.randrange(len(data))
            later = bytearray(data)
            later[off:off + 1400] = b"unacknowledged" * 100
            os.pwrite(fd, b"unacknowledged" * 100, off)
            self.expected[rel(p)] = [data, bytes(later)]
        # A file of an earlier cycle changed in the middle and fsync'd.
        earlier = sorted(k for k in self.expected if "closed" in k and self.expected[k][0]
                         and not k.startswith("c%d/" % cycle))
        if earlier:
            k = rng.choice(earlier)
            fd = os.open(os.path.join(b, k), os.O_RDWR)
            open_fds.append(fd)
            data = bytearray(self.expected[k][0])
            off = rng.randrange(len(data))
            os.pwrite(fd, b"patched", off)
            data[off:off + 7] = b"patched"
            os.fdatasync(fd)
            later = bytearray(data)
            later[0:4] = b"lost"
            os.pwrite(fd, b"lost", 0)
            self.expected[k] = [bytes(data), bytes(later)]
        # Renames of a file and of a directory, and an unlink.
        p = os.path.join(b, "c%d" % cycle, "closed-00")
        q = os.path.join(b, "c%d" % cycle, "renamed-00")
        os.rename(p, q)
        self.expected[rel(q)] = self.expected.pop(rel(p))
        d = os.path.join(b, "c%d" % cycle)
        nd = os.path.join(b, "moved-c%d" % cycle)
        os.rename(d, nd)
        for k in [k for k in self.expected if k.startswith("c%d/" % cycle)]:
            self.expected["moved-" + k] = self.expected.pop(k)
        victim = os.path.join(b, "moved-c%d" % cycle, "closed-01")
        os.unlink(victim)
        del self.expected[rel(victim)]
        return open_fds

    def busy_writer(self, b, cycle, stop):
        """Writes without syncing until the mount dies under it."""
        p = os.path.join(b, "busy-%d" % cycle)
        self.maybe.add(os.path.relpath(p, b))
        try:
            fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o644)
            try:
                while not stop.is_set():
                    os.write(fd, b"b" * 65536)
            finally:
                os.close(fd)
        except OSError:
            pass  # the mount was killed

    def verify(self, b, when):
        shown = set()
        for root, _, names in os.walk(b):
            for n in names:
                shown.add(os.path.relpath(os.path.join(root, n), b))
        missing = sorted(set(self.expected) - shown)
        self.assertEqual(missing, [], "%s: acknowledged files missing" % when)
        extra = sorted(shown - set(self.expected) - self.maybe)
        self.assertEqual(extra, [], "%s: files that should not exist" % when)
        for k, allowed in sorted(self.expected.items()):
            got = h.read_file(os.path.join(b, k))
            self.assertIn((len(got), h.md5(got)), [(len(d), h.md5(d)) for d in allowed],
                          "%s: %s does not read back as acknowledged" % (when, k))
            self.expected[k] = [got]  # what it holds from now on

    def verify_s3(self, when):
        if self.server is None:
            h.s3d_binary()
            self.server = h.s3d_harness.Server(data_dir=self.data).start()
        s3 = self.server.client()
        keys = set()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            keys |= {o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/")}
        self.assertEqual(sorted(set(self.expected) - keys), [], when)
        for k, (data,) in sorted(self.expected.items()):
            head = s3.head_object(Bucket=BUCKET, Key=k)
            self.assertEqual(head["ContentLength"], len(data), "%s: %s" % (when, k))
            self.assertEqual(head["ETag"].strip('"'), h.md5(data), "%s: %s" % (when, k))

    def test_kill9_and_remount(self):
        seed = int(os.environ.get("SEGLAKE_TEST_SEED", random.randrange(1 << 30)))
        print("\nseed %d" % seed, file=sys.stderr)
        rng = random.Random(seed)
        b = self.start_mount()
        os.mkdir(b)
        for cycle in range(3):
            stop = threading.Event()
            writer = threading.Thread(target=self.busy_writer, args=(b, cycle, stop))
            writer.start()
            open_fds = self.workload(b, rng, cycle)
            time.sleep(0.2)
            self.mount.kill()  # SIGKILL, then fusermount3 -uz
            stop.set()
            writer.join(30)
            self.assertFalse(writer.is_alive(), "a writer hangs on the dead mount")
            for fd in open_fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.assertFalse(h.mounted(self.mnt))
            b = self.start_mount()
            self.verify(b, "cycle %d (seed %d), after kill -9 and remount" % (cycle, seed))
            self.verify_s3("cycle %d (seed %d), over S3" % (cycle, seed))
        self.mount.stop()
        self.mount = None
        # Once more after a clean unmount, with S3 still running.
        b = self.start_mount()
        self.verify(b, "after a clean remount")
        self.mount.stop()
        self.mount = None


if __name__ == "__main__":
    h.main(s3d=True)
