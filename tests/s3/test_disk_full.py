"""A full disk under seglake-s3d: the PUT that meets it fails with 503 (and
Retry-After), nothing else breaks, and once space is free again writes work
in the same process, without a restart. The data dir sits on a small tmpfs
that a filler file fills up; needs root to mount it (skipped otherwise)."""
import os
import subprocess
import tempfile
import unittest

import s3d_harness as h


class DiskFull(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        self.mnt = tempfile.mkdtemp(prefix="seglake-full-")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m,mode=0700", "tmpfs",
                            self.mnt], capture_output=True, text=True)
        if r.returncode != 0:
            os.rmdir(self.mnt)
            self.skipTest("cannot mount a tmpfs: " + r.stderr.strip())
        self.server = h.Server(data_dir=os.path.join(self.mnt, "data")).start()
        self.s3 = self.server.client()

    def tearDown(self):
        rc = self.server.stop()
        self.server.cleanup()
        subprocess.run(["umount", "-l", self.mnt])
        os.rmdir(self.mnt)
        self.assertEqual(rc, 0, self.server.log_lines()[-20:])

    def fill(self, leave_bytes):
        st = os.statvfs(self.mnt)
        free = st.f_bavail * st.f_frsize
        with open(os.path.join(self.mnt, "filler"), "wb") as f:
            f.truncate(0)
            chunk = b"\0" * (1 << 20)
            left = free - leave_bytes
            while left > 0:
                n = min(left, len(chunk))
                f.write(chunk[:n])
                left -= n
            f.flush()
            os.fsync(f.fileno())

    def test_writes_work_again_once_space_is_free(self):
        self.s3.create_bucket(Bucket="full")
        before = os.urandom(100_000)
        self.s3.put_object(Bucket="full", Key="before", Body=before)
        self.fill(leave_bytes=2 << 20)
        big = os.urandom(8 << 20)
        failures = 0
        for i in range(3):
            st, hdrs, data = self.server.request("PUT", "/full/big%d" % i, body=big)
            self.assertEqual(st, 503, data)
            self.assertIn(b"ServiceUnavailable", data)
            self.assertEqual(hdrs.get("retry-after"), "5")
            failures += 1
        # Reads and listings go on meanwhile; nothing half-written shows.
        self.assertEqual(self.s3.get_object(Bucket="full", Key="before")["Body"].read(), before)
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket="full").get("Contents", [])]
        self.assertEqual(keys, ["before"])
        # Space comes back: the same process takes writes again.
        os.remove(os.path.join(self.mnt, "filler"))
        self.s3.put_object(Bucket="full", Key="after", Body=big)
        self.assertEqual(self.s3.get_object(Bucket="full", Key="after")["Body"].read(), big)
        self.s3.delete_object(Bucket="full", Key="before")
        self.assertEqual(failures, 3)


if __name__ == "__main__":
    h.main()
