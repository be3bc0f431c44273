"""One view per file per mount: every handle of a file reads what the last
write through this mount holds, whatever mode it was opened in and whichever
handle wrote (SEMANTICS.md, "Open files"). A reader that kept the version it
opened made short reads that shrank the kernel's size, and the next append
then overwrote committed bytes."""
import errno
import os
import shutil
import sqlite3
import subprocess
import time

import fuse_harness as h

MiB = 1 << 20


class OneView(h.MountTestCase):
    def setUp(self):
        self.b = self.new_bucket("v")

    def test_append_after_read_only_handle_read(self):
        """The shell repro: a read-only fd reads after another fd appended and
        closed; the next append must go after the end."""
        p = subprocess.run(["bash", "-c", "echo start > f; exec 3< f; echo line2 >> f; "
                            "cat <&3 >/dev/null; echo line3 >> f; cat f"],
                           cwd=self.b, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "start\nline2\nline3\n")
        self.assertEqual(h.read_file(os.path.join(self.b, "f")), b"start\nline2\nline3\n")

    def test_read_only_handle_sees_each_commit(self):
        path = os.path.join(self.b, "seen")
        h.write_file(path, b"v1")
        r = os.open(path, os.O_RDONLY)
        try:
            self.assertEqual(os.pread(r, 100, 0), b"v1")
            for i in range(2, 6):
                data = b"version %d " % i * (i * 1000)
                h.write_file(path, data)  # O_TRUNC, write, close: a commit
                self.assertEqual(os.fstat(r).st_size, len(data))
                self.assertEqual(h.pread_all(r, len(data) + 10), data)
            # Truncate by path while only a read-only handle is open.
            os.truncate(path, 3 * MiB)
            got = h.pread_all(r, 3 * MiB + 10)
            self.assertEqual(len(got), 3 * MiB)
            self.assertEqual(got[:len(data)], data)
            self.assertEqual(got[len(data):], bytes(3 * MiB - len(data)))
        finally:
            os.close(r)
        time.sleep(1.1)  # past the attribute timeout: the size comes from the data dir
        self.assertEqual(os.stat(path).st_size, 3 * MiB)

    def test_two_read_only_handles_and_a_writer(self):
        path = os.path.join(self.b, "two")
        h.write_file(path, b"a" * 10000)
        r1 = os.open(path, os.O_RDONLY)
        w = os.open(path, os.O_WRONLY)
        r2 = os.open(path, os.O_RDONLY)
        try:
            os.pwrite(w, b"b" * 5000, 10000)
            for r in (r1, r2):
                self.assertEqual(h.pread_all(r, 20000), b"a" * 10000 + b"b" * 5000)
            os.close(w)
            w = None
            for r in (r1, r2):
                self.assertEqual(h.pread_all(r, 20000), b"a" * 10000 + b"b" * 5000)
            r3 = os.open(path, os.O_RDONLY)
            self.assertEqual(h.pread_all(r3, 20000), b"a" * 10000 + b"b" * 5000)
            os.close(r3)
        finally:
            for fd in (r1, r2, w):
                if fd is not None:
                    os.close(fd)
        self.assertEqual(h.read_file(path), b"a" * 10000 + b"b" * 5000)

    def test_tail_follows_appends(self):
        """A reader polling like tail -f while 30 appenders (each an open,
        a write and a close, as `echo >>`) add lines: every line arrives
        intact and the file holds them all."""
        path = os.path.join(self.b, "log")
        h.write_file(path, b"")
        lines = [b"line %02d %s\n" % (i, b"x" * (i * 37 % 200)) for i in range(30)]
        tail = None
        if shutil.which("tail"):
            tail = subprocess.Popen(["tail", "-f", "-s", "0.05", path], stdout=subprocess.PIPE)
        fd = os.open(path, os.O_RDONLY)
        got = b""
        try:
            for line in lines:
                with open(path, "ab") as f:
                    f.write(line)
                # What a poller does: stat, then read from where it was.
                deadline = time.monotonic() + 5
                want = sum(len(x) for x in lines[:lines.index(line) + 1])
                while len(got) < want and time.monotonic() < deadline:
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        time.sleep(0.01)
                    got += chunk
            self.assertEqual(got, b"".join(lines))
        finally:
            os.close(fd)
            if tail:
                time.sleep(0.5)
                tail.terminate()
                out = tail.communicate(timeout=10)[0]
        self.assertEqual(h.read_file(path), b"".join(lines))
        if tail:
            self.assertEqual(out, b"".join(lines))

    def test_sqlite_read_only_connection_sees_every_row(self):
        """A read-only connection stays open while writers add 4,000 rows in
        40 transactions: 20 from one connection, then 20 each from a
        connection of its own (no writable handle is open between them): it
        sees every row."""
        db = os.path.join(self.b, "rows.db")
        w = sqlite3.connect(db)
        w.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        w.commit()
        w.close()
        r = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        w = sqlite3.connect(db)
        try:
            self.assertEqual(r.execute("SELECT count(*) FROM t").fetchone()[0], 0)
            n = 0
            for batch in range(40):
                own = batch >= 20
                if own and w is not None:
                    w.close()
                    w = None
                c = sqlite3.connect(db) if own else w
                c.executemany("INSERT INTO t (v) VALUES (?)",
                              [("row %d %s" % (n + i, "y" * (i % 90)),) for i in range(100)])
                c.commit()
                if own:
                    c.close()
                n += 100
                self.assertEqual(r.execute("SELECT count(*) FROM t").fetchone()[0], n,
                                 "after batch %d" % batch)
            self.assertEqual(r.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            self.assertEqual(r.execute("SELECT count(*), max(id) FROM t").fetchone(), (4000, 4000))
        finally:
            r.close()
            if w is not None:
                w.close()
        c = sqlite3.connect(db)
        try:
            self.assertEqual(c.execute("SELECT count(*) FROM t").fetchone()[0], 4000)
            self.assertEqual(c.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        finally:
            c.close()


class OutsideChanges(h.MountTestCase):
    """A change over S3 while a file is open: the open handles keep the
    bytes they read, a new open sees the new version, even before the
    follower has seen the change (a poll interval longer than the test)."""
    with_s3 = True
    mount_options = ("poll_ms=60000",)

    def test_new_open_sees_new_version_old_keeps_old(self):
        b = self.new_bucket("o")
        bucket = os.path.basename(b)
        path = os.path.join(b, "k")
        old, new = os.urandom(3 * MiB), os.urandom(2 * MiB + 11)
        h.write_file(path, old)
        fd = os.open(path, os.O_RDONLY)
        try:
            self.assertEqual(os.pread(fd, 10, 0), old[:10])
            # A write through another handle: the working copy is the view.
            old = b"changed!" + old[8:]
            with open(path, "r+b") as f:
                f.write(old[:8])
            self.s3.put_object(Bucket=bucket, Key="k", Body=new)
            fd2 = os.open(path, os.O_RDONLY)
            try:
                got2 = h.pread_all(fd2, 4 * MiB)
                self.assertEqual((len(got2), h.md5(got2)), (len(new), h.md5(new)))
            finally:
                os.close(fd2)
            got = h.pread_all(fd, 4 * MiB)
            self.assertEqual((len(got), h.md5(got)), (len(old), h.md5(old)))
            self.assertEqual(os.fstat(fd).st_size, len(old))
            # A change through the old handle must not put the old bytes back.
            with self.assertRaises(OSError) as cm:
                os.setxattr(fd, "user.late", b"1")
            self.assertEqual(cm.exception.errno, errno.ESTALE)
        finally:
            os.close(fd)
        body = self.s3.get_object(Bucket=bucket, Key="k")["Body"].read()
        self.assertEqual(h.md5(body), h.md5(new))
        self.assertEqual(h.md5(h.read_file(path)), h.md5(new))

    def test_new_open_reads_new_size_before_the_poll(self):
        """No handle open: an open after an S3 PUT reads the whole new
        version although the kernel still held the old size."""
        b = self.new_bucket("n")
        bucket = os.path.basename(b)
        path = os.path.join(b, "k")
        for i, size in enumerate((3 * MiB + 5, 1000, 2 * MiB)):
            h.write_file(path, b"small old")
            self.assertEqual(os.stat(path).st_size, 9)  # cached by the kernel
            new = os.urandom(size)
            self.s3.put_object(Bucket=bucket, Key="k", Body=new)
            got = h.read_file(path)
            self.assertEqual((len(got), h.md5(got)), (len(new), h.md5(new)), "round %d" % i)
            self.assertEqual(os.stat(path).st_size, len(new))

    def test_change_through_old_handle_after_detach_by_poll(self):
        """Same, when a truncate by path is what notices the change."""
        b = self.new_bucket("t")
        bucket = os.path.basename(b)
        path = os.path.join(b, "k")
        h.write_file(path, b"old bytes")
        fd = os.open(path, os.O_RDONLY)
        try:
            self.assertEqual(os.pread(fd, 3, 0), b"old")
            self.s3.put_object(Bucket=bucket, Key="k", Body=b"new content")
            os.truncate(path, 3)  # the kernel retries on the new inode
            self.assertEqual(h.read_file(path), b"new")
            self.assertEqual(self.s3.get_object(Bucket=bucket, Key="k")["Body"].read(), b"new")
            self.assertEqual(h.pread_all(fd, 100), b"old bytes")
        finally:
            os.close(fd)


if __name__ == "__main__":
    h.main(s3d=True)
