"""seglake-s3d as an operator runs it: the health endpoints (also under
maintenance mode), leveled log lines as text or JSON with the cause of a 5xx
once, SIGHUP, private file modes whatever the umask, secrets kept out of ps
and of later logs, and Prometheus metrics scraped during a load."""
import http.client
import json
import os
import re
import signal
import stat
import subprocess
import threading
import time
import unittest

import s3d_harness as h


def cli_binary():
    path = os.path.join(os.environ.get("SEGLAKE_BIN_DIR", ""), "engine", "tools", "seglake")
    return path if os.path.exists(path) else None


def anonymous(server, method, target, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request(method, target, headers=headers or {})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


def wait_for(server, pred, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        lines = [l for l in server.log_lines() if pred(l)]
        if lines:
            return lines
        time.sleep(0.05)
    return []


def maintenance(server, on):
    p = subprocess.run([cli_binary(), "--data-dir", server.data_dir, "maintenance",
                        "on" if on else "off"], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError(p.stderr)


class Health(h.ServerTestCase):
    def test_live_and_ready(self):
        for path in ("/health/live", "/health/ready"):
            status, headers, body = anonymous(self.server, "GET", path)
            self.assertEqual((status, body), (200, b"ok\n"), path)
            self.assertEqual(headers["cache-control"], "no-store")
            status, headers, body = anonymous(self.server, "HEAD", path)
            self.assertEqual((status, body), (200, b""), path)

    def test_nothing_else_is_a_health_check(self):
        # Anything but an anonymous GET/HEAD of exactly those paths is an
        # ordinary S3 request: anonymous ones are refused.
        for method, target in (("POST", "/health/live"), ("PUT", "/health/ready"),
                               ("GET", "/health/live?x=1"), ("GET", "/health/live/"),
                               ("GET", "/health"), ("GET", "/health/"),
                               ("GET", "/health/other"), ("DELETE", "/health/ready")):
            status, _, _ = anonymous(self.server, method, target)
            self.assertEqual(status, 403, (method, target))
        # A signed request for bucket "health" reaches S3, not the check.
        status, _, body = self.server.request("GET", "/health/live")
        self.assertEqual(status, 404, body)
        self.assertIn(b"NoSuchBucket", body)
        self.s3.create_bucket(Bucket="health")
        self.s3.put_object(Bucket="health", Key="live", Body=b"an object")
        self.assertEqual(self.s3.get_object(Bucket="health", Key="live")["Body"].read(),
                         b"an object")
        status, _, body = anonymous(self.server, "GET", "/health/live")
        self.assertEqual((status, body), (200, b"ok\n"))
        self.s3.delete_object(Bucket="health", Key="live")
        self.s3.delete_bucket(Bucket="health")

    def test_ready_follows_maintenance_mode(self):
        if cli_binary() is None:
            self.skipTest("seglake not built")
        b = self.new_bucket("ready")
        maintenance(self.server, True)
        try:
            status, headers, body = anonymous(self.server, "GET", "/health/ready")
            self.assertEqual(status, 503, body)
            self.assertIn(b"maintenance", body)
            self.assertIn("retry-after", headers)
            self.assertEqual(anonymous(self.server, "HEAD", "/health/ready")[0], 503)
            self.assertEqual(anonymous(self.server, "GET", "/health/live")[0], 200)
            # A write refused by maintenance mode is a 503 whose cause is
            # logged once, with its request id.
            status, headers, body = self.server.request("PUT", "/%s/k" % b, body=b"x")
            self.assertEqual(status, 503, body)
            rid = headers["x-amz-request-id"]
            lines = wait_for(self.server, lambda l: rid in l and "failed" in l)
            time.sleep(0.2)
            causes = [l for l in self.server.log_lines() if rid in l and "failed" in l]
            self.assertEqual(len(causes), 1, causes)
            self.assertIn(" WARN ", causes[0])
            self.assertIn("PutObject", causes[0])
            self.assertIn("Maintenance", causes[0])
        finally:
            maintenance(self.server, False)
        self.assertEqual(anonymous(self.server, "GET", "/health/ready")[0], 200)
        self.s3.put_object(Bucket=b, Key="k", Body=b"x")


class InternalError(h.ServerTestCase):
    def test_cause_of_a_500_is_logged_once(self):
        b = self.new_bucket("cause")
        body = os.urandom(200000)
        self.s3.put_object(Bucket=b, Key="k", Body=body)
        # Damage the object's bytes in its segment: the CRC check of the
        # read fails (Corruption), which the client sees as a bare 500.
        seg_dir = os.path.join(self.server.data_dir, "segments")
        damaged = False
        for name in os.listdir(seg_dir):
            path = os.path.join(seg_dir, name)
            with open(path, "r+b") as f:
                data = f.read()
                at = data.find(body[50000:50064])
                if at >= 0:
                    f.seek(at)
                    f.write(bytes(x ^ 0xFF for x in body[50000:50064]))
                    damaged = True
        self.assertTrue(damaged)
        status, headers, resp = self.server.request("GET", "/%s/k" % b)
        self.assertEqual(status, 500, resp)
        self.assertNotIn(b"segments", resp)  # the cause stays out of the body
        # The transport's 500 keeps the request's id, which the cause names.
        self.assertRegex(headers.get("x-amz-request-id", ""), r"^[0-9A-F]{16}$")
        time.sleep(0.3)
        causes = [l for l in self.server.log_lines() if "failed" in l and "/%s/k" % b not in l]
        self.assertEqual(len(causes), 1, self.server.log_lines()[-5:])
        fields = causes[0].split(" ")
        self.assertEqual(fields[1:3], ["ERROR", "request"])
        self.assertEqual(fields[3], headers["x-amz-request-id"])
        self.assertIn("GetObject failed: read of %s/k at " % b, causes[0])
        self.assertIn("Corruption", causes[0])


class TextLog(h.ServerTestCase):
    def test_every_line_has_a_level(self):
        b = self.new_bucket("lvl")
        self.s3.put_object(Bucket=b, Key="k", Body=b"1")
        self.assertEqual(self.server.request("GET", "/%s/missing" % b)[0], 404)
        time.sleep(0.2)
        for line in self.server.log_lines():
            fields = line.split(" ")
            self.assertRegex(fields[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", line)
            self.assertIn(fields[1], ("INFO", "WARN", "ERROR"), line)

    def test_sighup_does_not_stop_the_daemon(self):
        b = self.new_bucket("hup")
        self.server.proc.send_signal(signal.SIGHUP)
        lines = wait_for(self.server, lambda l: "SIGHUP" in l)
        self.assertEqual(len(lines), 1, self.server.log_lines()[-5:])
        self.assertIn(" INFO ", lines[0])
        self.assertIn("TLS", lines[0])
        self.server.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while time.time() < deadline and len(
                [l for l in self.server.log_lines() if "SIGHUP" in l]) < 2:
            time.sleep(0.05)
        self.assertEqual(len([l for l in self.server.log_lines() if "SIGHUP" in l]), 2)
        self.assertIsNone(self.server.proc.poll())
        self.s3.put_object(Bucket=b, Key="k", Body=b"after hup")
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), b"after hup")

    def test_secret_on_the_command_line_is_warned_about(self):
        # The harness passes --secret-key on the command line.
        warned = [l for l in self.server.log_lines() if "--secret-key" in l]
        self.assertEqual(len(warned), 1, self.server.log_lines()[:5])
        self.assertIn(" WARN ", warned[0])
        self.assertNotIn(h.SECRET_KEY, "\n".join(self.server.log_lines()))


class JsonLog(h.ServerTestCase):
    extra_args = ("--log-format", "json")

    def test_every_line_is_json(self):
        b = self.new_bucket("json")
        self.s3.put_object(Bucket=b, Key="k", Body=b"12345")
        r = self.s3.get_object(Bucket=b, Key="k")
        rid = r["ResponseMetadata"]["RequestId"]
        r["Body"].read()
        # Bytes past ASCII, quotes and backslashes in the target stay JSON.
        got = h.raw_exchange(self.server.port, ("GET /%s/\"q\\" % b).encode() +
                             b"\xc3\xa9\xff HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             b"Connection: close\r\n\r\n", wait=30)
        self.assertTrue(got.startswith(b"HTTP/1.1 403"), got[:100])
        time.sleep(0.3)
        records = []
        for line in self.server.log_lines():
            rec = json.loads(line)
            self.assertIn(rec["level"], ("INFO", "WARN", "ERROR"), line)
            self.assertIn("time", rec)
            records.append(rec)
        got = [r for r in records if r.get("request_id") == rid]
        self.assertEqual(len(got), 1, got)
        self.assertEqual((got[0]["method"], got[0]["target"], got[0]["status"], got[0]["bytes"]),
                         ("GET", "/%s/k" % b, 200, 5))
        self.assertIsInstance(got[0]["duration_ms"], float)
        self.assertTrue(any(r.get("target", "").startswith("/%s/\"q\\" % b) for r in records))
        self.assertTrue(any("listening on" in r.get("msg", "") for r in records))


def parse_metrics(text):
    """{(name, frozenset(labels)): value}, with prometheus_client's parser
    when it is installed, else a strict parser of the text format 0.0.4."""
    out = {}
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        text_string_to_metric_families = None
    if text_string_to_metric_families is not None:
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                out[(s.name, frozenset(s.labels.items()))] = s.value
        return out
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
    label = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"(?:,|$)')
    types = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram"), line
            assert name not in types, "TYPE repeated: " + line
            types[name] = kind
            continue
        if line.startswith("# HELP ") or not line:
            continue
        m = sample.match(line)
        assert m, "not a sample: %r" % line
        labels = {}
        if m.group(2):
            rest = m.group(2)
            while rest:
                lm = label.match(rest)
                assert lm, "bad labels: %r" % line
                labels[lm.group(1)] = lm.group(2)
                rest = rest[lm.end():]
        base = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
        assert m.group(1) in types or base in types, "no TYPE for " + line
        out[(m.group(1), frozenset(labels.items()))] = float(m.group(3))
    return out


class Metrics(h.ServerTestCase):
    extra_args = ("--metrics-listen", "127.0.0.1:0")

    def scrape(self):
        port = None
        for line in self.server.log_lines():
            m = re.search(r"metrics at http://127.0.0.1:(\d+)/metrics", line)
            if m:
                port = int(m.group(1))
        self.assertIsNotNone(port, self.server.log_lines()[:5])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/metrics")
        resp = conn.getresponse()
        body = resp.read().decode()
        self.assertEqual(resp.status, 200, body)
        self.assertTrue(resp.getheader("Content-Type").startswith("text/plain; version=0.0.4"))
        conn.request("GET", "/other")
        resp = conn.getresponse()
        resp.read()
        self.assertEqual(resp.status, 404)
        conn.close()
        return parse_metrics(body)

    def test_scraped_during_a_load(self):
        b = self.new_bucket("metrics")
        before = self.scrape()
        stop = threading.Event()
        sizes = []

        def load():
            n = 0
            while not stop.is_set():
                body = b"m" * (1000 + n)
                self.s3.put_object(Bucket=b, Key="k%d" % n, Body=body)
                self.s3.get_object(Bucket=b, Key="k%d" % n)["Body"].read()
                sizes.append(len(body))
                n += 1

        t = threading.Thread(target=load)
        t.start()
        scrapes = []
        try:
            for _ in range(5):
                time.sleep(0.2)
                scrapes.append(self.scrape())
        finally:
            stop.set()
            t.join()
        self.assertEqual(anonymous(self.server, "GET", "/health/live")[0], 200)
        time.sleep(0.2)
        scrapes.append(self.scrape())
        # Counters never go back.
        for earlier, later in zip([before] + scrapes, scrapes):
            for key, value in earlier.items():
                if key[0].endswith(("_total", "_bucket", "_count", "_sum")):
                    self.assertGreaterEqual(later.get(key, 0), value, key)
        last = scrapes[-1]
        puts = last[("seglake_s3_requests_total",
                     frozenset({"operation": "PutObject", "status": "200"}.items()))]
        gets = last[("seglake_s3_requests_total",
                     frozenset({"operation": "GetObject", "status": "200"}.items()))]
        self.assertGreaterEqual(puts, len(sizes))
        self.assertGreaterEqual(gets, len(sizes))
        self.assertGreater(len(sizes), 0)
        put = frozenset({"operation": "PutObject"}.items())
        self.assertGreaterEqual(last[("seglake_s3_request_body_bytes_total", put)], sum(sizes))
        get = frozenset({"operation": "GetObject"}.items())
        self.assertGreaterEqual(last[("seglake_s3_response_body_bytes_total", get)], sum(sizes))
        self.assertEqual(last[("seglake_s3_request_duration_seconds_count", put)], puts)
        inf = frozenset({"operation": "PutObject", "le": "+Inf"}.items())
        self.assertEqual(last[("seglake_s3_request_duration_seconds_bucket", inf)], puts)
        self.assertEqual(last[("seglake_s3_requests_total",
                               frozenset({"operation": "HealthCheck", "status": "200"}.items()))],
                         1)
        self.assertEqual(last[("seglake_engine_writable", frozenset())], 1)
        self.assertEqual(last[("seglake_engine_maintenance", frozenset())], 0)


class Files(unittest.TestCase):
    def check_private(self, data_dir):
        self.assertEqual(stat.S_IMODE(os.stat(data_dir).st_mode), 0o700)
        seen = 0
        for root, dirs, files in os.walk(data_dir):
            for d in dirs:
                p = os.path.join(root, d)
                self.assertEqual(stat.S_IMODE(os.stat(p).st_mode), 0o700, p)
            for f in files:
                p = os.path.join(root, f)
                self.assertEqual(stat.S_IMODE(os.stat(p).st_mode), 0o600, p)
                seen += 1
        return seen

    def run_with_umask(self, mask):
        old = os.umask(mask)
        try:
            server = h.Server(credentials=False).start()
        finally:
            os.umask(old)
        try:
            with open(os.path.join(server.data_dir, "credentials")) as f:
                text = f.read()
            ak = text.split("access_key = ")[1].split()[0]
            sk = text.split("secret_key = ")[1].split()[0]
            s3 = server.client(access_key=ak, secret_key=sk)
            s3.create_bucket(Bucket="modes")
            s3.put_object(Bucket="modes", Key="k", Body=b"x" * 100000)
            names = set()
            for _, _, files in os.walk(server.data_dir):
                names.update(files)
            self.assertIn("meta.db", names)
            self.assertIn("meta.db-wal", names)
            self.assertIn("meta.db-shm", names)
            self.assertIn("credentials", names)
            self.assertTrue(any(n.endswith(".lock") for n in names), names)
            self.check_private(server.data_dir)
            self.assertEqual(server.stop(), 0)
            self.assertGreaterEqual(self.check_private(server.data_dir), 3)
            # No warning: the dir is private.
            self.assertFalse([l for l in server.log_lines() if "accessible" in l])
        finally:
            server.stop()
            server.cleanup()

    def test_private_with_umask_0022(self):
        self.run_with_umask(0o022)

    def test_private_with_umask_0000(self):
        self.run_with_umask(0o000)

    def test_shared_data_dir_is_warned_about(self):
        server = h.Server()
        os.makedirs(server.data_dir)
        os.chmod(server.data_dir, 0o755)
        try:
            server.start()
            lines = [l for l in server.log_lines() if "accessible to other users" in l]
            self.assertEqual(len(lines), 1, server.log_lines())
            self.assertIn(" WARN ", lines[0])
            self.assertIn("0755", lines[0])
            self.assertEqual(server.stop(), 0)
        finally:
            server.stop()
            server.cleanup()


class Secrets(unittest.TestCase):
    def test_secret_key_file(self):
        server = h.Server(credentials=False)
        path = os.path.join(server.tmp, "secret")
        with open(path, "w") as f:
            f.write(h.SECRET_KEY + "\n")
        os.chmod(path, 0o600)
        server.extra_args = ["--access-key", h.ACCESS_KEY, "--secret-key-file", path]
        try:
            server.start()
            s3 = server.client()
            s3.create_bucket(Bucket="from-file")
            self.assertEqual([b["Name"] for b in s3.list_buckets()["Buckets"]], ["from-file"])
            self.assertEqual(server.stop(), 0)
            log = "\n".join(server.log_lines())
            self.assertNotIn(h.SECRET_KEY, log)
            self.assertNotIn("--secret-key on the command line", log)
            self.assertNotIn("WARN", log)
        finally:
            server.stop()
            server.cleanup()

    def test_secret_key_file_errors(self):
        p = subprocess.run([h.binary(), "--access-key", "a", "--secret-key", "b",
                            "--secret-key-file", "/nonexistent"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--secret-key-file", p.stderr)
        server = h.Server(credentials=False, extra_args=[
            "--access-key", "a", "--secret-key-file", "/nonexistent/secret"])
        try:
            with self.assertRaises(RuntimeError) as cm:
                server.start()
            self.assertIn("/nonexistent/secret", str(cm.exception))
        finally:
            server.cleanup()

    def test_generated_secret_is_printed_once(self):
        server = h.Server(credentials=False)
        try:
            server.start()
            with open(os.path.join(server.data_dir, "credentials")) as f:
                text = f.read()
            sk = text.split("secret_key = ")[1].split()[0]
            self.assertIn(sk, "\n".join(server.log_lines()))
            self.assertEqual(server.stop(), 0)
            server.log = []
            server.start()
            self.assertEqual(server.stop(), 0)
            log = "\n".join(server.log_lines())
            self.assertNotIn(sk, log)
            self.assertIn(os.path.join(server.data_dir, "credentials"), log)
        finally:
            server.stop()
            server.cleanup()


if __name__ == "__main__":
    h.main()
