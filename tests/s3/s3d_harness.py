"""Test harness for seglake-s3d: starts the real binary on a free port with a
fresh data dir and fixed credentials, and gives boto3 clients and raw signed
requests against it.

The binary is $SEGLAKE_BIN_DIR/s3d/server/seglake-s3d (SEGLAKE_BIN_DIR is the
CMake build dir). A module whose tools are missing exits 77 (CTest: skipped).
"""
import datetime
import hashlib
import hmac
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

SKIP = 77
ACCESS_KEY = "SEGLAKETESTKEY000001"
SECRET_KEY = "seglake/test/secret/key/0000000000000000"
REGION = "us-east-1"

try:
    import boto3
    import botocore
    from botocore.config import Config
except ImportError:  # pragma: no cover
    print("boto3 is not installed: skipping", file=sys.stderr)
    sys.exit(SKIP)


def binary():
    bin_dir = os.environ.get("SEGLAKE_BIN_DIR")
    if not bin_dir:
        here = os.path.dirname(os.path.abspath(__file__))
        bin_dir = os.path.join(here, "..", "..", "build-s3d")
    path = os.path.join(bin_dir, "s3d", "server", "seglake-s3d")
    if not os.path.exists(path):
        print(f"{path} not built: skipping", file=sys.stderr)
        sys.exit(SKIP)
    return path


def make_cert(directory):
    """A self-signed certificate for 127.0.0.1; returns (cert, key) paths."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
         cert, "-days", "2", "-subj", "/CN=localhost", "-addext",
         "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


class Server:
    """One seglake-s3d process on 127.0.0.1:<free port>."""

    def __init__(self, tls=False, credentials=True, extra_args=(), data_dir=None):
        self.tls = tls
        self.credentials = credentials
        self.extra_args = list(extra_args)
        self.tmp = tempfile.mkdtemp(prefix="seglake-s3-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.cert = None
        self.proc = None
        self.port = None
        self.log = []
        self._log_lock = threading.Lock()
        self._clients = []

    def start(self):
        args = [binary(), "--listen", "127.0.0.1:0", "--data-dir", self.data_dir]
        if self.credentials:
            args += ["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY]
        if self.tls:
            self.cert, key = make_cert(self.tmp)
            args += ["--tls-cert", self.cert, "--tls-key", key]
        args += self.extra_args
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("SEGLAKE_") and k != "SEGLAKE_BIN_DIR":
                del env[k]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, env=env)
        deadline = time.time() + 30
        pattern = re.compile(r"seglake-s3d listening on (https?)://([^\s]+):(\d+)")
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                raise RuntimeError("seglake-s3d exited: rc=%s log=%s" % (self.proc.wait(), self.log))
            self.log.append(line.rstrip("\n"))
            m = pattern.search(line)
            if m:
                self.port = int(m.group(3))
                break
        if self.port is None:
            raise RuntimeError("seglake-s3d did not start: %s" % self.log)
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()
        return self

    def _drain(self):
        for line in self.proc.stderr:
            with self._log_lock:
                self.log.append(line.rstrip("\n"))

    def log_lines(self):
        with self._log_lock:
            return list(self.log)

    def stop(self, timeout=60):
        """SIGTERM, wait, and return the exit code."""
        if self.proc is None:
            return None
        # Idle keep-alive connections would hold the shutdown for the
        # server's keep-alive timeout: close ours first.
        for c in self._clients:
            c.close()
        self._clients = []
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self._drainer.join(10)
        self.proc.stderr.close()
        self.proc = None
        return rc

    def wait_exit(self, timeout=60):
        """Waits for the process to exit by itself; returns its exit code."""
        rc = self.proc.wait(timeout)
        self._drainer.join(10)
        self.proc.stderr.close()
        self.proc = None
        return rc

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def endpoint(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    def client(self, access_key=ACCESS_KEY, secret_key=SECRET_KEY, **config):
        cfg = dict(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                   connect_timeout=10, read_timeout=120)
        cfg.update(config)
        client = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=access_key,
                              aws_secret_access_key=secret_key, region_name=REGION,
                              verify=self.cert if self.tls else None, config=Config(**cfg))
        self._clients.append(client)
        return client

    def connection(self):
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.cert)
            return http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=60)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(self, method, path, query=(), headers=None, body=b"", sign=True,
                payload_hash=None, secret_key=SECRET_KEY):
        """A raw request signed with SigV4 (our own signer, independent of botocore).
        path is the percent-encoded path; query a list of (name, value) pairs."""
        headers = dict(headers or {})
        if sign:
            sign_request(method, "127.0.0.1:%d" % self.port, path, query, headers,
                         payload_hash or hashlib.sha256(body).hexdigest(), secret_key=secret_key)
        conn = self.connection()
        target = path + ("?" + encode_query(query) if query else "")
        conn.request(method, target, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


def read_all(sock, wait):
    """Everything the peer sends until it closes (then b"<eof>" is appended,
    or b"<reset>" for a reset) or until `wait` seconds pass quiet."""
    out = b""
    sock.settimeout(wait)
    while True:
        try:
            b = sock.recv(65536)
        except socket.timeout:
            return out
        except ConnectionResetError:
            return out + b"<reset>"
        if not b:
            return out + b"<eof>"
        out += b


def raw_exchange(port, data, wait=2.0, chunks=(), pause=0.3):
    """Sends data (then each of chunks after a pause) on a fresh connection
    and returns what read_all reads."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        sock.sendall(data)
        for c in chunks:
            time.sleep(pause)
            try:
                sock.sendall(c)
            except OSError:
                break
        return read_all(sock, wait)
    finally:
        sock.close()


