"""The seglake-s3d process: flags and their errors, generated credentials,
clean shutdown with a request in flight, many concurrent keep-alive
connections."""
import concurrent.futures
import hashlib
import os
import signal
import socket
import stat
import subprocess
import threading
import time
import unittest

import s3d_harness as h


def run(args, env=None, timeout=30):
    return subprocess.run([h.binary()] + args, capture_output=True, text=True, timeout=timeout,
                          env=env)


class Flags(unittest.TestCase):
    def test_bad_flags_exit_2(self):
        for args, needle in ((["--bogus"], "--bogus"), (["--threads", "x"], "--threads"),
                             (["--listen", "nohostport"], "--listen"),
                             (["--listen"], "--listen"),
                             (["--access-key", "a"], "--secret-key"),
                             (["--tls-cert", "c"], "--tls-key"),
                             (["extra"], "extra")):
            p = run(args)
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertIn(needle, p.stderr, args)

    def test_help_version(self):
        p = run(["--help"])
        self.assertEqual(p.returncode, 0)
        for flag in ("--listen", "--data-dir", "--region", "--access-key", "--secret-key",
                     "--domain", "--tls-cert", "--tls-key", "--cors-origin", "--threads",
                     "SEGLAKE_LISTEN"):
            self.assertIn(flag, p.stdout)
        p = run(["--version"])
        self.assertEqual(p.returncode, 0)
        self.assertTrue(p.stdout.startswith("seglake-s3d "))

    def test_env_twin_is_used_and_checked(self):
        env = dict(os.environ, SEGLAKE_THREADS="0")
        p = run(["--version"], env=env)
        self.assertEqual(p.returncode, 0)
        p = run([], env=env)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--threads", p.stderr)


class Credentials(unittest.TestCase):
    def test_generated_once(self):
        server = h.Server(credentials=False)
        try:
            server.start()
            log = "\n".join(server.log_lines())
            path = os.path.join(server.data_dir, "credentials")
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
            with open(path) as f:
                text = f.read()
            ak = text.split("access_key = ")[1].split()[0]
            sk = text.split("secret_key = ")[1].split()[0]
            self.assertIn("access key: " + ak, log)
            self.assertIn("secret key: " + sk, log)
            s3 = server.client(access_key=ak, secret_key=sk)
            s3.create_bucket(Bucket="gen-creds")
            self.assertEqual(server.stop(), 0)
            first = len(server.log_lines())
            server.start()
            # Later starts say where the secret is, never what it is.
            later = "\n".join(server.log_lines()[first:])
            self.assertNotIn(sk, later)
            self.assertIn(path, later)
            s3 = server.client(access_key=ak, secret_key=sk)
            self.assertEqual([b["Name"] for b in s3.list_buckets()["Buckets"]], ["gen-creds"])
            self.assertEqual(server.stop(), 0)
        finally:
            server.stop()
            server.cleanup()


class Lifecycle(h.ServerTestCase):
    def test_log_lines(self):
        b = self.new_bucket("log")
        self.s3.put_object(Bucket=b, Key="k", Body=b"12345")
        r = self.s3.get_object(Bucket=b, Key="k")
        rid = r["ResponseMetadata"]["RequestId"]
        r["Body"].read()
        time.sleep(0.2)
        lines = [l for l in self.server.log_lines() if rid in l]
        self.assertEqual(len(lines), 1, self.server.log_lines()[-5:])
        fields = lines[0].split(" ")
        self.assertEqual(fields[1:3], ["INFO", rid])
        self.assertTrue(fields[3].startswith("127.0.0.1:"))
        self.assertEqual(fields[4:8], ["GET", "/%s/k" % b, "200", "5"])
        self.assertTrue(fields[8].endswith("ms"))

    def test_many_keep_alive_connections(self):
        b = self.new_bucket("conn")
        self.s3.put_object(Bucket=b, Key="k", Body=b"shared")
        conns = []
        try:
            for _ in range(200):
                conns.append(self.server.connection())

            def one(conn):
                headers = {}
                h.sign_request("GET", "127.0.0.1:%d" % self.server.port, "/%s/k" % b, [],
                               headers, hashlib.sha256(b"").hexdigest())
                conn.request("GET", "/%s/k" % b, headers=headers)
                resp = conn.getresponse()
                return resp.status, resp.read()

            with concurrent.futures.ThreadPoolExecutor(50) as pool:
                results = list(pool.map(one, conns))
            self.assertEqual(set(results), {(200, b"shared")})
            # Every connection stays open and is reused for a second request.
            with concurrent.futures.ThreadPoolExecutor(50) as pool:
                results = list(pool.map(one, conns))
            self.assertEqual(set(results), {(200, b"shared")})
        finally:
            for c in conns:
                c.close()

    def test_parallel_put_get(self):
        b = self.new_bucket("par")

        def work(i):
            body = os.urandom(256 * 1024 + i)
            self.s3.put_object(Bucket=b, Key="p/%d" % i, Body=body)
            return self.s3.get_object(Bucket=b, Key="p/%d" % i)["Body"].read() == body

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            self.assertTrue(all(pool.map(work, range(64))))


