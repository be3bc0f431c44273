"""Shared pieces of the soak tests: the binaries, seglake-s3d as a child
process that dies with its parent, boto3 clients, the seglake CLI, and
process cleanup.

Binaries come from $SEGLAKE_BIN_DIR (the CMake build dir):
engine/tools/seglake, s3d/server/seglake-s3d and fuse/seglake-mount. Without
/dev/fuse or one of them a test exits 77 (CTest: skipped).
"""
import atexit
import ctypes
import ctypes.util
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fuse"))
sys.path.insert(0, os.path.join(HERE, "..", "s3"))

import fuse_harness as h  # noqa: E402  (exits 77 without boto3)
import s3d_harness  # noqa: E402

import boto3  # noqa: E402
import botocore  # noqa: E402
from botocore.config import Config  # noqa: E402

SKIP = 77
MiB = 1 << 20
ACCESS_KEY = s3d_harness.ACCESS_KEY
SECRET_KEY = s3d_harness.SECRET_KEY
REGION = s3d_harness.REGION

_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_PR_SET_PDEATHSIG = 1


def md5(data):
    return hashlib.md5(data).hexdigest()


def binaries():
    """(seglake, seglake-s3d, seglake-mount) paths; exits 77 when /dev/fuse,
    fusermount3 or a binary is missing."""
    mount = h.mount_binary()  # exits 77 without /dev/fuse or seglake-mount
    s3d = h.s3d_binary()  # exits 77 without seglake-s3d
    cli = os.path.join(h.bin_dir(), "engine", "tools", "seglake")
    if not os.path.exists(cli):
        print("%s not built: skipping" % cli, file=sys.stderr)
        sys.exit(SKIP)
    try:
        h.fusermount()
    except RuntimeError as e:
        print("%s: skipping" % e, file=sys.stderr)
        sys.exit(SKIP)
    return cli, s3d, mount


def _die_with_parent():
    # If the test process dies (even by SIGKILL, e.g. a CTest timeout), the
    # server gets SIGTERM instead of living on.
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_live = []  # S3d objects with a running process


class S3d:
    """seglake-s3d on 127.0.0.1 (a free port, picked again at each start) with
    fixed credentials; its log goes to log_path. Start it from the main
    thread: it dies with the thread that started it."""

    def __init__(self, binary, data_dir, log_path):
        self.binary = binary
        self.data_dir = data_dir
        self.log_path = log_path
        self.proc = None
        self.port = None
        self._drainer = None
        self._clients = []

    def start(self, timeout=30):
        args = [self.binary, "--listen", "127.0.0.1:0", "--data-dir", self.data_dir,
                "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY]
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True, env=h.clean_env(),
                                     preexec_fn=_die_with_parent)
        _live.append(self)
        pattern = re.compile(r"seglake-s3d listening on https?://[^\s]+:(\d+)")
        deadline = time.monotonic() + timeout
        self.port = None
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                rc = self.proc.wait()
                log.close()
                self.proc = None
                _live.remove(self)
                raise RuntimeError("seglake-s3d exited with %s before listening; log:\n%s"
                                   % (rc, tail(self.log_path)))
            log.write(line)
            log.flush()
            m = pattern.search(line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.kill()
            raise RuntimeError("seglake-s3d did not start; log:\n%s" % tail(self.log_path))

        def drain(stream=self.proc.stderr, log=log):
            for line in stream:
                log.write(line)
                log.flush()
            log.close()
        self._drainer = threading.Thread(target=drain, daemon=True)
        self._drainer.start()
        return self

    @property
    def alive(self):
        return self.proc is not None

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def client(self, read_timeout=60):
        """A boto3 client that makes exactly one attempt per request."""
        cfg = Config(s3={"addressing_style": "path"},
                     retries={"total_max_attempts": 1, "mode": "standard"},
                     connect_timeout=5, read_timeout=read_timeout,
                     max_pool_connections=4)
        c = boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY, region_name=REGION, config=cfg)
        self._clients.append(c)
        return c

    def _close_clients(self):
        for c in self._clients:
            try:
                c.close()
            except Exception:
                pass
        self._clients = []

    def _reap(self):
        self.proc.wait(60)
        if self._drainer:
            self._drainer.join(10)
        try:
            self.proc.stderr.close()
        except Exception:
            pass
        self.proc = None
        self._close_clients()
        if self in _live:
            _live.remove(self)

    def kill(self):
        """SIGKILL (a crash)."""
        if self.proc is None:
            return
        self.proc.kill()
        self._reap()

    def stop(self, timeout=60):
        """SIGTERM and wait; returns the exit code."""
        if self.proc is None:
            return None
        self._close_clients()  # idle keep-alive connections would hold the shutdown
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        rc = self.proc.wait()
        self._reap()
        return rc


