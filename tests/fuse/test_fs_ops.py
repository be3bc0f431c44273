"""seglake-mount: every file system operation and its errno (SEMANTICS.md,
"The mount"), on a real mount of a fresh data dir."""
import concurrent.futures
import ctypes
import errno
import fcntl
import os
import random
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import traceback
import time

import fuse_harness as h

AT_FDCWD = -100
RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
FALLOC_FL_KEEP_SIZE = 1
FALLOC_FL_PUNCH_HOLE = 2
MiB = 1 << 20
DT_UNKNOWN, DT_DIR, DT_REG, DT_LNK = 0, 4, 8, 10
BIG_DIR_ENTRIES = int(os.environ.get("SEGLAKE_BIG_DIR_ENTRIES", "20000"))

h.LIBC.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                             ctypes.c_uint]
h.LIBC.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]


def renameat2(src, dst, flags):
    if h.LIBC.renameat2(AT_FDCWD, os.fsencode(src), AT_FDCWD, os.fsencode(dst), flags) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), src, None, dst)


def fallocate(fd, mode, offset, length):
    if h.LIBC.fallocate(fd, mode, offset, length) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


class MountOps(h.MountTestCase):
    """Shared setup: a bucket per class and a umask of 022."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.old_umask = os.umask(0o022)

    @classmethod
    def tearDownClass(cls):
        os.umask(cls.old_umask)
        super().tearDownClass()

    def setUp(self):
        self.b = self.new_bucket()


class Root(MountOps):
    def test_mkdir_rmdir_bucket(self):
        path = os.path.join(self.mnt, "bucket.one-1")
        os.mkdir(path)
        self.assertIn("bucket.one-1", os.listdir(self.mnt))
        st = os.stat(path)
        self.assertTrue(stat.S_ISDIR(st.st_mode))
        self.assertEqual(os.listdir(path), [])
        self.assertErrno(errno.EEXIST, os.mkdir, path)
        os.rmdir(path)
        self.assertNotIn("bucket.one-1", os.listdir(self.mnt))
        self.assertErrno(errno.ENOENT, os.stat, path)
        self.assertErrno(errno.ENOENT, os.rmdir, path)
        # 3 and 63 characters are the limits.
        for name in ("abc", "a" * 63, "0-9.a-z"):
            os.mkdir(os.path.join(self.mnt, name))
            self.assertIn(name, os.listdir(self.mnt))
            os.rmdir(os.path.join(self.mnt, name))

    def test_bad_bucket_names(self):
        for name in ("ab", "a" * 64, "Upper", "under_score", "sp ace", "caf\u00e9", "a+b"):
            self.assertErrno(errno.EINVAL, os.mkdir, os.path.join(self.mnt, name))
            self.assertNotIn(name, os.listdir(self.mnt))

    def test_rmdir_bucket_not_empty(self):
        h.write_file(os.path.join(self.b, "f"), b"x")
        self.assertErrno(errno.ENOTEMPTY, os.rmdir, self.b)
        os.unlink(os.path.join(self.b, "f"))
        os.mkdir(os.path.join(self.b, "d"))
        self.assertErrno(errno.ENOTEMPTY, os.rmdir, self.b)
        os.rmdir(os.path.join(self.b, "d"))
        os.rmdir(self.b)
        self.assertNotIn(os.path.basename(self.b), os.listdir(self.mnt))

    def test_files_at_root_eperm(self):
        path = os.path.join(self.mnt, "file-at-root")
        self.assertErrno(errno.EPERM, h.touch, path)
        self.assertErrno(errno.EPERM, os.symlink, "target", path)
        self.assertNotIn("file-at-root", os.listdir(self.mnt))
        # Renames at the root: a bucket, a file into the root, a dir into the root.
        self.assertErrno(errno.EPERM, os.rename, self.b, os.path.join(self.mnt, "renamed-bkt"))
        h.write_file(os.path.join(self.b, "f"), b"data")
        os.mkdir(os.path.join(self.b, "d"))
        self.assertErrno(errno.EPERM, os.rename, os.path.join(self.b, "f"), path)
        self.assertErrno(errno.EPERM, os.rename, os.path.join(self.b, "d"),
                         os.path.join(self.mnt, "dir-to-root"))
        self.assertEqual(h.read_file(os.path.join(self.b, "f")), b"data")
        self.assertTrue(os.path.isdir(os.path.join(self.b, "d")))


class Attributes(MountOps):
    def test_lookup_getattr(self):
        path = os.path.join(self.b, "f")
        self.assertErrno(errno.ENOENT, os.stat, path)
        h.write_file(path, b"12345")
        st = os.stat(path)
        self.assertTrue(stat.S_ISREG(st.st_mode))
        self.assertEqual(st.st_size, 5)
        self.assertEqual(st.st_nlink, 1)
        self.assertEqual((st.st_uid, st.st_gid), (os.getuid(), os.getgid()))
        self.assertErrno(errno.ENOTDIR, os.stat, os.path.join(path, "child"))
        os.makedirs(os.path.join(self.b, "d1", "d2"))
        for d in (self.b, os.path.join(self.b, "d1"), os.path.join(self.b, "d1", "d2")):
            st = os.stat(d)
            self.assertTrue(stat.S_ISDIR(st.st_mode), d)
            self.assertEqual(st.st_nlink, 1, d)
        self.assertErrno(errno.ENOENT, os.stat, os.path.join(self.b, "d1", "missing"))

    def test_modes_from_create(self):
        f644 = os.path.join(self.b, "f644")
        h.touch(f644, mode=0o666)
        self.assertEqual(stat.S_IMODE(os.stat(f644).st_mode), 0o644)
        f600 = os.path.join(self.b, "f600")
        h.touch(f600, mode=0o600)
        self.assertEqual(stat.S_IMODE(os.stat(f600).st_mode), 0o600)
        d755 = os.path.join(self.b, "d755")
        os.mkdir(d755)
        self.assertEqual(stat.S_IMODE(os.stat(d755).st_mode), 0o755)
        d700 = os.path.join(self.b, "d700")
        os.mkdir(d700, 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(d700).st_mode), 0o700)

    def test_chmod_chown_utime(self):
        path = os.path.join(self.b, "attrs")
        h.write_file(path, b"content stays")
        os.chmod(path, 0o640)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o640)
        os.chown(path, 1234, 5678)
        st = os.stat(path)
        self.assertEqual((st.st_uid, st.st_gid), (1234, 5678))
        os.chown(path, -1, 42)
        st = os.stat(path)
        self.assertEqual((st.st_uid, st.st_gid), (1234, 42))
        os.chmod(path, 0o4755)  # after the chowns, which clear set-id bits
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o4755)
        os.utime(path, (1_500_000_000, 1_600_000_000))
        st = os.stat(path)
        self.assertEqual(int(st.st_mtime), 1_600_000_000)
        self.assertEqual(h.read_file(path), b"content stays")
        # Directories made by mkdir carry attributes too.
        d = os.path.join(self.b, "dir")
        os.mkdir(d)
        os.chmod(d, 0o711)
        os.chown(d, 77, 88)
        os.utime(d, (1_400_000_000, 1_400_000_000))
        st = os.stat(d)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o711)
        self.assertEqual((st.st_uid, st.st_gid), (77, 88))
        self.assertEqual(int(st.st_mtime), 1_400_000_000)
        # Past the entry and attribute timeouts the kernel asks again: the
        # attributes come back from the data dir.
        time.sleep(1.2)
        st = os.stat(path)
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, int(st.st_mtime)),
                         (0o4755, 1234, 42, 1_600_000_000))
        self.assertErrno(errno.ENOENT, os.chmod, os.path.join(self.b, "missing"), 0o600)

    def test_atime_is_kept_when_set_and_reads_do_not_touch_it(self):
        path = os.path.join(self.b, "atime")
        h.write_file(path, b"a")
        # Never set: atime shows the mtime.
        st = os.stat(path)
        self.assertEqual(st.st_atime_ns, st.st_mtime_ns)
        os.utime(path, (1_500_000_000, 1_600_000_000))
        self.assertEqual(int(os.stat(path).st_atime), 1_500_000_000)
        self.assertEqual(int(os.stat(path).st_mtime), 1_600_000_000)
        time.sleep(1.2)
        h.read_file(path)
        self.assertEqual(int(os.stat(path).st_atime), 1_500_000_000)

    def test_truncate(self):
        path = os.path.join(self.b, "t")
        data = os.urandom(3 * MiB + 17)
        h.write_file(path, data)
        os.truncate(path, MiB + 5)
        self.assertEqual(os.stat(path).st_size, MiB + 5)
        self.assertEqual(h.read_file(path), data[:MiB + 5])
        os.truncate(path, 4 * MiB)
        self.assertEqual(os.stat(path).st_size, 4 * MiB)
        got = h.read_file(path)
        self.assertEqual(got[:MiB + 5], data[:MiB + 5])
        self.assertEqual(got[MiB + 5:], bytes(4 * MiB - MiB - 5))
        fd = os.open(path, os.O_RDWR)
        try:
            os.ftruncate(fd, 10)
            self.assertEqual(os.fstat(fd).st_size, 10)
            self.assertEqual(os.pread(fd, 100, 0), data[:10])
            os.ftruncate(fd, 0)
            self.assertEqual(os.pread(fd, 100, 0), b"")
        finally:
            os.close(fd)
        self.assertEqual(os.stat(path).st_size, 0)
        self.assertErrno(errno.ENOENT, os.truncate, os.path.join(self.b, "none"), 0)
        self.assertErrno(errno.EISDIR, os.truncate, self.b, 0)

    def test_truncate_while_open_read_only(self):
        for create in (True, False):
            path = os.path.join(self.b, "ro-open-%s" % create)
            if not create:
                h.write_file(path, b"abc")
            fd = os.open(path, os.O_RDONLY | (os.O_CREAT if create else 0), 0o644)
            try:
                os.truncate(path, 5000)
                self.assertEqual(os.fstat(fd).st_size, 5000)
            finally:
                os.close(fd)
        time.sleep(1.2)  # past the attribute timeout: sizes come from the data dir
        for create in (True, False):
            path = os.path.join(self.b, "ro-open-%s" % create)
            self.assertEqual(os.stat(path).st_size, 5000, "created by open: %s" % create)
            expect = bytes(5000) if create else b"abc" + bytes(4997)
            self.assertEqual(h.read_file(path), expect)

    def test_mtime_follows_writes(self):
        path = os.path.join(self.b, "m")
        t0 = time.time()
        h.write_file(path, b"now")
        st = os.stat(path)
        self.assertGreaterEqual(st.st_mtime, int(t0) - 1)
        self.assertLessEqual(st.st_mtime, time.time() + 1)
        os.utime(path, (1_000_000_000, 1_000_000_000))
        h.write_file(path, b"again", "ab")
        self.assertGreaterEqual(os.stat(path).st_mtime, int(t0) - 1, "a write moves mtime")


class Readdir(MountOps):
    def test_listing_types_and_dots(self):
        os.mkdir(os.path.join(self.b, "dir"))
        h.write_file(os.path.join(self.b, "file"), b"f")
        os.symlink("file", os.path.join(self.b, "link"))
        os.mkdir(os.path.join(self.b, "deep"))
        h.write_file(os.path.join(self.b, "deep", "x"), b"x")
        entries = {e.name: e for e in os.scandir(self.b)}
        self.assertEqual(sorted(entries), ["deep", "dir", "file", "link"])
        self.assertTrue(entries["dir"].is_dir(follow_symlinks=False))
        self.assertTrue(entries["deep"].is_dir(follow_symlinks=False))
        self.assertTrue(entries["file"].is_file(follow_symlinks=False))
        self.assertTrue(entries["link"].is_symlink())
        dirents = h.raw_listdir(self.b)
        raw = [e.name for e in dirents]
        self.assertEqual(raw.count(b"."), 1)
        self.assertEqual(raw.count(b".."), 1)
        self.assertEqual(sorted(raw), sorted([b".", b"..", b"deep", b"dir", b"file", b"link"]))
        want_type = {b"deep": DT_DIR, b"dir": DT_DIR, b"file": DT_REG, b"link": DT_LNK}
        for e in dirents:
            if e.name in want_type:
                self.assertIn(e.type, (want_type[e.name], DT_UNKNOWN), e)
                self.assertEqual(e.ino, os.lstat(os.path.join(self.b, e.name.decode())).st_ino,
                                 e)
        self.assertEqual(os.listdir(os.path.join(self.b, "dir")), [])
        self.assertErrno(errno.ENOTDIR, os.listdir, os.path.join(self.b, "file"))
        self.assertErrno(errno.ENOENT, os.listdir, os.path.join(self.b, "nope"))
        # The root lists this bucket.
        self.assertIn(os.path.basename(self.b), os.listdir(self.mnt))

    def test_listing_while_changing(self):
        d = os.path.join(self.b, "churn")
        os.mkdir(d)
        stable = ["e%05d-stable-entry-with-a-longish-name" % i for i in range(0, 3000, 2)]
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda n: h.touch(os.path.join(d, n)), stable))
        stop = threading.Event()
        errors = []

        def churn(seed):
            rng = random.Random(seed)
            live = {}  # name -> is a directory
            try:
                while not stop.is_set():
                    roll = rng.random()
                    if live and roll < 0.4:
                        name = rng.choice(sorted(live))
                        (os.rmdir if live.pop(name) else os.unlink)(os.path.join(d, name))
                    elif live and roll < 0.55:
                        old = rng.choice(sorted(live))
                        new = "e%05d-churn-%d-renamed" % (rng.randrange(3000), seed)
                        if new not in live:
                            os.rename(os.path.join(d, old), os.path.join(d, new))
                            live[new] = live.pop(old)
                    else:
                        name = "e%05d-churn-%d" % (rng.randrange(3000), seed)
                        if name in live:
                            continue
                        live[name] = rng.random() < 0.3
                        if live[name]:
                            os.mkdir(os.path.join(d, name))
                        else:
                            h.touch(os.path.join(d, name))
            except Exception as e:  # pragma: no cover - reported below
                errors.append("%r in %s" % (e, traceback.format_exc(limit=3)))

        threads = [threading.Thread(target=churn, args=(s,)) for s in range(4)]
        for t in threads:
            t.start()
        try:
            for round_ in range(6):
                names = [e.name for e in h.raw_listdir(d, bufsize=1024)]
                seen = set()
                dups = sorted({n for n in names if n in seen or seen.add(n)})
                self.assertEqual(dups[:5], [], "round %d: %d entries listed twice"
                                 % (round_, len(dups)))
                missing = set(s.encode() for s in stable) - set(names)
                self.assertEqual(sorted(missing)[:10], [],
                                 "round %d: %d stable entries not listed" % (round_,
                                                                             len(missing)))
                missing = set(stable) - set(os.listdir(d))
                self.assertEqual(sorted(missing)[:10], [],
                                 "round %d: %d stable entries not in os.listdir"
                                 % (round_, len(missing)))
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(errors, [])


class OpenCreate(MountOps):
    def test_o_excl(self):
        path = os.path.join(self.b, "x")
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        os.close(fd)
        self.assertErrno(errno.EEXIST, h.touch, path, os.O_EXCL)
        os.mkdir(os.path.join(self.b, "d"))
        self.assertErrno(errno.EEXIST, h.touch, os.path.join(self.b, "d"), os.O_EXCL)
        self.assertErrno(errno.EEXIST, os.mkdir, path)
        # A file created and closed without writes is an empty file.
        self.assertEqual(os.stat(path).st_size, 0)
        self.assertEqual(h.read_file(path), b"")

    def test_open_errors(self):
        self.assertErrno(errno.ENOENT, h.open_close, os.path.join(self.b, "none"), os.O_RDONLY)
        self.assertErrno(errno.ENOENT, h.touch, os.path.join(self.b, "no", "f"))
        os.mkdir(os.path.join(self.b, "d"))
        self.assertErrno(errno.EISDIR, h.open_close, os.path.join(self.b, "d"), os.O_WRONLY)
        h.write_file(os.path.join(self.b, "f"), b"x")
        self.assertErrno(errno.ENOTDIR, h.touch, os.path.join(self.b, "f", "g"))

    def test_o_trunc(self):
        path = os.path.join(self.b, "t")
        h.write_file(path, os.urandom(2 * MiB))
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
        try:
            self.assertEqual(os.fstat(fd).st_size, 0)
            self.assertEqual(os.stat(path).st_size, 0)
            os.write(fd, b"short")
        finally:
            os.close(fd)
        self.assertEqual(h.read_file(path), b"short")
        # O_TRUNC without writes leaves an empty file too.
        h.open_close(path, os.O_WRONLY | os.O_TRUNC)
        self.assertEqual(h.read_file(path), b"")

    def test_o_trunc_read_only(self):
        """O_TRUNC truncates whatever the access mode (as Linux does for a
        file the caller may write), and every handle sees it."""
        path = os.path.join(self.b, "ro-trunc")
        h.write_file(path, os.urandom(100_000))
        other = os.open(path, os.O_RDONLY)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_TRUNC)
            try:
                self.assertEqual(os.fstat(fd).st_size, 0)
                self.assertEqual(os.read(fd, 100), b"")
            finally:
                os.close(fd)
            os.posix_fadvise(other, 0, 0, os.POSIX_FADV_DONTNEED)
            self.assertEqual(os.pread(other, 100, 0), b"")
        finally:
            os.close(other)
        h.write_file(path, b"again")
        h.open_close(path, os.O_RDONLY | os.O_TRUNC)
        time.sleep(1.1)  # past the attribute timeout: the size comes from the data dir
        self.assertEqual(os.stat(path).st_size, 0)
        self.assertEqual(h.read_file(path), b"")

    def test_o_append(self):
        path = os.path.join(self.b, "log")
        h.write_file(path, b"one\n")
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, b"two\n")
            os.lseek(fd, 1, os.SEEK_SET)
            os.write(fd, b"three\n")
        finally:
            os.close(fd)
        self.assertEqual(h.read_file(path), b"one\ntwo\nthree\n")
        with open(path, "ab") as f:
            f.write(b"x" * (3 * MiB))
        self.assertEqual(os.stat(path).st_size, 14 + 3 * MiB)

    def test_read_write_fsync_close(self):
        path = os.path.join(self.b, "rw")
        data = bytearray(os.urandom(5 * MiB + 333))
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            # Front to back in odd-sized writes that straddle 1 MiB records.
            pos = 0
            while pos < len(data):
                n = min(len(data) - pos, 700_001)
                self.assertEqual(os.write(fd, data[pos:pos + n]), n)
                pos += n
            self.assertEqual(os.fstat(fd).st_size, len(data))
            self.assertEqual(os.stat(path).st_size, len(data))
            os.fsync(fd)
            self.assertEqual(h.pread_all(fd, len(data)), bytes(data))
            # Overwrites in the middle, across a record boundary, past the end.
            for off, n in ((10, 100), (MiB - 50, 100), (3 * MiB + 7, 200_000)):
                patch = os.urandom(n)
                os.pwrite(fd, patch, off)
                data[off:off + n] = patch
            os.pwrite(fd, b"tail", len(data) + 1000)
            data += bytes(1000) + b"tail"
            self.assertEqual(os.pread(fd, 10, len(data)), b"")
            self.assertEqual(h.pread_all(fd, len(data)), bytes(data))
            os.fdatasync(fd)
        finally:
            os.close(fd)
        self.assertEqual(h.read_file(path), bytes(data))
        self.assertEqual(os.stat(path).st_size, len(data))

    def test_handles_share_one_file(self):
        path = os.path.join(self.b, "shared")
        w = os.open(path, os.O_CREAT | os.O_WRONLY, 0o644)
        r = os.open(path, os.O_RDONLY)
        try:
            os.write(w, b"hello")
            self.assertEqual(os.pread(r, 100, 0), b"hello")
            self.assertEqual(os.fstat(r).st_size, 5)
            w2 = os.open(path, os.O_WRONLY)
            os.pwrite(w2, b"J", 0)
            os.close(w2)
            os.write(w, b" world")
            self.assertEqual(os.pread(r, 100, 0), b"Jello world")
        finally:
            os.close(w)
            os.close(r)
        self.assertEqual(h.read_file(path), b"Jello world")

    def test_unlinked_open_file_keeps_reading(self):
        path = os.path.join(self.b, "gone")
        data = os.urandom(300_000)
        h.write_file(path, data)
        fd = os.open(path, os.O_RDONLY)
        try:
            os.unlink(path)
            self.assertErrno(errno.ENOENT, os.stat, path)
            self.assertEqual(h.pread_all(fd, len(data)), data)
        finally:
            os.close(fd)
        # Writes to an unlinked file are discarded: the name stays free.
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            os.write(fd, b"first")
            os.fsync(fd)
            os.unlink(path)
            os.write(fd, b" and more")
        finally:
            os.close(fd)
        self.assertErrno(errno.ENOENT, os.stat, path)
        self.assertNotIn("gone", os.listdir(self.b))


class Directories(MountOps):
    def test_directory_times_follow_changes(self):
        """mtime and ctime of a directory move on with every entry made,
        removed or renamed in it through the mount; chmod moves ctime."""
        d = os.path.join(self.b, "times")
        other = os.path.join(self.b, "other")
        os.mkdir(d)
        os.mkdir(other)
        h.write_file(os.path.join(d, "keep"), b"k")

        def times(path=d):
            st = os.stat(path)
            return st.st_mtime_ns, st.st_ctime_ns
        last = times()
        steps = [
            ("create", lambda: h.touch(os.path.join(d, "f"))),
            ("mkdir", lambda: os.mkdir(os.path.join(d, "sub"))),
            ("symlink", lambda: os.symlink("f", os.path.join(d, "ln"))),
            ("mknod", lambda: os.mknod(os.path.join(d, "node"))),
            ("rename", lambda: os.rename(os.path.join(d, "f"), os.path.join(d, "g"))),
            ("unlink", lambda: os.unlink(os.path.join(d, "g"))),
            ("rmdir", lambda: os.rmdir(os.path.join(d, "sub"))),
        ]
        for what, fn in steps:
            time.sleep(0.02)
            fn()
            now = times()
            self.assertGreater(now[0], last[0], "mtime after " + what)
            self.assertGreater(now[1], last[1], "ctime after " + what)
            last = now
        # A rename between directories changes both.
        other_last = times(other)
        time.sleep(0.02)
        os.rename(os.path.join(d, "node"), os.path.join(other, "node"))
        self.assertGreater(times()[0], last[0])
        self.assertGreater(times(other)[0], other_last[0])
        last = times()
        # Overwriting a file's content is no change of the directory.
        time.sleep(0.02)
        h.write_file(os.path.join(d, "keep"), b"kept")
        self.assertEqual(times(), last)
        time.sleep(0.02)
        os.chmod(d, 0o700)
        now = times()
        self.assertEqual(now[0], last[0], "chmod keeps mtime")
        self.assertGreater(now[1], last[1], "chmod moves ctime")
        os.utime(d, ns=(1_000_000_000 * 10**9, 1_000_000_000 * 10**9))
        self.assertEqual(os.stat(d).st_mtime_ns, 1_000_000_000 * 10**9)

    def test_mkdir_rmdir(self):
        d = os.path.join(self.b, "a")
        os.mkdir(d)
        self.assertTrue(os.path.isdir(d))
        self.assertErrno(errno.EEXIST, os.mkdir, d)
        self.assertErrno(errno.ENOENT, os.mkdir, os.path.join(self.b, "x", "y"))
        os.makedirs(os.path.join(d, "b", "c"))
        self.assertErrno(errno.ENOTEMPTY, os.rmdir, d)
        self.assertErrno(errno.ENOTEMPTY, os.rmdir, os.path.join(d, "b"))
        os.rmdir(os.path.join(d, "b", "c"))
        os.rmdir(os.path.join(d, "b"))
        h.write_file(os.path.join(d, "f"), b"")
        self.assertErrno(errno.ENOTEMPTY, os.rmdir, d)
        self.assertErrno(errno.ENOTDIR, os.rmdir, os.path.join(d, "f"))
        self.assertErrno(errno.EISDIR, os.unlink, d)
        os.unlink(os.path.join(d, "f"))
        os.rmdir(d)
        self.assertErrno(errno.ENOENT, os.stat, d)
        self.assertErrno(errno.ENOENT, os.rmdir, d)
        self.assertEqual(os.listdir(self.b), [])

    def test_unlink(self):
        path = os.path.join(self.b, "u")
        h.write_file(path, b"data")
        os.unlink(path)
        self.assertErrno(errno.ENOENT, os.stat, path)
        self.assertNotIn("u", os.listdir(self.b))
        self.assertErrno(errno.ENOENT, os.unlink, path)
        # The name can be reused at once.
        h.write_file(path, b"new")
        self.assertEqual(h.read_file(path), b"new")

    def test_last_unlink_keeps_directory(self):
        # A directory made by mkdir.
        d = os.path.join(self.b, "made")
        os.mkdir(d)
        h.write_file(os.path.join(d, "only"), b"1")
        os.unlink(os.path.join(d, "only"))
        self.assertTrue(os.path.isdir(d))
        self.assertEqual(os.listdir(d), [])
        # Nested directories.
        deep = os.path.join(self.b, "i1", "i2", "i3")
        os.makedirs(deep)
        h.write_file(os.path.join(deep, "f"), b"2")
        os.unlink(os.path.join(deep, "f"))
        time.sleep(1.2)  # past the entry and attribute timeouts
        self.assertTrue(os.path.isdir(deep))
        self.assertEqual(os.listdir(deep), [])
        # The last entry renamed away, and the last subdirectory removed.
        h.write_file(os.path.join(deep, "g"), b"3")
        os.rename(os.path.join(deep, "g"), os.path.join(self.b, "g"))
        os.rmdir(deep)
        time.sleep(1.2)
        self.assertTrue(os.path.isdir(os.path.join(self.b, "i1", "i2")))
        self.assertEqual(os.listdir(os.path.join(self.b, "i1", "i2")), [])
        self.assertEqual(h.read_file(os.path.join(self.b, "g")), b"3")


    def test_cwd_survives_changes_below(self):
        """A process whose working directory is in the mount keeps it (getcwd
        works) while files and directories below it change."""
        d = os.path.join(self.b, "cwd")
        os.makedirs(os.path.join(d, "sub"))
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(d)
        steps = [
            ("create", lambda: h.write_file("sub/t", b"1")),
            ("rename", lambda: os.rename("sub/t", "sub/u")),
            ("chmod of a subdirectory", lambda: os.chmod("sub", 0o700)),
            ("unlink", lambda: os.unlink("sub/u")),
            ("mkdir", lambda: os.mkdir("sub/deeper")),
            ("rename of a subdirectory", lambda: os.rename("sub/deeper", "sub/moved")),
            ("write here", lambda: h.write_file("here", b"2")),
        ]
        for what, fn in steps:
            fn()
            time.sleep(0.2)  # past poll_ms: the mount has seen its own change
            try:
                self.assertEqual(os.getcwd(), d, what)
            except FileNotFoundError:
                self.fail("getcwd() fails with ENOENT after %s below the working directory"
                          % what)


class Rename(MountOps):
    def test_rename_file(self):
        a, b = os.path.join(self.b, "a"), os.path.join(self.b, "b")
        data = os.urandom(100_000)
        h.write_file(a, data)
        os.chmod(a, 0o600)
        os.rename(a, b)
        self.assertErrno(errno.ENOENT, os.stat, a)
        self.assertEqual(h.read_file(b), data)
        self.assertEqual(stat.S_IMODE(os.stat(b).st_mode), 0o600)
        self.assertEqual(sorted(os.listdir(self.b)), ["b"])
        os.mkdir(os.path.join(self.b, "sub"))
        os.rename(b, os.path.join(self.b, "sub", "c"))
        self.assertEqual(h.read_file(os.path.join(self.b, "sub", "c")), data)
        self.assertErrno(errno.ENOENT, os.rename, a, b)
        # Onto itself: nothing changes.
        os.rename(os.path.join(self.b, "sub", "c"), os.path.join(self.b, "sub", "c"))
        self.assertEqual(h.read_file(os.path.join(self.b, "sub", "c")), data)

    def test_rename_replaces(self):
        a, b = os.path.join(self.b, "a"), os.path.join(self.b, "b")
        h.write_file(a, b"new content")
        h.write_file(b, b"old content that is longer")
        os.replace(a, b)
        self.assertEqual(h.read_file(b), b"new content")
        self.assertEqual(os.stat(b).st_size, 11)
        self.assertEqual(os.listdir(self.b), ["b"])
        # A file over a directory and back.
        os.mkdir(os.path.join(self.b, "d"))
        self.assertErrno(errno.EISDIR, os.rename, b, os.path.join(self.b, "d"))
        self.assertErrno(errno.ENOTDIR, os.rename, os.path.join(self.b, "d"), b)
        # A directory over an empty directory replaces it; over a full one: ENOTEMPTY.
        os.mkdir(os.path.join(self.b, "e"))
        h.write_file(os.path.join(self.b, "d", "in-d"), b"d")
        os.rename(os.path.join(self.b, "d"), os.path.join(self.b, "e"))
        self.assertEqual(os.listdir(os.path.join(self.b, "e")), ["in-d"])
        self.assertFalse(os.path.exists(os.path.join(self.b, "d")))
        os.makedirs(os.path.join(self.b, "full", "x"))
        self.assertErrno(errno.ENOTEMPTY, os.rename, os.path.join(self.b, "e"),
                         os.path.join(self.b, "full"))
        self.assertErrno(errno.EINVAL, os.rename, os.path.join(self.b, "full"),
                         os.path.join(self.b, "full", "x", "inside"))

    def test_rename_directory_tree(self):
        src = os.path.join(self.b, "src")
        files = {}
        for i in range(30):
            rel = os.path.join("l%d" % (i % 3), "m%d" % (i % 5), "f%d" % i)
            files[rel] = os.urandom(random.randrange(1, 5000))
            os.makedirs(os.path.join(src, os.path.dirname(rel)), exist_ok=True)
            h.write_file(os.path.join(src, rel), files[rel])
        os.mkdir(os.path.join(src, "empty"))
        os.symlink("l0", os.path.join(src, "sym"))
        dst = os.path.join(self.b, "dst", "nested")
        os.mkdir(os.path.join(self.b, "dst"))
        os.rename(src, dst)
        self.assertErrno(errno.ENOENT, os.stat, src)
        for rel, data in files.items():
            self.assertEqual(h.read_file(os.path.join(dst, rel)), data, rel)
        self.assertTrue(os.path.isdir(os.path.join(dst, "empty")))
        self.assertEqual(os.readlink(os.path.join(dst, "sym")), "l0")
        found = set()
        for root, dirs, names in os.walk(dst):
            for n in names + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
                found.add(os.path.relpath(os.path.join(root, n), dst))
        self.assertEqual(found, set(files) | {"sym"})
        # And back up to the top of the bucket.
        os.rename(dst, os.path.join(self.b, "back"))
        self.assertEqual(sorted(os.listdir(os.path.join(self.b, "back"))),
                         ["empty", "l0", "l1", "l2", "sym"])

    def test_rename_noreplace(self):
        a, b = os.path.join(self.b, "a"), os.path.join(self.b, "b")
        h.write_file(a, b"A")
        h.write_file(b, b"B")
        self.assertErrno(errno.EEXIST, renameat2, a, b, RENAME_NOREPLACE)
        self.assertEqual((h.read_file(a), h.read_file(b)), (b"A", b"B"))
        c = os.path.join(self.b, "c")
        renameat2(a, c, RENAME_NOREPLACE)
        self.assertEqual(h.read_file(c), b"A")
        self.assertFalse(os.path.exists(a))
        os.mkdir(os.path.join(self.b, "d"))
        self.assertErrno(errno.EEXIST, renameat2, c, os.path.join(self.b, "d"),
                         RENAME_NOREPLACE)

    def test_rename_exchange(self):
        a, b = os.path.join(self.b, "a"), os.path.join(self.b, "b")
        h.write_file(a, b"A" * 1000)
        h.write_file(b, b"B")
        renameat2(a, b, RENAME_EXCHANGE)
        self.assertEqual((h.read_file(a), h.read_file(b)), (b"B", b"A" * 1000))
        self.assertEqual((os.stat(a).st_size, os.stat(b).st_size), (1, 1000))
        # Two directories.
        for d, n in (("d1", "x"), ("d2", "y")):
            os.makedirs(os.path.join(self.b, d, "sub"))
            h.write_file(os.path.join(self.b, d, "sub", n), n.encode())
        renameat2(os.path.join(self.b, "d1"), os.path.join(self.b, "d2"), RENAME_EXCHANGE)
        self.assertEqual(os.listdir(os.path.join(self.b, "d1", "sub")), ["y"])
        self.assertEqual(os.listdir(os.path.join(self.b, "d2", "sub")), ["x"])
        # A file and a directory.
        renameat2(a, os.path.join(self.b, "d1"), RENAME_EXCHANGE)
        self.assertTrue(os.path.isdir(a))
        self.assertEqual(h.read_file(os.path.join(a, "sub", "y")), b"y")
        self.assertTrue(os.path.isfile(os.path.join(self.b, "d1")))
        self.assertEqual(h.read_file(os.path.join(self.b, "d1")), b"B")
        self.assertErrno(errno.ENOENT, renameat2, b, os.path.join(self.b, "none"),
                         RENAME_EXCHANGE)

    def test_rename_open_file(self):
        a, b = os.path.join(self.b, "open-a"), os.path.join(self.b, "open-b")
        fd = os.open(a, os.O_CREAT | os.O_WRONLY, 0o644)
        try:
            os.write(fd, b"before ")
            os.rename(a, b)
            os.write(fd, b"after")
        finally:
            os.close(fd)
        self.assertErrno(errno.ENOENT, os.stat, a)
        self.assertEqual(h.read_file(b), b"before after")
        self.assertEqual(sorted(os.listdir(self.b)), ["open-b"])

    def test_rename_across_buckets(self):
        other = self.new_bucket()
        a = os.path.join(self.b, "x")
        h.write_file(a, b"cross")
        try:
            os.rename(a, os.path.join(other, "x"))
        except OSError as e:
            self.assertEqual(e.errno, errno.EXDEV, e)
            self.assertEqual(h.read_file(a), b"cross")
            self.assertFalse(os.path.exists(os.path.join(other, "x")))
        else:
            self.assertEqual(h.read_file(os.path.join(other, "x")), b"cross")
            self.assertFalse(os.path.exists(a))


class Symlinks(MountOps):
    def test_symlink_readlink(self):
        h.write_file(os.path.join(self.b, "target"), b"pointed at")
        link = os.path.join(self.b, "link")
        os.symlink("target", link)
        self.assertEqual(os.readlink(link), "target")
        st = os.lstat(link)
        self.assertTrue(stat.S_ISLNK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o777)
        self.assertEqual(st.st_size, len("target"))
        self.assertEqual(h.read_file(link), b"pointed at")
        self.assertErrno(errno.EEXIST, os.symlink, "other", link)
        long_target = "/" + "/".join(["component%03d" % i for i in range(150)])
        os.symlink(long_target, os.path.join(self.b, "long"))
        self.assertEqual(os.readlink(os.path.join(self.b, "long")), long_target)
        os.symlink("../nowhere", os.path.join(self.b, "dangling"))
        self.assertEqual(os.readlink(os.path.join(self.b, "dangling")), "../nowhere")
        self.assertErrno(errno.ENOENT, os.stat, os.path.join(self.b, "dangling"))
        self.assertErrno(errno.EINVAL, os.readlink, os.path.join(self.b, "target"))
        os.unlink(link)
        self.assertTrue(os.path.exists(os.path.join(self.b, "target")))


class Statfs(MountOps):
    def test_statfs(self):
        m = os.statvfs(self.mnt)
        d = os.statvfs(self.mount.data_dir)
        self.assertGreater(m.f_frsize, 0)
        self.assertEqual(m.f_blocks * m.f_frsize, d.f_blocks * d.f_frsize)
        tolerance = max(256 * MiB, d.f_blocks * d.f_frsize // 100)
        self.assertLess(abs(m.f_bavail * m.f_frsize - d.f_bavail * d.f_frsize), tolerance)
        self.assertLess(abs(m.f_bfree * m.f_frsize - d.f_bfree * d.f_frsize), tolerance)
        self.assertEqual(m.f_namemax, 255)
        self.assertEqual(os.statvfs(self.b).f_blocks, m.f_blocks)


class Xattrs(MountOps):
    def setUp(self):
        super().setUp()
        self.f = os.path.join(self.b, "x")
        h.write_file(self.f, b"xattr body")

    def test_user_xattrs(self):
        os.setxattr(self.f, "user.color", b"blue")
        os.setxattr(self.f, "user.Some-Name_2.v", b"with spaces and = signs")
        self.assertEqual(os.getxattr(self.f, "user.color"), b"blue")
        self.assertEqual(os.getxattr(self.f, "user.Some-Name_2.v"), b"with spaces and = signs")
        names = os.listxattr(self.f)
        self.assertIn("user.color", names)
        self.assertIn("user.Some-Name_2.v", names)
        os.setxattr(self.f, "user.color", b"green")
        self.assertEqual(os.getxattr(self.f, "user.color"), b"green")
        os.removexattr(self.f, "user.color")
        self.assertErrno(errno.ENODATA, os.getxattr, self.f, "user.color")
        self.assertNotIn("user.color", os.listxattr(self.f))
        self.assertErrno(errno.ENODATA, os.removexattr, self.f, "user.color")
        self.assertEqual(h.read_file(self.f), b"xattr body")
        # Set while the file is open for writing: both survive the close.
        fd = os.open(self.f, os.O_WRONLY | os.O_APPEND)
        os.write(fd, b" more")
        os.setxattr(self.f, "user.during", b"write")
        os.close(fd)
        self.assertEqual(h.read_file(self.f), b"xattr body more")
        self.assertEqual(os.getxattr(self.f, "user.during"), b"write")
        # An empty value is a value.
        os.setxattr(self.f, "user.empty", b"")
        self.assertEqual(os.getxattr(self.f, "user.empty"), b"")

    def test_xattr_flags(self):
        os.setxattr(self.f, "user.k", b"1", os.XATTR_CREATE)
        self.assertErrno(errno.EEXIST, os.setxattr, self.f, "user.k", b"2", os.XATTR_CREATE)
        os.setxattr(self.f, "user.k", b"3", os.XATTR_REPLACE)
        self.assertEqual(os.getxattr(self.f, "user.k"), b"3")
        self.assertErrno(errno.ENODATA, os.setxattr, self.f, "user.none", b"x",
                         os.XATTR_REPLACE)

    def test_xattr_invalid(self):
        for name in ("user.sp ace", "user.caf\u00e9", "user.a/b", "user.a:b", "user."):
            self.assertErrno(errno.EINVAL, os.setxattr, self.f, name, b"v")
        for value in (b"a\nb", b"tab\there", b"\x00", b"\xff\xfe", b"del\x7f"):
            self.assertErrno(errno.EINVAL, os.setxattr, self.f, "user.val", value)
        self.assertNotIn("user.val", os.listxattr(self.f))
        os.setxattr(self.f, "user.utf8", "gr\u00fc\u00dfe".encode())
        self.assertEqual(os.getxattr(self.f, "user.utf8").decode(), "gr\u00fc\u00dfe")

    def test_xattr_reserved(self):
        for name in ("user.mode", "user.uid", "user.gid", "user.mtime"):
            self.assertErrno(errno.EPERM, os.setxattr, self.f, name, b"1")
        self.assertEqual(stat.S_IMODE(os.stat(self.f).st_mode), 0o644)

    def test_xattr_bounded_by_s3_metadata(self):
        """S3 carries 2 KiB of user metadata; the POSIX attributes keep 65
        bytes of it, user.* xattrs (names without user., and values) the
        other 1,983."""
        self.assertErrno(errno.E2BIG, os.setxattr, self.f, "user.huge", b"v" * 65536)
        self.assertErrno(errno.E2BIG, os.setxattr, self.f, "user.k", b"v" * 1983)
        os.setxattr(self.f, "user.k", b"v" * 1982)  # 1 + 1982: exactly the budget
        self.assertErrno(errno.ENOSPC, os.setxattr, self.f, "user.z", b"")
        os.setxattr(self.f, "user.k", b"v" * 1000)  # a replacement counts once
        os.setxattr(self.f, "user.second", b"w" * 976)  # 1 + 1000 + 6 + 976 = 1983
        self.assertErrno(errno.ENOSPC, os.setxattr, self.f, "user.third", b"x")
        self.assertEqual(sorted(x for x in os.listxattr(self.f) if x.startswith("user.")),
                         ["user.k", "user.second"])
        os.removexattr(self.f, "user.second")
        os.setxattr(self.f, "user.third", b"x" * 900)
        self.assertEqual(os.getxattr(self.f, "user.third"), b"x" * 900)
        d = os.path.join(self.b, "xdir")
        os.mkdir(d)
        self.assertErrno(errno.E2BIG, os.setxattr, d, "user.huge", b"v" * 4096)

    def test_xattr_other_namespaces(self):
        for name in ("security.test", "trusted.test", "system.test"):
            self.assertErrno(errno.ENOTSUP, os.setxattr, self.f, name, b"v")
        self.assertErrno(errno.ENODATA, os.getxattr, self.f, "user.missing")


class DataOps(MountOps):
    def test_copy_file_range(self):
        src, dst = os.path.join(self.b, "src"), os.path.join(self.b, "dst")
        data = os.urandom(3 * MiB + 123)
        h.write_file(src, data)
        h.write_file(dst, b"D" * 1000)
        sfd = os.open(src, os.O_RDONLY)
        dfd = os.open(dst, os.O_RDWR)
        try:
            def copy(count, soff, doff):
                done = 0
                while done < count:
                    n = os.copy_file_range(sfd, dfd, count - done, soff + done, doff + done)
                    self.assertGreater(n, 0)
                    done += n
            copy(len(data), 0, 0)
            self.assertEqual(os.fstat(dfd).st_size, len(data))
            self.assertEqual(h.pread_all(dfd, len(data)), data)
            # A slice into the middle and one past the end.
            copy(100_000, MiB + 5, 50)
            copy(4096, 7, len(data) + 10)
        finally:
            os.close(sfd)
            os.close(dfd)
        expect = bytearray(data)
        expect[50:100_050] = data[MiB + 5:MiB + 100_005]
        expect += bytes(10) + data[7:4103]
        self.assertEqual(h.read_file(dst), bytes(expect))
        self.assertEqual(h.read_file(src), data)
        # Within one file (non-overlapping ranges).
        fd = os.open(src, os.O_RDWR)
        try:
            n = 0
            while n < 1000:
                n += os.copy_file_range(fd, fd, 1000 - n, n, 2 * MiB + n)
        finally:
            os.close(fd)
        expect = bytearray(data)
        expect[2 * MiB:2 * MiB + 1000] = data[:1000]
        self.assertEqual(h.read_file(src), bytes(expect))

    def test_st_blocks_count_data_only(self):
        """st_blocks comes from the data extents: a 1 GiB sparse file with
        4 KiB of data takes 8 blocks, as on ext4."""
        path = os.path.join(self.b, "sparse")
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            os.ftruncate(fd, 1 << 30)
            os.pwrite(fd, os.urandom(4096), 5 * MiB)
            self.assertLessEqual(os.fstat(fd).st_blocks, 16)
        finally:
            os.close(fd)
        time.sleep(1.1)  # past the attribute timeout: from the data dir
        st = os.stat(path)
        self.assertEqual((st.st_size, st.st_blocks), (1 << 30, 8))
        dense = os.path.join(self.b, "dense")
        h.write_file(dense, os.urandom(MiB))
        self.assertEqual(os.stat(dense).st_blocks, 2048)

    def test_posix_fallocate(self):
        path = os.path.join(self.b, "alloc")
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            os.write(fd, b"head")
            os.posix_fallocate(fd, 0, 2 * MiB)
            self.assertEqual(os.fstat(fd).st_size, 2 * MiB)
            os.posix_fallocate(fd, 0, 100)  # inside: no change
            self.assertEqual(os.fstat(fd).st_size, 2 * MiB)
            fallocate(fd, FALLOC_FL_KEEP_SIZE, 2 * MiB, MiB)
            self.assertEqual(os.fstat(fd).st_size, 2 * MiB)
        finally:
            os.close(fd)
        got = h.read_file(path)
        self.assertEqual(got[:4], b"head")
        self.assertEqual(got[4:], bytes(2 * MiB - 4))

    def test_punch_hole(self):
        path = os.path.join(self.b, "punch")
        data = bytearray(os.urandom(3 * MiB))
        h.write_file(path, data)
        fd = os.open(path, os.O_RDWR)
        try:
            fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, MiB, MiB)
            data[MiB:2 * MiB] = bytes(MiB)
            fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 50)
            data[100:150] = bytes(50)
            self.assertEqual(os.fstat(fd).st_size, 3 * MiB)
            self.assertEqual(h.pread_all(fd, len(data)), bytes(data))
            self.assertEqual(os.lseek(fd, MiB, os.SEEK_DATA), 2 * MiB)
            self.assertEqual(os.lseek(fd, 200, os.SEEK_HOLE), MiB)
            # Punching past the end keeps the size.
            fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 3 * MiB - 10, MiB)
            data[3 * MiB - 10:] = bytes(10)
        finally:
            os.close(fd)
        self.assertEqual(os.stat(path).st_size, 3 * MiB)
        self.assertEqual(h.read_file(path), bytes(data))
        fd = os.open(path, os.O_RDONLY)
        try:
            self.assertEqual(os.lseek(fd, MiB, os.SEEK_DATA), 2 * MiB)
            self.assertEqual(os.lseek(fd, 200, os.SEEK_HOLE), MiB)
        finally:
            os.close(fd)

    def test_seek_data_hole(self):
        path = os.path.join(self.b, "sparse")
        size = 10 * MiB
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            os.write(fd, b"a" * 4096)
            os.ftruncate(fd, size)
            os.pwrite(fd, b"b" * 4096, 5 * MiB)
            self.check_sparse(fd, size)
        finally:
            os.close(fd)
        fd = os.open(path, os.O_RDONLY)
        try:
            self.check_sparse(fd, size)
            self.assertEqual(h.pread_all(fd, 8192, 5 * MiB - 4096),
                             bytes(4096) + b"b" * 4096)
        finally:
            os.close(fd)

    def check_sparse(self, fd, size):
        self.assertEqual(os.lseek(fd, 0, os.SEEK_DATA), 0)
        self.assertEqual(os.lseek(fd, 0, os.SEEK_HOLE), 4096)
        self.assertEqual(os.lseek(fd, 4096, os.SEEK_DATA), 5 * MiB)
        self.assertEqual(os.lseek(fd, 100, os.SEEK_DATA), 100)
        self.assertEqual(os.lseek(fd, 5 * MiB, os.SEEK_HOLE), 5 * MiB + 4096)
        self.assertEqual(os.lseek(fd, 6 * MiB, os.SEEK_HOLE), 6 * MiB)
        self.assertEqual(os.lseek(fd, size - 1, os.SEEK_HOLE), size - 1)
        self.assertEqual(os.lseek(fd, 5 * MiB + 4095, os.SEEK_DATA), 5 * MiB + 4095)
        self.assertEqual(os.lseek(fd, 4095, os.SEEK_HOLE), 4096)
        self.assertErrno(errno.ENXIO, os.lseek, fd, 5 * MiB + 4096, os.SEEK_DATA)
        self.assertErrno(errno.ENXIO, os.lseek, fd, size, os.SEEK_DATA)
        self.assertErrno(errno.ENXIO, os.lseek, fd, size, os.SEEK_HOLE)


LOCK_HOLDER = r"""
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
if sys.argv[2] == "flock":
    fcntl.flock(fd, fcntl.LOCK_EX)