def quote(s):
    return urllib.parse.quote(s, safe="-_.~")


def encode_query(pairs):
    return "&".join(quote(k) + ("=" + quote(v) if v is not None else "") for k, v in pairs)


def signing_key(secret_key, day):
    k = hmac.new(("AWS4" + secret_key).encode(), day.encode(), hashlib.sha256).digest()
    for part in (REGION, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def sign_request(method, host, path, query, headers, payload_hash, access_key=ACCESS_KEY,
                 secret_key=SECRET_KEY, when=None):
    """Adds Host, X-Amz-Date, X-Amz-Content-Sha256 and Authorization to headers.
    Returns (signing key, amz_date, scope, signature) for aws-chunked bodies."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    headers["Host"] = host
    headers["X-Amz-Date"] = amz_date
    headers["X-Amz-Content-Sha256"] = payload_hash
    names = sorted(h.lower() for h in headers)
    lower = {h.lower(): " ".join(str(v).split()) for h, v in headers.items()}
    canonical_query = "&".join(
        sorted(quote(k) + "=" + quote(v if v is not None else "") for k, v in query))
    creq = "\n".join([method, path, canonical_query,
                      "".join("%s:%s\n" % (n, lower[n]) for n in names), ";".join(names),
                      payload_hash])
    scope = "%s/%s/s3/aws4_request" % (day, REGION)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    key = signing_key(secret_key, day)
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        access_key, scope, ";".join(names), sig)
    return key, amz_date, scope, sig


def chunk_signature(key, amz_date, scope, previous, data):
    sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous,
                     hashlib.sha256(b"").hexdigest(), hashlib.sha256(data).hexdigest()])
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


def unique_bucket(prefix="t"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:16])


class ServerTestCase(unittest.TestCase):
    """One server for the whole class; tearDownClass checks a clean exit."""
    tls = False
    extra_args = ()

    @classmethod
    def setUpClass(cls):
        cls.server = Server(tls=cls.tls, extra_args=cls.extra_args).start()
        cls.s3 = cls.server.client()

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        log = cls.server.log_lines()
        cls.server.cleanup()
        if rc != 0:
            raise AssertionError("seglake-s3d exited with %s; log tail: %s" % (rc, log[-20:]))

    def new_bucket(self, prefix="t"):
        name = unique_bucket(prefix)
        self.s3.create_bucket(Bucket=name)
        return name

    def assertS3Error(self, code, fn, *args, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.response["Error"]["Code"], code,
                         cm.exception.response)
        return cm.exception.response


def main():
    unittest.main(verbosity=2)