def tail(path, lines=40):
    try:
        with open(path, "rb") as f:
            text = f.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def run_cli(cli, data_dir, *args, timeout=180, json_out=True):
    """Runs `seglake --data-dir D [--json] ARGS`; returns (rc, parsed JSON or
    stdout text, stderr)."""
    cmd = [cli, "--data-dir", data_dir] + (["--json"] if json_out else []) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=h.clean_env())
    out = p.stdout
    if json_out:
        try:
            out = json.loads(p.stdout) if p.stdout.strip() else None
        except ValueError:
            out = p.stdout
    return p.returncode, out, p.stderr


def cleanup_all():
    """Ends every server this process started and unmounts every mount; never
    raises."""
    for s in list(_live):
        try:
            s.kill()
        except Exception as e:  # pragma: no cover
            print("killing seglake-s3d failed: %s" % e, file=sys.stderr)
    fuse_cleanup = getattr(h, "_cleanup_all", None)  # the mount harness's own hook
    if fuse_cleanup:
        fuse_cleanup()


atexit.register(cleanup_all)


def _on_signal(signum, frame):
    # Unwind through the finally blocks, which clean up; the atexit hook
    # covers what they miss.
    raise SystemExit(128 + signum)


for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_sig, _on_signal)


FUSECTL = "/sys/fs/fuse/connections"


def fuse_connection(mountpoint):
    """The FUSE connection id of the live mount at `mountpoint` (its name
    under /sys/fs/fuse/connections), to abort it even after a lazy unmount."""
    dev = os.stat(mountpoint).st_dev
    return (os.major(dev) << 20) | os.minor(dev)


def abort_fuse_connection(conn):
    """Aborts one FUSE connection (every request waiting on it fails with
    ECONNABORTED, and its daemon can exit). Mounts fusectl if needed.
    Returns a description of what was done."""
    path = os.path.join(FUSECTL, str(conn))
    if not os.path.isdir(path):
        subprocess.run(["mount", "-t", "fusectl", "none", FUSECTL], capture_output=True)
    if not os.path.isdir(path):
        return "connection %s not found under %s" % (conn, FUSECTL)
    try:
        with open(os.path.join(path, "waiting")) as f:
            waiting = f.read().strip()
        with open(os.path.join(path, "abort"), "w") as f:
            f.write("1")
    except OSError as e:
        return "aborting connection %s failed: %s" % (conn, e)
    return "aborted FUSE connection %s (%s requests were waiting)" % (conn, waiting)


def thread_states(pid, all_threads=True):
    """One line per thread of `pid`: id, name, state, wchan, and the kernel
    stack of the threads in uninterruptible sleep (D)."""
    out = []
    try:
        tids = sorted(os.listdir("/proc/%d/task" % pid), key=int)
    except OSError:
        return ["pid %d is gone" % pid]
    for tid in tids:
        base = "/proc/%d/task/%s/" % (pid, tid)
        try:
            with open(base + "comm") as f:
                comm = f.read().strip()
            with open(base + "stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            with open(base + "wchan") as f:
                wchan = f.read().strip()
        except OSError:
            continue
        if not all_threads and state != "D":
            continue
        out.append("thread %s (%s) state %s wchan %s" % (tid, comm, state, wchan))
        if state == "D":
            try:
                with open(base + "stack") as f:
                    out += ["    " + line.rstrip() for line in f if line.strip()]
            except OSError:
                pass
    return out


def is_connection_error(e):
    """Whether a boto3 failure came without an HTTP response from the server
    (refused, reset, closed mid-body): the only failures a crash excuses."""
    if isinstance(e, botocore.exceptions.ClientError):
        return False
    return isinstance(e, (botocore.exceptions.BotoCoreError, ConnectionError, OSError)) or \
        type(e).__name__ in ("IncompleteRead", "ProtocolError", "ReadTimeoutError")