else:
    fcntl.lockf(fd, fcntl.LOCK_EX, 100, 0)
print("locked", flush=True)
sys.stdin.readline()
"""


class Locks(MountOps):
    def hold(self, path, kind):
        p = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, path, kind],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(p.stdout.close)
        self.addCleanup(p.wait, 30)
        self.addCleanup(p.stdin.close)
        self.assertEqual(p.stdout.readline().strip(), "locked")
        return p

    def test_flock(self):
        path = os.path.join(self.b, "flock")
        h.write_file(path, b"x")
        p = self.hold(path, "flock")
        fd = os.open(path, os.O_RDWR)
        try:
            with self.assertRaises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with self.assertRaises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            p.stdin.write("\n")
            p.stdin.flush()
            self.assertEqual(p.wait(30), 0)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def test_fcntl_locks(self):
        path = os.path.join(self.b, "posix")
        h.write_file(path, b"y" * 1000)
        p = self.hold(path, "lockf")
        fd = os.open(path, os.O_RDWR)
        try:
            with self.assertRaises(OSError) as cm:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 50)
            self.assertIn(cm.exception.errno, (errno.EAGAIN, errno.EACCES))
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 100, 200)  # no overlap
            query = struct.pack("hhqqixxxx", fcntl.F_WRLCK, os.SEEK_SET, 0, 100, 0)
            got = struct.unpack("hhqqixxxx", fcntl.fcntl(fd, fcntl.F_GETLK, query))
            self.assertEqual(got[0], fcntl.F_WRLCK)
            self.assertEqual(got[4], p.pid)
            p.stdin.write("\n")
            p.stdin.flush()
            self.assertEqual(p.wait(30), 0)
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 50)
        finally:
            os.close(fd)


class SpecialFiles(MountOps):
    def test_mknod_regular(self):
        path = os.path.join(self.b, "made")
        os.mknod(path, stat.S_IFREG | 0o640)
        st = os.stat(path)
        self.assertTrue(stat.S_ISREG(st.st_mode))
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_size), (0o640, 0))
        self.assertErrno(errno.EEXIST, os.mknod, path, stat.S_IFREG | 0o644)
        h.write_file(path, b"written after mknod", "r+b")
        self.assertEqual(h.read_file(path), b"written after mknod")
        os.mknod(os.path.join(self.b, "plain"))  # type 0 is a regular file
        self.assertTrue(stat.S_ISREG(os.stat(os.path.join(self.b, "plain")).st_mode))

    def test_fifo_socket_device_survive_remount(self):
        import socket
        fifo = os.path.join(self.b, "fifo")
        os.mkfifo(fifo, 0o640)
        sock_path = os.path.join(self.b, "sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.bind(sock_path)
        finally:
            s.close()
        dev = os.path.join(self.b, "null")
        os.mknod(dev, stat.S_IFCHR | 0o600, os.makedev(1, 3))
        blk = os.path.join(self.b, "blk")
        os.mknod(blk, stat.S_IFBLK | 0o600, os.makedev(7, 42))

        def check(root):
            b = os.path.join(root, os.path.basename(self.b))
            st = os.lstat(os.path.join(b, "fifo"))
            self.assertTrue(stat.S_ISFIFO(st.st_mode))
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o640)
            self.assertTrue(stat.S_ISSOCK(os.lstat(os.path.join(b, "sock")).st_mode))
            st = os.lstat(os.path.join(b, "null"))
            self.assertTrue(stat.S_ISCHR(st.st_mode))
            self.assertEqual(st.st_rdev, os.makedev(1, 3))
            st = os.lstat(os.path.join(b, "blk"))
            self.assertTrue(stat.S_ISBLK(st.st_mode))
            self.assertEqual(st.st_rdev, os.makedev(7, 42))
            types = {e.name: e.type for e in h.raw_listdir(b)}
            self.assertEqual((types[b"fifo"], types[b"sock"], types[b"null"], types[b"blk"]),
                             (1, 12, 2, 6))  # DT_FIFO, DT_SOCK, DT_CHR, DT_BLK
            self.assertNotIn("user.rdev", os.listxattr(os.path.join(b, "null")))
        check(self.mnt)
        # A FIFO works as one (the kernel's, local to this mount).
        fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
        try:
            os.write(fd, b"through the pipe")
            self.assertEqual(os.read(fd, 100), b"through the pipe")
        finally:
            os.close(fd)
        self.assertErrno(errno.EPERM, os.setxattr, dev, "user.rdev", b"5")
        # Another mount of the data dir reads them from the data dir.
        other = h.Mount(data_dir=self.mount.data_dir)
        other.start()
        try:
            check(other.mnt)
        finally:
            other.stop()
            other.cleanup()
        os.unlink(fifo)
        os.rename(dev, os.path.join(self.b, "null2"))
        self.assertTrue(stat.S_ISCHR(os.lstat(os.path.join(self.b, "null2")).st_mode))

    def test_tar_xattrs(self):
        if not shutil.which("tar"):
            self.skipTest("tar is not installed")
        src = tempfile.mkdtemp(prefix="seglake-tar-src-")
        self.addCleanup(shutil.rmtree, src, True)
        files = {"a.txt": b"alpha" * 100, "sub/b.bin": os.urandom(70000), "sub/empty": b""}
        for rel, data in files.items():
            os.makedirs(os.path.join(src, os.path.dirname(rel)), exist_ok=True)
            h.write_file(os.path.join(src, rel), data)
        xattrs_ok = True
        try:
            os.setxattr(os.path.join(src, "a.txt"), "user.color", b"blue")
        except OSError:
            xattrs_ok = False  # the temp dir's filesystem has no user xattrs
        archive = os.path.join(src, "..", os.path.basename(src) + ".tar")
        self.addCleanup(lambda: os.path.exists(archive) and os.unlink(archive))
        subprocess.run(["tar", "--xattrs", "-cf", archive, "-C", src, "."], check=True,
                       timeout=60)
        dst = os.path.join(self.b, "x")
        os.mkdir(dst)
        p = subprocess.run(["tar", "--xattrs", "-xf", archive, "-C", dst],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        for rel, data in files.items():
            self.assertEqual(h.read_file(os.path.join(dst, rel)), data, rel)
        if xattrs_ok:
            self.assertEqual(os.getxattr(os.path.join(dst, "a.txt"), "user.color"), b"blue")


class Links(MountOps):
    def test_link_is_a_second_name(self):
        # More in test_fs_posix.py (HardLinks).
        path = os.path.join(self.b, "orig")
        second = os.path.join(self.b, "second")
        h.write_file(path, b"two names")
        os.link(path, second)
        self.assertEqual(os.stat(path).st_nlink, 2)
        self.assertEqual(os.stat(second).st_ino, os.stat(path).st_ino)
        os.unlink(path)
        self.assertEqual(h.read_file(second), b"two names")
        self.assertEqual(os.stat(second).st_nlink, 1)


class BigDirectory(MountOps):
    def test_large_listing(self):
        d = os.path.join(self.b, "big")
        os.mkdir(d)
        names = ["entry-%06d" % i for i in range(BIG_DIR_ENTRIES)]
        t0 = time.monotonic()

        def make(chunk):
            for n in chunk:
                h.touch(os.path.join(d, n))

        chunks = [names[i::32] for i in range(32)]
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            list(pool.map(make, chunks))
        made = time.monotonic() - t0
        t0 = time.monotonic()
        dirents = [e for e in h.raw_listdir(d, bufsize=32768) if e.name not in (b".", b"..")]
        took = time.monotonic() - t0
        print("\n%d entries: created in %.1fs, listed in %.2fs" % (len(names), made, took),
              file=sys.stderr)
        listed = [e.name.decode() for e in dirents]
        self.assertEqual(len(listed), len(set(listed)), "duplicates in the listing")
        self.assertEqual(len(listed), len(names))
        self.assertEqual(set(listed), set(names))
        no_ino = [e.name for e in dirents if e.ino == 0]
        self.assertEqual(len(no_ino), 0, "entries with d_ino 0 (readdir() skips them), "
                         "first: %s" % no_ino[:3])
        # What programs see through readdir(3).
        self.assertEqual(len(os.listdir(d)), len(names))
        self.assertEqual(sum(1 for _ in os.scandir(d)), len(names))


if __name__ == "__main__":
    h.main()
