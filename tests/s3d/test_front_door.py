"""seglake-s3d's front door, tried as an attacker would: slow and flooding
clients, every framing variant of RFC 9112 that could desynchronize a
keep-alive connection, smuggling after errors, response splitting, log
injection, Expect: 100-continue before authentication, TLS settings. Each
test asserts the answer, that normal requests keep working meanwhile, and
that nothing was created, changed or deleted by bytes the server should not
have parsed as a request.
"""
import os
import re
import select
import socket
import ssl
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "s3"))
import s3d_harness as h  # noqa: E402


raw_exchange = h.raw_exchange
read_all = h.read_all


def statuses(data):
    """The status codes of the HTTP responses in data, in order."""
    return [int(m) for m in re.findall(rb"HTTP/1\.1 (\d{3}) ", data)]


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class FrontDoor(h.ServerTestCase):
    extra_args = ("--header-timeout", "3", "--min-transfer-rate", "1024")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket("fd")
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.s3.put_object(Bucket=cls.bucket, Key="victim", Body=b"precious")
        cls.host = "127.0.0.1:%d" % cls.server.port

    def victim_intact(self):
        body = self.s3.get_object(Bucket=self.bucket, Key="victim")["Body"].read()
        self.assertEqual(body, b"precious")

    def normal_get(self):
        t = time.monotonic()
        body = self.s3.get_object(Bucket=self.bucket, Key="victim")["Body"].read()
        self.assertEqual(body, b"precious")
        return time.monotonic() - t

    def presigned_delete_request(self, key="victim"):
        url = self.s3.generate_presigned_url("delete_object",
                                             Params={"Bucket": self.bucket, "Key": key})
        target = url.split(self.host, 1)[1]
        return ("DELETE %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, self.host)).encode()

    # ---- framing ------------------------------------------------------

    def test_bad_content_lengths_are_refused_and_close(self):
        smuggled = self.presigned_delete_request()
        cases = [
            (b"Content-Length: +5\r\n", 400),
            (b"Content-Length: 0x10\r\n", 400),
            (b"Content-Length: -1\r\n", 400),
            (b"Content-Length: 100000000000000000000000\r\n", 400),
            (b"Content-Length: 5\r\nContent-Length: 6\r\n", 400),
            (b"Content-Length: 5\r\nContent-Length: 5\r\n", 400),
            (b"Content-Length: 5, 5\r\n", 400),
            (b"Content-Length: 1e3\r\n", 400),
            (b"Transfer-Encoding: gzip, chunked\r\n", 501),
            (b"Transfer-Encoding: identity\r\n", 501),
            (b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", 400),
            (b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 400),
        ]
        for extra, want in cases:
            with self.subTest(header=extra):
                head = (b"PUT /%s/smuggle HTTP/1.1\r\nHost: %s\r\n" %
                        (self.bucket.encode(), self.host.encode())) + extra + b"\r\n"
                got = raw_exchange(self.server.port, head, chunks=[smuggled])
                self.assertEqual(statuses(got), [want], got)
                self.assertTrue(got.endswith(b"<eof>") or got.endswith(b"<reset>"), got)
                self.victim_intact()
        self.assertS3Error("NoSuchKey", self.s3.head_object if False else self.s3.get_object,
                           Bucket=self.bucket, Key="smuggle")

    def test_http10_chunked_and_bad_versions(self):
        for head, want in [
            (b"PUT /b/k HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", None),  # 400 or 505
            (b"GET / HTTP/1.1\r\n\r\n", 400),  # no Host
            (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            (b"GET http://evil/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", 417),
            # obs-fold: refused, or unfolded into the previous value (RFC
            # 9112 5.2 allows either); never a header of its own.
            (b"GET / HTTP/1.1\r\nHost: a\r\n Folded: x\r\n\r\n", (400, 403)),
            (b"GET / HTTP/1.1\r\nHo st: a\r\n\r\n", 400),
            (b"GET / HTTP/1.1\nHost: a\n\n", 400),
        ]:
            with self.subTest(head=head):
                got = raw_exchange(self.server.port, head)
                st = statuses(got)
                self.assertEqual(len(st), 1, got)
                if want is None:
                    self.assertIn(st[0], (400, 505))
                elif isinstance(want, tuple):
                    self.assertIn(st[0], want)
                    continue
                else:
                    self.assertEqual(st[0], want, got)
                self.assertTrue(got.endswith(b"<eof>") or got.endswith(b"<reset>"), got)

    def test_no_reuse_after_errors(self):
        """A keep-alive connection never parses a request out of a body the
        handler refused (403, 404, 400, 411, 500-class answers)."""
        smuggled = self.presigned_delete_request()
        # Unauthenticated PUT whose body is a presigned DELETE: 403, and the
        # body is drained (or the connection closed), never executed.
        head = ("PUT /%s/x HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n" %
                (self.bucket, self.host, len(smuggled))).encode()
        got = raw_exchange(self.server.port, head, chunks=[smuggled])
        self.assertEqual(statuses(got), [403], got)
        self.victim_intact()
        # Same with the body in the same segment and a follow-up request:
        # the follow-up is answered, the body is not.
        follow = ("GET /%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" %
                  (self.bucket, self.host)).encode()
        got = raw_exchange(self.server.port, head + smuggled + follow)
        self.assertEqual(statuses(got), [403, 403], got)
        self.victim_intact()
        # A signed PUT to a bucket that does not exist (404) with such a body.
        headers = {"Content-Length": str(len(smuggled))}
        h.sign_request("PUT", self.host, "/no-such-bucket-fd/x", [], headers,
                       "UNSIGNED-PAYLOAD")
        head = "PUT /no-such-bucket-fd/x HTTP/1.1\r\n" + "".join(
            "%s: %s\r\n" % kv for kv in headers.items()) + "\r\n"
        got = raw_exchange(self.server.port, head.encode(), chunks=[smuggled, follow])
        self.assertEqual(statuses(got)[0], 404, got)
        self.assertNotIn(204, statuses(got), got)
        self.victim_intact()
        # A chunked body that the handler refuses, with a request hidden in a
        # chunk and after the last chunk.
        chunked = (b"%x\r\n" % len(smuggled)) + smuggled + b"\r\n0\r\n\r\n"
        head = ("PUT /%s/x HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\n" %
                (self.bucket, self.host)).encode()
        got = raw_exchange(self.server.port, head + chunked + smuggled)
        self.assertNotIn(204, statuses(got), got)
        self.victim_intact()

    def test_bad_chunked_framing(self):
        for body in [b"zz\r\nabc\r\n0\r\n\r\n", b"5\r\nabc\r\n0\r\n\r\n",
                     b"-1\r\nabc\r\n0\r\n\r\n", b"ffffffffffffffffffff\r\n"]:
            with self.subTest(body=body):
                head = ("PUT /%s/c HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\n" %
                        (self.bucket, self.host)).encode()
                got = raw_exchange(self.server.port, head + body + self.presigned_delete_request())
                self.assertNotIn(204, statuses(got), got)
                self.victim_intact()

    # ---- floods and slow clients ---------------------------------------

    def test_header_flood_is_431_and_memory_stays_bounded(self):
        before = rss_kib(self.server.proc.pid)
        results = []

        def flood():
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
            try:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
                try:
                    for i in range(18000):
                        s.sendall(b"X-Flood-%d: %s\r\n" % (i, b"a" * 100))
                except OSError:
                    pass
                results.append(read_all(s, 5))
            finally:
                s.close()

        threads = [threading.Thread(target=flood) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for got in results:
            self.assertIn(statuses(got), ([431], []), got[:200])
        self.assertTrue(any(statuses(g) == [431] for g in results), results)
        grown = rss_kib(self.server.proc.pid) - before
        self.assertLess(grown, 64 * 1024, "RSS grew by %d KiB" % grown)
        self.normal_get()

    def test_slowloris_does_not_hold_the_server(self):
        """Trickling heads (one byte each 0.5 s) from many sockets: normal
        requests are served meanwhile, and each trickler is cut off at the
        head deadline (3 s here)."""
        n = 600
        socks = []
        for i in range(n):
            s = socket.socket()
            s.bind(("127.0.0.%d" % (2 + i // 200), 0))
            s.setblocking(True)
            s.connect(("127.0.0.1", self.server.port))
            s.setblocking(False)
            socks.append(s)
        start = time.monotonic()
        slow = b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 100
        latencies = []
        closed = set()
        step = 0
        while time.monotonic() - start < 6:
            for i, s in enumerate(socks):
                if i in closed:
                    continue
                try:
                    s.send(slow[step % len(slow):step % len(slow) + 1])
                except OSError:
                    closed.add(i)
            step += 1
            latencies.append(self.normal_get())
            r, _, _ = select.select([s for i, s in enumerate(socks) if i not in closed], [], [], 0.5)
            for s in r:
                try:
                    if s.recv(4096) == b"":
                        closed.add(socks.index(s))
                except OSError:
                    closed.add(socks.index(s))
        for s in socks:
            s.close()
        self.assertGreater(len(latencies), 5)
        self.assertLess(max(latencies), 2.0, latencies)
        # Every trickler was cut off by the head deadline.
        self.assertEqual(len(closed), n, "%d of %d still open" % (n - len(closed), n))

    def test_idle_connections_cost_little(self):
        before = rss_kib(self.server.proc.pid)
        socks = []
        for i in range(2000):
            s = socket.socket()
            s.bind(("127.0.0.%d" % (10 + i // 400), 0))
            s.connect(("127.0.0.1", self.server.port))
            socks.append(s)
        time.sleep(0.5)
        self.normal_get()
        grown = rss_kib(self.server.proc.pid) - before
        for s in socks:
            s.close()
        # Well under 16 KiB each, with room for allocator noise.
        self.assertLess(grown, 2000 * 16, "RSS grew by %d KiB for 2000 idle connections" % grown)

    def test_slow_body_is_cut_off(self):
        headers = {"Content-Length": str(1 << 20)}
        h.sign_request("PUT", self.host, "/%s/slow" % self.bucket, [], headers,
                       "UNSIGNED-PAYLOAD")
        head = "PUT /%s/slow HTTP/1.1\r\n" % self.bucket + "".join(
            "%s: %s\r\n" % kv for kv in headers.items()) + "\r\n"
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
        s.sendall(head.encode())
        start = time.monotonic()
        cut = False
        while time.monotonic() - start < 25:
            try:
                s.sendall(b"x" * 100)
            except OSError:
                cut = True
                break
            self.normal_get()
            r, _, _ = select.select([s], [], [], 0.5)
            if r:
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if data == b"" or statuses(data):
                    cut = True
                    break
        s.close()
        elapsed = time.monotonic() - start
        self.assertTrue(cut, "a 200 B/s body was still accepted after 25 s")
        self.assertLess(elapsed, 20)
        self.assertS3Error("NoSuchKey", self.s3.get_object, Bucket=self.bucket, Key="slow")

    def test_per_ip_cap(self):
        server = h.Server(extra_args=("--max-connections-per-ip", "5")).start()
        try:
            socks = []
            for _ in range(5):
                s = socket.socket()
                s.bind(("127.0.0.77", 0))
                s.connect(("127.0.0.1", server.port))
                socks.append(s)
            extra = socket.socket()
            extra.bind(("127.0.0.77", 0))
            extra.connect(("127.0.0.1", server.port))
            extra.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertIn(read_all(extra, 5), (b"<eof>", b"<reset>"))
            extra.close()
            # Another address is served.
            st, _, _ = server.request("GET", "/")
            self.assertEqual(st, 200)
            for s in socks:
                s.close()
        finally:
            server.stop()
            server.cleanup()

    # ---- what a handler sees and what we emit -------------------------

    def test_expect_continue_only_after_authentication(self):
        body = b"hello"
        head = ("PUT /%s/e HTTP/1.1\r\nHost: %s\r\nContent-Length: 5\r\n"
                "Expect: 100-continue\r\n\r\n" % (self.bucket, self.host)).encode()
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        s.sendall(head)
        got = read_all(s, 2)
        s.close()
        self.assertNotIn(b"100 Continue", got)
        self.assertEqual(statuses(got), [403], got)
        # Signed: 100 first, then the body is read and stored.
        headers = {"Content-Length": "5", "Expect": "100-continue"}
        h.sign_request("PUT", self.host, "/%s/e" % self.bucket, [], headers,
                       h.hashlib.sha256(body).hexdigest())
        head = "PUT /%s/e HTTP/1.1\r\n" % self.bucket + "".join(
            "%s: %s\r\n" % kv for kv in headers.items()) + "\r\n"
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        s.sendall(head.encode())
        first = s.recv(4096)
        self.assertTrue(first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), first)
        s.sendall(body)
        rest = first[len(b"HTTP/1.1 100 Continue\r\n\r\n"):] + read_all(s, 2)
        s.close()
        self.assertEqual(statuses(rest), [200], rest)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="e")["Body"].read(), body)

    def test_expect_continue_with_an_empty_body(self):
        """boto3 sends Expect: 100-continue for any file-like body, even an
        empty one, and takes a final answer in place of the 100 as the
        answer to its later requests on that connection: the 100 must come
        first even when there is no body to wait for."""
        import io
        for i in range(3):
            r = self.s3.put_object(Bucket=self.bucket, Key="empty%d" % i, Body=io.BytesIO(b""))
            self.assertIn("ETag", r)
            r = self.s3.put_object(Bucket=self.bucket, Key="full%d" % i,
                                   Body=io.BytesIO(b"y" * 100000))
            self.assertIn("ETag", r)
            self.assertEqual(r["ETag"].strip('"'), h.hashlib.md5(b"y" * 100000).hexdigest())

    def test_empty_header_values_are_signed_and_kept(self):
        headers = {"x-amz-meta-m": "", "Content-Type": ""}
        st, _, data = self.server.request("PUT", "/%s/empty-meta" % self.bucket,
                                          headers=headers, body=b"abc")
        self.assertEqual(st, 200, data)
        head = self.s3.head_object(Bucket=self.bucket, Key="empty-meta")
        self.assertEqual(head["Metadata"].get("m"), "")

    def test_any_content_type_is_stored_and_form_posts_reach_the_handler(self):
        ctype = "multipart/form-data; boundary=----abc"
        body = b"------abc\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n------abc--\r\n"
        self.s3.put_object(Bucket=self.bucket, Key="form", Body=body, ContentType=ctype)
        got = self.s3.get_object(Bucket=self.bucket, Key="form")
        self.assertEqual(got["Body"].read(), body)
        self.assertEqual(got["ContentType"], ctype)
        # A browser form POST to the bucket reaches the S3 handler: an S3
        # error document, never a transport 500.
        st, hdrs, data = self.server.request("POST", "/%s" % self.bucket, sign=False,
                                             headers={"Content-Type": ctype}, body=body)
        self.assertNotEqual(st, 500, data)
        self.assertIn(b"<Error>", data)
        self.assertIn("x-amz-request-id", hdrs)

    def test_response_splitting_is_refused(self):
        url = self.s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "victim",
                                  "ResponseContentDisposition": "x\r\nSet-Cookie: evil=1"})
        target = url.split(self.host, 1)[1]
        got = raw_exchange(self.server.port, ("GET %s HTTP/1.1\r\nHost: %s\r\n"
                                              "Connection: close\r\n\r\n" %
                                              (target, self.host)).encode())
        head = got.split(b"\r\n\r\n", 1)[0]
        self.assertNotIn(b"Set-Cookie", head)
        self.assertGreaterEqual(statuses(got)[0], 400, got)

    def test_control_bytes_in_the_target_never_reach_the_log(self):
        got = raw_exchange(self.server.port,
                           b"GET /a\x1b[31mred\x1b[0m HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(statuses(got), [400], got)
        got = raw_exchange(self.server.port, b"GET /a\rb HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(statuses(got), [400], got)
        time.sleep(0.3)
        for line in self.server.log_lines():
            self.assertNotIn("\x1b", line)
            self.assertNotIn("\r", line)

    def test_pipelined_requests_are_answered_in_order(self):
        req = ("GET /%s?list-type=2 HTTP/1.1\r\nHost: %s\r\n\r\n" % (self.bucket, self.host))
        got = raw_exchange(self.server.port, (req * 3).encode() +
                           b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(statuses(got), [403, 403, 403, 403], got)
        self.assertTrue(got.endswith(b"<eof>"), got[-100:])


class Tls(h.ServerTestCase):
    tls = True
    extra_args = ("--tls-min-version", "1.2")

    def handshake(self, **kw):
        # Trust is not the point here (the certificate changes under the
        # reload test): compare what is served.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        for k, v in kw.items():
            if k == "ciphers":
                ctx.set_ciphers(v)
            else:
                setattr(ctx, k, v)
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                return s.version(), s.cipher(), s.getpeercert(binary_form=True)

    def test_no_cipher_without_forward_secrecy(self):
        version, _, _ = self.handshake(maximum_version=ssl.TLSVersion.TLSv1_2)
        self.assertEqual(version, "TLSv1.2")
        with self.assertRaises(ssl.SSLError):
            self.handshake(maximum_version=ssl.TLSVersion.TLSv1_2, ciphers="AES128-SHA")
        with self.assertRaises((ssl.SSLError, ConnectionResetError)):
            self.handshake(maximum_version=ssl.TLSVersion.TLSv1_1)

    def test_certificate_is_reloaded_when_its_files_change(self):
        _, _, before = self.handshake()
        d = os.path.join(self.server.tmp, "new")
        os.makedirs(d)
        cert, key = h.make_cert(d)
        # Replace the served files in place (the key first, as a renewal tool
        # would; a mismatched pair in between keeps the old one).
        key_path = os.path.join(self.server.tmp, "key.pem")
        os.replace(key, key_path)
        os.chmod(key_path, 0o600)
        os.replace(cert, self.server.cert)
        deadline = time.time() + 10
        after = before
        while time.time() < deadline and after == before:
            time.sleep(0.5)
            _, _, after = self.handshake()
        self.assertNotEqual(before, after)
        self.s3.list_buckets()

    def test_tls13_minimum(self):
        server = h.Server(tls=True, extra_args=("--tls-min-version", "1.3")).start()
        try:
            ctx = ssl.create_default_context(cafile=server.cert)
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            with self.assertRaises((ssl.SSLError, ConnectionResetError)):
                with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
                    ctx.wrap_socket(raw, server_hostname="localhost")
        finally:
            server.stop()
            server.cleanup()

    def test_world_readable_key_is_refused(self):
        d = os.path.join(self.server.tmp, "loose")
        os.makedirs(d)
        cert, key = h.make_cert(d)
        os.chmod(key, 0o644)
        p = subprocess.run([h.binary(), "--listen", "127.0.0.1:0", "--data-dir",
                            os.path.join(d, "data"), "--tls-cert", cert, "--tls-key", key,
                            "--access-key", h.ACCESS_KEY, "--secret-key", h.SECRET_KEY],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("--tls-key", p.stderr)
        self.assertIn("0644", p.stderr)


if __name__ == "__main__":
    h.main()