class CorsAndDomain(h.ServerTestCase):
    extra_args = ("--cors-origin", "https://app.example, https://other.example",
                  "--domain", "s3.test")

    def test_preflight(self):
        headers = {"Origin": "https://app.example", "Access-Control-Request-Method": "PUT",
                   "Access-Control-Request-Headers": "content-type,x-amz-date"}
        status, rh, _ = self.server.request("OPTIONS", "/any-bucket/k", headers=headers,
                                            sign=False)
        self.assertEqual(status, 200)
        self.assertEqual(rh["access-control-allow-origin"], "https://app.example")
        self.assertIn("PUT", rh["access-control-allow-methods"])
        self.assertEqual(rh["access-control-allow-headers"], "content-type,x-amz-date")
        headers["Origin"] = "https://evil.example"
        status, rh, body = self.server.request("OPTIONS", "/any-bucket/k", headers=headers,
                                               sign=False)
        self.assertEqual(status, 403, body)
        self.assertNotIn("access-control-allow-origin", rh)

    def test_actual_request_headers(self):
        b = self.new_bucket("cors")
        status, rh, _ = self.server.request("GET", "/%s" % b,
                                            headers={"Origin": "https://other.example"})
        self.assertEqual(status, 200)
        self.assertEqual(rh["access-control-allow-origin"], "https://other.example")
        self.assertIn("ETag", rh["access-control-expose-headers"])
        status, rh, _ = self.server.request("GET", "/%s" % b,
                                            headers={"Origin": "https://evil.example"})
        self.assertEqual(status, 200)
        self.assertNotIn("access-control-allow-origin", rh)

    def test_virtual_hosted_style(self):
        b = self.new_bucket("vhost")
        self.s3.put_object(Bucket=b, Key="dir/k", Body=b"virtual")
        headers = {}
        host = "%s.s3.test:%d" % (b, self.server.port)
        h.sign_request("GET", host, "/dir/k", [], headers, hashlib.sha256(b"").hexdigest())
        status, _, body = self.server.request("GET", "/dir/k", headers=headers, sign=False)
        self.assertEqual((status, body), (200, b"virtual"))
        # Any other host stays path-style.
        headers = {}
        h.sign_request("GET", "%s.elsewhere:%d" % (b, self.server.port), "/dir/k", [], headers,
                       hashlib.sha256(b"").hexdigest())
        status, _, body = self.server.request("GET", "/dir/k", headers=headers, sign=False)
        self.assertEqual(status, 404, body)
        self.assertIn(b"<Code>NoSuchBucket</Code>", body)

    def test_expect_100_continue(self):
        b = self.new_bucket("expect")
        path = "/%s/k" % b
        body = b"e" * 200000
        headers = {"Expect": "100-continue", "Content-Length": str(len(body))}
        h.sign_request("PUT", "127.0.0.1:%d" % self.server.port, path, [], headers,
                       hashlib.sha256(body).hexdigest())
        sock = socket.create_connection(("127.0.0.1", self.server.port))
        sock.sendall(("PUT %s HTTP/1.1\r\n" % path + "".join(
            "%s: %s\r\n" % kv for kv in headers.items()) + "\r\n").encode())
        interim = sock.recv(100)
        self.assertTrue(interim.startswith(b"HTTP/1.1 100 Continue"), interim)
        sock.sendall(body)
        final = sock.recv(4096)
        sock.close()
        self.assertTrue(final.startswith(b"HTTP/1.1 200"), final)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), body)


