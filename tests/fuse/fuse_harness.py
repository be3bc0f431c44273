"""Harness for the real-mount tests: runs seglake-mount on a fresh temp data
dir and a temp mountpoint, optionally seglake-s3d on the same data dir, and
never leaves a mount behind.

Binaries: $SEGLAKE_BIN_DIR/fuse/seglake-mount and
$SEGLAKE_BIN_DIR/s3d/server/seglake-s3d (SEGLAKE_BIN_DIR is the CMake build
dir). Without /dev/fuse or seglake-mount a module exits 77 (CTest: skipped).
"""
import atexit
import collections
import ctypes
import ctypes.util
import errno
import hashlib
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "s3"))

import s3d_harness  # noqa: E402  (exits 77 without boto3)

LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
LIBC.syscall.restype = ctypes.c_long
PR_SET_PDEATHSIG = 1
SYS_GETDENTS64 = 217  # x86_64

_live_mounts = []


def bin_dir():
    d = os.environ.get("SEGLAKE_BIN_DIR")
    if not d:
        d = os.path.join(HERE, "..", "..", "build", "release")
    return os.path.abspath(d)


def mount_binary():
    """The seglake-mount path; exits 77 when it or /dev/fuse is missing."""
    if not os.path.exists("/dev/fuse"):
        print("/dev/fuse is missing: skipping", file=sys.stderr)
        sys.exit(SKIP)
    path = os.path.join(bin_dir(), "fuse", "seglake-mount")
    if not os.path.exists(path):
        print(f"{path} not built: skipping", file=sys.stderr)
        sys.exit(SKIP)
    return path


def s3d_binary():
    os.environ.setdefault("SEGLAKE_BIN_DIR", bin_dir())
    return s3d_harness.binary()


def fusermount():
    path = shutil.which("fusermount3")
    if not path:
        raise RuntimeError("fusermount3 is not installed")
    return path


def _unescape_mountinfo(field):
    out = bytearray()
    raw = field.encode()
    i = 0
    while i < len(raw):
        code = raw[i + 1:i + 4]
        if raw[i] == ord("\\") and len(code) == 3 and code.isdigit():
            out.append(int(code, 8))
            i += 4
        else:
            out.append(raw[i])
            i += 1
    return out.decode(errors="surrogateescape")


def mounted(path):
    """Whether `path` is a mount point in /proc/self/mountinfo (also true for
    a dead FUSE mount, where os.path.ismount says False)."""
    path = os.path.abspath(path)
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split(" ")
            if len(fields) > 4 and _unescape_mountinfo(fields[4]) == path:
                return True
    return False


def mount_entry(path):
    """(source, fstype, options) of the mount at `path` from /proc/self/mounts."""
    path = os.path.abspath(path)
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split(" ")
            if len(fields) > 3 and _unescape_mountinfo(fields[1]) == path:
                return _unescape_mountinfo(fields[0]), fields[2], fields[3].split(",")
    return None


