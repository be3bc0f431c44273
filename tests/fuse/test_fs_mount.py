"""seglake-mount as a program: daemon mode, clean exits on SIGTERM, SIGINT and
fusermount3 -u, -o ro, the mount options, and exit codes 1 and 2 with one-line
messages."""
import errno
import os
import select
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import unittest

import fuse_harness as h

GENERIC = ("dev,nodev,suid,nosuid,exec,noexec,atime,noatime,relatime,auto,noauto,user,"
           "nouser,users,_netdev,nofail,defaults")


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[-1][0] != "Z"
    except OSError:
        return False


class MountProgram(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="seglake-mountcli-")
        self.data = os.path.join(self.tmp, "data")
        self.mnt = os.path.join(self.tmp, "mnt")
        os.mkdir(self.mnt)
        self.mounts = []

    def tearDown(self):
        for m in self.mounts:
            m.cleanup()
        for mnt in (self.mnt, os.path.join(self.tmp, "mnt2")):
            if h.mounted(mnt):
                h.unmount(mnt, lazy=True)
        for pid in h.daemon_pids(self.mnt):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def mount(self, **kw):
        kw.setdefault("data_dir", self.data)
        kw.setdefault("mountpoint", self.mnt)
        m = h.Mount(tmp=self.tmp, **kw)
        self.mounts.append(m)
        return m.start()

    def run_mount(self, *args, timeout=30):
        """Runs seglake-mount with `args` and returns (rc, stdout, stderr)."""
        p = subprocess.run([h.mount_binary()] + list(args), capture_output=True, text=True,
                           timeout=timeout, env=h.clean_env(), stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr

    def assertOneLineError(self, stderr, *words):
        lines = [l for l in stderr.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, "expected one line on stderr, got %r" % stderr)
        self.assertTrue(lines[0].startswith("seglake-mount: "), lines[0])
        for w in words:
            self.assertIn(w, lines[0])

    def populate(self):
        """A bucket with a file and a directory, written by a first mount."""
        m = self.mount()
        os.makedirs(os.path.join(self.mnt, "bkt", "dir"))
        h.write_file(os.path.join(self.mnt, "bkt", "file"), b"persisted")
        m.stop()

    # starting and stopping

    def test_daemon_mode(self):
        log = open(os.path.join(self.tmp, "daemon.log"), "w+")
        p = subprocess.Popen([h.mount_binary(), self.data, self.mnt], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=log, env=h.clean_env())
        try:
            rc = p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            self.fail("seglake-mount without -f did not return within 30 s")
        log.seek(0)
        self.assertEqual(rc, 0, log.read())
        self.assertTrue(h.mounted(self.mnt), "not mounted when the parent returned")
        self.assertTrue(os.path.ismount(self.mnt))
        # The daemon lets go of the caller's stdout (so $(seglake-mount ...) returns).
        ready, _, _ = select.select([p.stdout], [], [], 5)
        self.assertTrue(ready and p.stdout.read() == b"",
                        "the daemon keeps the caller's stdout open")
        p.stdout.close()
        pids = h.daemon_pids(self.mnt)
        self.assertEqual(len(pids), 1, pids)
        os.mkdir(os.path.join(self.mnt, "bkt"))
        h.write_file(os.path.join(self.mnt, "bkt", "f"), b"daemon")
        self.assertEqual(h.read_file(os.path.join(self.mnt, "bkt", "f")), b"daemon")
        r = h.unmount(self.mnt)
        self.assertEqual(r.returncode, 0, r.stderr)
        h.wait_for(lambda: not alive(pids[0]), 15, what="the daemon to exit after unmount")
        self.assertFalse(h.mounted(self.mnt))
        # Again, stopped with SIGTERM this time.
        rc, _, err = self.run_mount(self.data, self.mnt)
        self.assertEqual(rc, 0, err)
        self.assertEqual(h.read_file(os.path.join(self.mnt, "bkt", "f")), b"daemon")
        pids = h.daemon_pids(self.mnt)
        self.assertEqual(len(pids), 1, pids)
        os.kill(pids[0], signal.SIGTERM)
        h.wait_for(lambda: not alive(pids[0]), 15, what="the daemon to exit on SIGTERM")
        self.assertFalse(h.mounted(self.mnt), "still mounted after SIGTERM")
        log.close()

    def test_signals_unmount_cleanly(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            m = self.mount()
            os.makedirs(os.path.join(self.mnt, "bkt"), exist_ok=True)
            name = "file-%d" % sig
            h.write_file(os.path.join(self.mnt, "bkt", name), b"before %d" % sig)
            m.proc.send_signal(sig)
            try:
                rc = m.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.fail("seglake-mount ignored signal %d" % sig)
            self.assertEqual(rc, 0, "exit status after signal %d:\n%s" % (sig, m.log_text()))
            m.proc = None
            self.assertFalse(h.mounted(self.mnt), "still mounted after signal %d" % sig)
            m.cleanup()
        m = self.mount()
        for sig in (signal.SIGTERM, signal.SIGINT):
            self.assertEqual(h.read_file(os.path.join(self.mnt, "bkt", "file-%d" % sig)),
                             b"before %d" % sig)
        m.stop()

    def test_data_dir_created(self):
        data = os.path.join(self.tmp, "new-data")
        self.assertFalse(os.path.exists(data))
        m = self.mount(data_dir=data)
        self.assertTrue(os.path.isdir(data))
        # Private whatever the umask: other local users get nothing around the mount.
        self.assertEqual(stat.S_IMODE(os.stat(data).st_mode), 0o700)
        os.mkdir(os.path.join(self.mnt, "bkt"))
        h.write_file(os.path.join(self.mnt, "bkt", "x"), b"x")
        m.stop()
        self.assertNotEqual(os.listdir(data), [])
        # A data dir open to others mounts, with a warning that says how to fix it.
        os.chmod(data, 0o755)
        rc, _, err = self.run_mount(data, self.mnt)
        self.assertEqual(rc, 0, err)
        self.assertIn("data dir %s is accessible to other users (mode 755)" % os.path.realpath(data),
                      err)
        self.assertIn("chmod 700", err)
        r = h.unmount(self.mnt)
        self.assertEqual(r.returncode, 0, r.stderr)
        os.chmod(data, 0o700)
        rc, _, err = self.run_mount(data, self.mnt)
        self.assertEqual(rc, 0, err)
        self.assertNotIn("warning", err)
        r = h.unmount(self.mnt)
        self.assertEqual(r.returncode, 0, r.stderr)
        # Under a missing parent: created, or refused with a clear message.
        nested = os.path.join(self.tmp, "new", "nested", "data")
        rc, _, err = self.run_mount(nested, self.mnt)
        if rc == 0:
            self.assertTrue(os.path.isdir(nested))
            r = h.unmount(self.mnt)
            self.assertEqual(r.returncode, 0, r.stderr)
        else:
            self.assertEqual(rc, 1, err)
            self.assertOneLineError(err, nested)

    # options

    def test_read_only(self):
        self.populate()
        m = self.mount(options=["ro"])
        b = os.path.join(self.mnt, "bkt")
        f = os.path.join(b, "file")
        self.assertEqual(h.read_file(f), b"persisted")
        self.assertEqual(sorted(os.listdir(b)), ["dir", "file"])
        self.assertTrue(os.statvfs(self.mnt).f_flag & os.ST_RDONLY)
        self.assertIn("ro", h.mount_entry(self.mnt)[2])
        for what, fn, args in (
                ("open for writing", h.open_close, (f, os.O_WRONLY)),
                ("create", h.touch, (os.path.join(b, "new"),)),
                ("O_TRUNC", h.open_close, (f, os.O_RDONLY | os.O_TRUNC)),
                ("mkdir", os.mkdir, (os.path.join(b, "newdir"),)),
                ("mkdir at the root", os.mkdir, (os.path.join(self.mnt, "newbucket"),)),
                ("rmdir", os.rmdir, (os.path.join(b, "dir"),)),
                ("unlink", os.unlink, (f,)),
                ("rename", os.rename, (f, os.path.join(b, "moved"))),
                ("symlink", os.symlink, ("file", os.path.join(b, "link"))),
                ("chmod", os.chmod, (f, 0o600)),
                ("chown", os.chown, (f, 1, 1)),
                ("utime", os.utime, (f, (1, 1))),
                ("truncate", os.truncate, (f, 0)),
                ("setxattr", os.setxattr, (f, "user.k", b"v"))):
            with self.subTest(what):
                h.assert_errno(self, errno.EROFS, fn, *args)
        self.assertEqual(h.read_file(f), b"persisted")
        m.stop()

    def test_mount_options(self):
        self.populate()
        opts = ["allow_other", "default_permissions", "entry_timeout=0", "attr_timeout=0",
                "negative_timeout=0", "poll_ms=10", "dirty_mb=1", "max_threads=2",
                "fsname=seglake-test", "subtype=seglaketest", "rw", GENERIC]
        m = self.mount(options=opts)
        source, fstype, flags = h.mount_entry(self.mnt)
        self.assertEqual(fstype, "fuse.seglaketest")
        self.assertEqual(source, "seglake-test")
        self.assertIn("allow_other", flags)
        self.assertIn("default_permissions", flags)
        self.assertEqual(h.read_file(os.path.join(self.mnt, "bkt", "file")), b"persisted")
        # dirty_mb=1: an open file with more unsaved data than that is
        # committed, so a second mount sees it before the close.
        other = self.mount(mountpoint=os.path.join(self.tmp, "mnt2"))
        path = os.path.join(self.mnt, "bkt", "dirty")
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o644)
        try:
            for _ in range(4):
                os.write(fd, os.urandom(1 << 20))
            seen = os.path.join(other.mnt, "bkt", "dirty")
            h.wait_for(lambda: os.stat(seen).st_size >= 1 << 20, 3,
                       what="data past dirty_mb=1 to be committed before the close")
        finally:
            os.close(fd)
        other.stop()
        m.stop()

    def test_single_threaded_and_writeback(self):
        m = self.mount(args=["-s"], options=["writeback_cache"])
        b = os.path.join(self.mnt, "bkt")
        os.mkdir(b)
        data = os.urandom(3 << 20)
        h.write_file(os.path.join(b, "f"), data)
        with open(os.path.join(b, "f"), "r+b") as f:
            f.seek(1000)
            f.write(b"patch")
        self.assertEqual(h.read_file(os.path.join(b, "f")), data[:1000] + b"patch" + data[1005:])
        self.assertEqual(os.stat(os.path.join(b, "f")).st_size, len(data))
        m.stop()

    def test_debug_logs_and_stays_in_foreground(self):
        m = self.mount(args=["-d"], foreground=False)
        before = m.log_size()
        os.mkdir(os.path.join(self.mnt, "bkt"))
        h.write_file(os.path.join(self.mnt, "bkt", "f"), b"logged")
        os.listdir(os.path.join(self.mnt, "bkt"))
        time.sleep(0.2)
        self.assertIsNone(m.proc.poll(), "-d must stay in the foreground")
        self.assertGreater(m.log_size() - before, 200, "-d logs no requests")
        m.stop()

    # errors

    def test_missing_mountpoint(self):
        missing = os.path.join(self.tmp, "no-such-dir")
        for fg in (["-f"], []):
            rc, out, err = self.run_mount(*fg, self.data, missing)
            self.assertEqual(rc, 1, "%s: %s" % (fg, err))
            self.assertOneLineError(err, missing)
            self.assertFalse(h.mounted(missing))

    def test_mountpoint_is_a_file(self):
        path = os.path.join(self.tmp, "file")
        h.write_file(path, b"")
        rc, _, err = self.run_mount("-f", self.data, path)
        self.assertEqual(rc, 1, err)
        self.assertOneLineError(err, path)

    def test_already_mounted(self):
        self.populate()
        m = self.mount()
        other_data = os.path.join(self.tmp, "data2")
        for fg in (["-f"], []):
            rc, _, err = self.run_mount(*fg, other_data, self.mnt)
            self.assertEqual(rc, 1, "%s: %s" % (fg, err))
            self.assertOneLineError(err, self.mnt)
        # The first mount is untouched.
        self.assertEqual(h.read_file(os.path.join(self.mnt, "bkt", "file")), b"persisted")
        self.assertIsNone(m.proc.poll())
        m.stop()

    def test_usage_errors(self):
        cases = [
            (["-o", "bogus_option", self.data, self.mnt], "bogus_option"),
            (["-o", "ro,no_such_opt=3", self.data, self.mnt], "no_such_opt"),
            (["-o", "poll_ms=abc", self.data, self.mnt], "poll_ms"),
            (["--no-such-flag", self.data, self.mnt], "--no-such-flag"),
            ([], None),
            ([self.data], None),
            ([self.data, self.mnt, os.path.join(self.tmp, "third")], None),
        ]
        for args, word in cases:
            with self.subTest(args=args):
                rc, _, err = self.run_mount(*args)
                self.assertEqual(rc, 2, err)
                self.assertTrue(err.startswith("seglake-mount: ") or "usage" in err.lower(),
                                err)
                if word:
                    self.assertIn(word, err)
                self.assertFalse(h.mounted(self.mnt))

    def test_help_and_version(self):
        for flag in ("-h", "--help"):
            rc, out, err = self.run_mount(flag)
            self.assertEqual(rc, 0, err)
            self.assertIn("DATA_DIR", out)
            self.assertIn("MOUNTPOINT", out)
        for flag in ("-V", "--version"):
            rc, out, err = self.run_mount(flag)
            self.assertEqual(rc, 0, err)
            self.assertIn("seglake-mount", out + err)
            self.assertRegex(out + err, r"\d+\.\d+")


if __name__ == "__main__":
    h.main()