class Shutdown(unittest.TestCase):
    def test_in_flight_download_finishes(self):
        server = h.Server().start()
        try:
            s3 = server.client()
            s3.create_bucket(Bucket="shutdown")
            body = os.urandom(24 << 20)
            s3.put_object(Bucket="shutdown", Key="big", Body=body)
            s3.close()
            headers = {}
            h.sign_request("GET", "127.0.0.1:%d" % server.port, "/shutdown/big", [], headers,
                           hashlib.sha256(b"").hexdigest())
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(("GET /shutdown/big HTTP/1.1\r\n" + "".join(
                "%s: %s\r\n" % kv for kv in headers.items()) + "Connection: close\r\n\r\n")
                .encode())
            got = sock.recv(65536)
            server.proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            self.assertIsNone(server.proc.poll(), "exited before the download finished")
            while True:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    break
                got += chunk
            sock.close()
            head, _, data = got.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), head[:100])
            self.assertEqual(hashlib.sha256(data).hexdigest(), hashlib.sha256(body).hexdigest())
            rc = server.wait_exit(60)
            self.assertEqual(rc, 0, server.log_lines()[-5:])
            self.assertTrue(server.log_lines()[-1].endswith(" INFO stopped"), server.log_lines())
        finally:
            server.stop()
            server.cleanup()


class TwoDaemons(unittest.TestCase):
    """Two seglake-s3d processes on one data dir (DESIGN.md invariant 6):
    each sees the other's committed writes at once, uploads cross between
    them, and both shut down cleanly."""

    def test_two_daemons_share_one_data_dir(self):
        a = h.Server().start()
        b = h.Server(data_dir=a.data_dir).start()
        try:
            ca, cb = a.client(), b.client()
            bucket = h.unique_bucket("two")
            ca.create_bucket(Bucket=bucket)
            cb.head_bucket(Bucket=bucket)
            body_a = os.urandom(3 * 1024 * 1024 + 5)
            body_b = os.urandom(200_000)
            ca.put_object(Bucket=bucket, Key="from-a", Body=body_a)
            cb.put_object(Bucket=bucket, Key="from-b", Body=body_b)
            self.assertEqual(cb.get_object(Bucket=bucket, Key="from-a")["Body"].read(), body_a)
            self.assertEqual(ca.get_object(Bucket=bucket, Key="from-b")["Body"].read(), body_b)
            # Both write the same key at once; the last commit wins, intact.
            bodies = [os.urandom(1_000_000), os.urandom(1_000_000)]
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda cb_: cb_[0].put_object(Bucket=bucket, Key="both",
                                                            Body=cb_[1]),
                              [(ca, bodies[0]), (cb, bodies[1])]))
            got_a = ca.get_object(Bucket=bucket, Key="both")["Body"].read()
            got_b = cb.get_object(Bucket=bucket, Key="both")["Body"].read()
            self.assertEqual(got_a, got_b)
            self.assertIn(got_a, bodies)
            # A multipart upload created on one daemon, parts on both,
            # completed on the other.
            up = ca.create_multipart_upload(Bucket=bucket, Key="mpu")["UploadId"]
            p1 = os.urandom(5 * 1024 * 1024)
            p2 = os.urandom(1234)
            e1 = ca.upload_part(Bucket=bucket, Key="mpu", UploadId=up, PartNumber=1, Body=p1)["ETag"]
            e2 = cb.upload_part(Bucket=bucket, Key="mpu", UploadId=up, PartNumber=2, Body=p2)["ETag"]
            cb.complete_multipart_upload(
                Bucket=bucket, Key="mpu", UploadId=up,
                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                           {"PartNumber": 2, "ETag": e2}]})
            self.assertEqual(ca.get_object(Bucket=bucket, Key="mpu")["Body"].read(), p1 + p2)
            keys = [o["Key"] for o in cb.list_objects_v2(Bucket=bucket)["Contents"]]
            self.assertEqual(keys, ["both", "from-a", "from-b", "mpu"])
            self.assertEqual(a.stop(), 0)
            # With one daemon gone, the other still serves what it wrote.
            self.assertEqual(cb.get_object(Bucket=bucket, Key="from-a")["Body"].read(), body_a)
            self.assertEqual(b.stop(), 0)
        finally:
            a.stop()
            b.stop()
            a.cleanup()


if __name__ == "__main__":
    h.main()