def daemon_pids(mountpoint):
    """Pids of seglake-mount processes whose last argument is `mountpoint`
    (to find a daemon started without -f)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")[:-1]
        except OSError:
            continue
        if argv and argv[0].endswith(b"seglake-mount") and \
                os.fsdecode(argv[-1]) == mountpoint:
            out.append(int(pid))
    return out


def unmount(path, lazy=False):
    """Runs fusermount3 -u (-z); returns the CompletedProcess."""
    args = [fusermount(), "-uz" if lazy else "-u", path]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def _die_with_parent():
    # The mount gets SIGTERM (a clean unmount) if this test process dies,
    # so a killed test run leaves no mount behind.
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def clean_env():
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("SEGLAKE_") and k != "SEGLAKE_BIN_DIR":
            del env[k]
    return env


class Mount:
    """One seglake-mount process in the foreground (-f) on a temp mountpoint.

    Start it from the main thread: the mount is tied to the starting thread
    and stops with it.
    """

    def __init__(self, data_dir=None, mountpoint=None, options=(), args=(), tmp=None,
                 foreground=True):
        self.tmp = tmp or tempfile.mkdtemp(prefix="seglake-fuse-")
        self.own_tmp = tmp is None
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.mnt = mountpoint or os.path.join(self.tmp, "mnt")
        self.options = list(options)
        self.args = list(args)
        self.foreground = foreground
        self.log_path = os.path.join(self.tmp, "mount-%s.log" % uuid.uuid4().hex[:8])
        self.proc = None
        self._log = None

    def command(self, foreground=True):
        cmd = [mount_binary()]
        if foreground:
            cmd.append("-f")
        if self.options:
            cmd += ["-o", ",".join(self.options)]
        return cmd + self.args + [self.data_dir, self.mnt]

    def start(self, timeout=30):
        os.makedirs(self.mnt, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(self.foreground), stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=self._log, env=clean_env(),
                                     preexec_fn=_die_with_parent)
        _live_mounts.append(self)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.proc = None
                raise RuntimeError("seglake-mount exited with %s before mounting:\n%s"
                                   % (rc, self.log_text()))
            if mounted(self.mnt) and os.path.ismount(self.mnt):
                return self
            if time.monotonic() > deadline:
                self.force_cleanup()
                raise RuntimeError("seglake-mount did not mount %s within %ss:\n%s"
                                   % (self.mnt, timeout, self.log_text()))
            time.sleep(0.02)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_text(self, start=0, max_lines=200):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(start)
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-max_lines:])

    def stop(self, timeout=30):
        """fusermount3 -u, then the process must exit 0. Raises otherwise
        (after making sure nothing stays mounted)."""
        problems = []
        deadline = time.monotonic() + 5
        while True:
            p = unmount(self.mnt)
            if p.returncode == 0 or "busy" not in p.stderr.lower() \
                    or time.monotonic() > deadline:
                break
            time.sleep(0.1)  # a child process may still hold a file open
        if p.returncode != 0:
            problems.append("fusermount3 -u %s exited %d: %s"
                            % (self.mnt, p.returncode, p.stderr.strip()))
        rc = None
        if self.proc is not None:
            try:
                rc = self.proc.wait(timeout if p.returncode == 0 else 2)
            except subprocess.TimeoutExpired:
                if p.returncode == 0:
                    problems.append("seglake-mount did not exit %ss after unmount" % timeout)
            else:
                if rc != 0:
                    problems.append("seglake-mount exited with %d after unmount" % rc)
        self.force_cleanup()
        if problems:
            raise AssertionError("%s\nmount log:\n%s" % ("\n".join(problems), self.log_text()))
        return rc

    def kill(self):
        """SIGKILL the daemon (a crash) and lazily unmount the dead mount."""
        self.proc.kill()
        self.proc.wait(30)
        self.proc = None
        p = unmount(self.mnt, lazy=True)
        if p.returncode != 0:
            raise AssertionError("fusermount3 -uz after kill -9 exited %d: %s"
                                 % (p.returncode, p.stderr))
        if mounted(self.mnt):
            raise AssertionError("%s is still mounted after fusermount3 -uz" % self.mnt)

    def force_cleanup(self):
        """Unmounts whatever way works and ends the process; never raises."""
        try:
            if mounted(self.mnt):
                if unmount(self.mnt).returncode != 0:
                    unmount(self.mnt, lazy=True)
        except Exception as e:  # pragma: no cover
            print("unmount of %s failed: %s" % (self.mnt, e), file=sys.stderr)
        if self.proc is not None:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            self.proc = None
        if self._log:
            self._log.close()
            self._log = None
        if self in _live_mounts:
            _live_mounts.remove(self)

    def cleanup(self):
        self.force_cleanup()
        if self.own_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


@atexit.register
def _cleanup_all():
    for m in list(_live_mounts):
        m.force_cleanup()


def _on_signal(signum, frame):
    _cleanup_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


signal.signal(signal.SIGTERM, _on_signal)


def wait_for(fn, timeout=5.0, interval=0.005, what="condition"):
    """Calls fn until it returns a truthy value (returned) or timeout passes;
    exceptions count as falsy. Raises AssertionError with the last result."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = fn()
            if last:
                return last
        except OSError as e:
            last = e
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s (last: %r)"
                                 % (timeout, what, last))
        time.sleep(interval)


def md5(data):
    return hashlib.md5(data).hexdigest()


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def write_file(path, data, mode="wb"):
    with open(path, mode) as f:
        f.write(data)


Dirent = collections.namedtuple("Dirent", "name type ino")


