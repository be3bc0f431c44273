"""A full disk under seglake-mount: the write that meets it fails with
ENOSPC, other operations keep working (no EIO for everything after), and
once space is free the same mount writes again, without a remount. The
data dir sits on a small tmpfs that a filler file fills; needs root."""
import errno
import os
import subprocess
import tempfile
import unittest

import fuse_harness as h


class DiskFull(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        self.tmp = tempfile.mkdtemp(prefix="seglake-full-")
        self.disk = os.path.join(self.tmp, "disk")
        os.mkdir(self.disk)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m,mode=0700", "tmpfs",
                            self.disk], capture_output=True, text=True)
        if r.returncode != 0:
            self.skipTest("cannot mount a tmpfs: " + r.stderr.strip())
        self.mount = h.Mount(data_dir=os.path.join(self.disk, "data"), tmp=self.tmp).start()
        self.b = os.path.join(self.mount.mnt, "full")
        os.mkdir(self.b)

    def tearDown(self):
        try:
            self.mount.stop()
        finally:
            subprocess.run(["umount", "-l", self.disk])
            self.mount.cleanup()

    def fill(self, leave_bytes):
        st = os.statvfs(self.disk)
        left = st.f_bavail * st.f_frsize - leave_bytes
        with open(os.path.join(self.disk, "filler"), "wb") as f:
            while left > 0:
                n = min(left, 1 << 20)
                f.write(b"\0" * n)
                left -= n

    def write(self, path, data):
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    def test_enospc_then_writes_resume(self):
        before = os.urandom(200_000)
        self.write(os.path.join(self.b, "before"), before)
        self.write(os.path.join(self.b, "doomed"), b"d" * 1000)
        self.fill(leave_bytes=2 << 20)
        big = os.urandom(8 << 20)
        with self.assertRaises(OSError) as cm:
            self.write(os.path.join(self.b, "big"), big)
        self.assertEqual(cm.exception.errno, errno.ENOSPC, cm.exception)
        # The rest of the file system still works: reads, listings, removal.
        self.assertEqual(h.read_file(os.path.join(self.b, "before")), before)
        os.unlink(os.path.join(self.b, "doomed"))
        self.assertNotIn("doomed", os.listdir(self.b))
        # Space is back: the same mount writes again.
        os.remove(os.path.join(self.disk, "filler"))
        self.write(os.path.join(self.b, "after"), big)
        self.assertEqual(h.read_file(os.path.join(self.b, "after")), big)
        self.write(os.path.join(self.b, "big"), big)
        self.assertEqual(h.read_file(os.path.join(self.b, "big")), big)


if __name__ == "__main__":
    unittest.main(verbosity=2)