def raw_listdir(path, bufsize=2048):
    """Every entry getdents64 returns, '.' and '..' included, as Dirent(name
    bytes, d_type, d_ino) in order; a small buffer makes many readdir calls."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    buf = ctypes.create_string_buffer(bufsize)
    out = []
    try:
        while True:
            n = LIBC.syscall(ctypes.c_long(SYS_GETDENTS64), ctypes.c_int(fd), buf,
                             ctypes.c_size_t(bufsize))
            if n < 0:
                e = ctypes.get_errno()
                raise OSError(e, os.strerror(e), path)
            if n == 0:
                return out
            data = buf.raw[:n]
            pos = 0
            while pos < n:
                ino, _, reclen, dtype = struct.unpack_from("=QqHB", data, pos)
                name = data[pos + 19:pos + reclen].split(b"\0", 1)[0]
                out.append(Dirent(name, dtype, ino))
                pos += reclen
    finally:
        os.close(fd)


def pread_all(fd, size, offset=0):
    """pread until `size` bytes or the end of the file."""
    out = bytearray()
    while len(out) < size:
        chunk = os.pread(fd, size - len(out), offset + len(out))
        if not chunk:
            break
        out += chunk
    return bytes(out)


def open_close(path, flags, mode=0o644):
    """Opens and closes at once (so a wrongly successful open leaks no fd)."""
    os.close(os.open(path, flags, mode))


def touch(path, extra_flags=0, mode=0o644):
    """Creates (or opens) `path` for writing and closes it."""
    open_close(path, os.O_CREAT | os.O_WRONLY | extra_flags, mode)


def assert_errno(test, code, fn, *args, **kwargs):
    """fn(*args) must fail with OSError errno `code`."""
    with test.assertRaises(OSError) as cm:
        fn(*args, **kwargs)
    test.assertEqual(cm.exception.errno, code, "expected %s, got %s (%s)"
                     % (errno.errorcode.get(code), errno.errorcode.get(cm.exception.errno),
                        cm.exception))
    return cm.exception


class Aws:
    """The aws CLI against one seglake-s3d."""

    def __init__(self, server):
        if not shutil.which("aws"):
            raise RuntimeError("the aws CLI is not installed")
        self.server = server
        self.home = tempfile.mkdtemp(prefix="seglake-awscli-")
        cfg = os.path.join(self.home, "config")
        with open(cfg, "w") as f:
            f.write("[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n")
        self.env = dict(os.environ, AWS_ACCESS_KEY_ID=s3d_harness.ACCESS_KEY,
                        AWS_SECRET_ACCESS_KEY=s3d_harness.SECRET_KEY,
                        AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=cfg,
                        AWS_SHARED_CREDENTIALS_FILE=os.devnull, HOME=self.home)

    def __call__(self, *args, check=True):
        p = subprocess.run(["aws", "--endpoint-url", self.server.endpoint] + list(args),
                           env=self.env, capture_output=True, text=True, timeout=120)
        if check and p.returncode != 0:
            raise AssertionError("aws %s failed (%d): %s %s"
                                 % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def cleanup(self):
        shutil.rmtree(self.home, ignore_errors=True)


class MountTestCase(unittest.TestCase):
    """One mount (and with `with_s3`, one seglake-s3d on the same data dir)
    for the whole class. Every test's share of the mount's log is printed when
    it fails; tearDownClass checks a clean unmount and exit 0."""

    with_s3 = False
    mount_options = ()
    mount_args = ()

    @classmethod
    def setUpClass(cls):
        cls.server = None
        cls.s3 = None
        cls.mount = Mount(options=cls.mount_options, args=cls.mount_args)
        try:
            cls.mount.start()
            if cls.with_s3:
                s3d_binary()
                cls.server = s3d_harness.Server(data_dir=cls.mount.data_dir).start()
                cls.s3 = cls.server.client()
        except BaseException:
            cls._shutdown()
            raise
        cls.mnt = cls.mount.mnt
        cls._bucket_seq = 0

    @classmethod
    def _shutdown(cls):
        problems = []
        if cls.server is not None:
            rc = cls.server.stop()
            if rc != 0:
                problems.append("seglake-s3d exited with %s; log tail: %s"
                                % (rc, cls.server.log_lines()[-20:]))
            cls.server.cleanup()
            cls.server = None
        try:
            cls.mount.stop()
        except AssertionError as e:
            problems.append(str(e))
        finally:
            cls.mount.cleanup()
        return problems

    @classmethod
    def tearDownClass(cls):
        problems = cls._shutdown()
        if problems:
            raise AssertionError("\n".join(problems))

    def run(self, result=None):
        start = self.mount.log_size() if getattr(self, "mount", None) else 0
        before = (len(result.failures), len(result.errors)) if result else None
        out = super().run(result)
        if result is not None and (len(result.failures), len(result.errors)) != before:
            print("\n--- seglake-mount log during %s ---\n%s\n--- end of log ---"
                  % (self.id(), self.mount.log_text(start)), file=sys.stderr)
            if self.server is not None:
                print("--- seglake-s3d log tail ---\n%s"
                      % "\n".join(self.server.log_lines()[-30:]), file=sys.stderr)
        return out

    def new_bucket(self, prefix="b"):
        """Makes a bucket through the mount (mkdir at the root); returns its path."""
        type(self)._bucket_seq += 1
        name = "%s-%03d-%s" % (prefix, self._bucket_seq, uuid.uuid4().hex[:8])
        path = os.path.join(self.mnt, name)
        os.mkdir(path)
        return path

    def assertErrno(self, code, fn, *args, **kwargs):
        return assert_errno(self, code, fn, *args, **kwargs)


def main(s3d=False):
    """Runs the module's tests; exits 77 first when a binary it needs is missing."""
    mount_binary()
    if s3d:
        s3d_binary()
    unittest.main(verbosity=2)
