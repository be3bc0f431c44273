"""seglake-s3d against a hostile client, at the handler and protocol level:
response splitting through response-* overrides and stored metadata, dates
in every zone form clients write, control bytes in the request log,
DeleteObjects without a thread per request, and Range lists that once
returned the object once per range. Each case asserts the exact answer and
that normal requests keep working."""
import datetime
import email.utils
import hashlib
import hmac
import os
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import s3d_harness as h


def code_of(body):
    return ET.fromstring(body).findtext("Code")


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def raw_exchange(port, request):
    """Sends bytes on a fresh connection; returns everything until close."""
    return h.raw_exchange(port, request, wait=10)


class ResponseSplitting(h.ServerTestCase):
    OVERRIDES = ("response-cache-control", "response-content-disposition", "response-expires",
                 "response-content-language", "response-content-encoding",
                 "response-content-type")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket("split")
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.s3.put_object(Bucket=cls.bucket, Key="k", Body=b"payload")

    def get(self, query, method="GET"):
        return self.server.request(method, "/%s/k" % self.bucket, query=query)

    def test_overrides_with_control_characters_are_refused(self):
        for param in self.OVERRIDES:
            for bad in ("x\r\nSet-Cookie: session=evil", "x\nLocation: http://evil/",
                        "x\rX: y", "x\x00y", "x\x1b[31m", "x\x7f", "\r\n\r\n<html>evil</html>"):
                with self.subTest(param=param, value=bad):
                    status, headers, body = self.get([(param, bad)])
                    self.assertEqual(status, 400, body)
                    self.assertEqual(code_of(body), "InvalidArgument")
                    self.assertNotIn("set-cookie", headers)
                    self.assertNotIn("location", headers)
                    self.assertNotIn(b"payload", body)
        # HEAD is refused the same way (no body to show the code).
        status, headers, _ = self.get([("response-cache-control", "a\r\nb: c")], "HEAD")
        self.assertEqual(status, 400)
        self.assertNotIn("b", headers)

    def test_presigned_get_cannot_set_a_cookie(self):
        s3v4 = self.server.client(signature_version="s3v4")
        url = s3v4.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "k",
                                  "ResponseContentDisposition":
                                      "inline\r\nSet-Cookie: session=evil\r\n\r\n<script>"},
            ExpiresIn=300)
        status, headers, body = fetch(url)
        self.assertEqual(status, 400, body)
        self.assertEqual(code_of(body), "InvalidArgument")
        self.assertNotIn("set-cookie", headers)
        url = s3v4.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "k",
                                  "ResponseContentDisposition": "attachment; filename=k.txt"},
            ExpiresIn=300)
        status, headers, body = fetch(url)
        self.assertEqual((status, body), (200, b"payload"))
        self.assertEqual(headers["content-disposition"], "attachment; filename=k.txt")

    def test_normal_overrides_still_work(self):
        status, headers, body = self.get([
            ("response-content-disposition", 'attachment; filename="a b.txt"'),
            ("response-cache-control", "no-cache,\tmax-age=0"),  # HTAB is allowed
            ("response-content-type", "text/plain; charset=utf-8"),
            ("response-content-language", "fr"),
            ("response-expires", "Thu, 01 Dec 2094 16:00:00 GMT"),
            ("response-content-encoding", "identity")])
        self.assertEqual((status, body), (200, b"payload"))
        self.assertEqual(headers["content-disposition"], 'attachment; filename="a b.txt"')
        self.assertEqual(headers["cache-control"], "no-cache,\tmax-age=0")
        self.assertEqual(headers["content-type"], "text/plain; charset=utf-8")
        self.assertEqual(headers["content-language"], "fr")
        self.assertEqual(headers["expires"], "Thu, 01 Dec 2094 16:00:00 GMT")
        g = self.s3.get_object(Bucket=self.bucket, Key="k",
                               ResponseContentDisposition="attachment; filename=x")
        self.assertEqual(g["ContentDisposition"], "attachment; filename=x")
        self.assertEqual(g["Body"].read(), b"payload")

    def test_stored_headers_with_control_characters_are_refused(self):
        # A raw CR or LF cannot travel inside a header; NUL, ESC, DEL and
        # other control bytes can, and would come back on every GET. The HTTP
        # parser refuses most (400 BadRequest); the handler checks the rest
        # (400 InvalidArgument).
        for name in ("x-amz-meta-m", "Content-Disposition", "Content-Type", "Cache-Control",
                     "Content-Language", "Expires", "Content-Encoding"):
            for bad in ("a\x00b", "a\x1b[2Jb", "a\x7fb", "a\x01b"):
                with self.subTest(header=name, value=bad):
                    key = "meta-bad"
                    status, _, body = self.server.request(
                        "PUT", "/%s/%s" % (self.bucket, key), headers={name: bad},
                        body=b"x")
                    self.assertEqual(status, 400, body)
                    self.assertIn(code_of(body), ("InvalidArgument", "BadRequest"))
                    status, _, _ = self.server.request("HEAD", "/%s/%s" % (self.bucket, key))
                    self.assertEqual(status, 404)
        # The same through CreateMultipartUpload and CopyObject (REPLACE).
        status, _, body = self.server.request(
            "POST", "/%s/mp-bad" % self.bucket, query=[("uploads", "")],
            headers={"x-amz-meta-m": "a\x00b"})
        self.assertEqual(status, 400, body)
        self.assertIn(code_of(body), ("InvalidArgument", "BadRequest"))
        status, _, body = self.server.request(
            "PUT", "/%s/copy-bad" % self.bucket,
            headers={"x-amz-copy-source": "/%s/k" % self.bucket,
                     "x-amz-metadata-directive": "REPLACE", "Content-Disposition": "a\x1bb"})
        self.assertEqual(status, 400, body)
        self.assertIn(code_of(body), ("InvalidArgument", "BadRequest"))
        # Normal metadata, with HTAB and non-ASCII bytes, still round-trips.
        status, _, body = self.server.request(
            "PUT", "/%s/meta-ok" % self.bucket, body=b"x",
            headers={"x-amz-meta-m": "a\tb", "Content-Disposition": "inline"})
        self.assertEqual(status, 200, body)
        status, headers, _ = self.server.request("HEAD", "/%s/meta-ok" % self.bucket)
        self.assertEqual(status, 200)
        self.assertEqual(headers["x-amz-meta-m"], "a\tb")
        self.assertEqual(headers["content-disposition"], "inline")
        self.s3.put_object(Bucket=self.bucket, Key="boto", Body=b"y", Metadata={"k": "v w"})
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="boto")["Metadata"],
                         {"k": "v w"})


def sign_with_date(port, method, path, date_header, amz_date_header=None, when=None):
    """SigV4 headers for a request dated by `Date` (and optionally an
    x-amz-date in HTTP form). The string to sign uses the basic form of the
    instant, as the server reconstructs it."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    basic = when.strftime("%Y%m%dT%H%M%SZ")
    day = basic[:8]
    payload = hashlib.sha256(b"").hexdigest()
    headers = {"Host": "127.0.0.1:%d" % port, "X-Amz-Content-Sha256": payload}
    if date_header is not None:
        headers["Date"] = date_header
    if amz_date_header is not None:
        headers["X-Amz-Date"] = amz_date_header
    names = sorted(k.lower() for k in headers)
    lower = {k.lower(): " ".join(v.split()) for k, v in headers.items()}
    creq = "\n".join([method, path, "", "".join("%s:%s\n" % (n, lower[n]) for n in names),
                      ";".join(names), payload])
    scope = "%s/%s/s3/aws4_request" % (day, h.REGION)
    sts = "\n".join(["AWS4-HMAC-SHA256", basic, scope, hashlib.sha256(creq.encode()).hexdigest()])
    sig = hmac.new(h.signing_key(h.SECRET_KEY, day), sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (
        "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" %
        (h.ACCESS_KEY, scope, ";".join(names), sig))
    return headers


class Dates(h.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket("dates")
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.s3.put_object(Bucket=cls.bucket, Key="k", Body=b"dated")

    def send(self, headers):
        conn = self.server.connection()
        conn.request("GET", "/%s/k" % self.bucket, headers=headers)
        r = conn.getresponse()
        body = r.read()
        conn.close()
        return r.status, body

    def now(self):
        return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)

    def test_date_header_zone_forms(self):
        when = self.now()
        ts = when.timestamp()
        plus1 = when + datetime.timedelta(hours=1)
        minus530 = when - datetime.timedelta(hours=5, minutes=30)
        forms = [
            email.utils.formatdate(ts),                      # "... -0000" (botocore)
            email.utils.formatdate(ts, usegmt=True),         # "... GMT"
            when.strftime("%a, %d %b %Y %H:%M:%S +0000"),    # curl, strftime %z
            when.strftime("%a, %d %b %Y %H:%M:%S UTC"),
            when.strftime("%a, %d %b %Y %H:%M:%S UT"),
            plus1.strftime("%a, %d %b %Y %H:%M:%S +0100"),
            minus530.strftime("%a, %d %b %Y %H:%M:%S -0530"),
            when.strftime("%A, %d-%b-%y %H:%M:%S GMT"),      # RFC 850
            when.strftime("%a %b ") + ("%2d" % when.day) + when.strftime(" %H:%M:%S %Y"),
        ]
        for date in forms:
            with self.subTest(date=date):
                status, body = self.send(sign_with_date(self.server.port, "GET",
                                                        "/%s/k" % self.bucket, date, when=when))
                self.assertEqual((status, body), (200, b"dated"))

    def test_x_amz_date_in_http_form(self):
        when = self.now()
        status, body = self.send(sign_with_date(
            self.server.port, "GET", "/%s/k" % self.bucket, None,
            email.utils.formatdate(when.timestamp()), when=when))
        self.assertEqual((status, body), (200, b"dated"))

    def test_bad_dates_are_refused(self):
        when = self.now()
        for date in (when.strftime("%a, %d %b %Y %H:%M:%S EST"),
                     when.strftime("%a, %d %b %Y %H:%M:%S +2500"),
                     when.strftime("%a, %d %b %Y %H:%M:%S"),
                     when.strftime("%Y-%m-%dT%H:%M:%SZ")):
            with self.subTest(date=date):
                status, body = self.send(sign_with_date(self.server.port, "GET",
                                                        "/%s/k" % self.bucket, date, when=when))
                self.assertEqual((status, code_of(body)), (403, "AccessDenied"))
        # A zone is applied: the same clock reading one hour off is skewed.
        status, body = self.send(sign_with_date(
            self.server.port, "GET", "/%s/k" % self.bucket,
            (when + datetime.timedelta(hours=1)).strftime("%a, %d %b %Y %H:%M:%S -0100"),
            when=when))
        self.assertEqual((status, code_of(body)), (403, "RequestTimeTooSkewed"))
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="k")["Body"].read(),
                         b"dated")


class LogInjection(h.ServerTestCase):
    def wait_for_log(self, needle, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            lines = [l for l in self.server.log_lines() if needle in l]
            if lines:
                return lines
            time.sleep(0.05)
        return []

    def test_control_bytes_in_the_target_are_escaped(self):
        b = self.new_bucket("log")
        self.s3.put_object(Bucket=b, Key="k", Body=b"x")
        marker = "mark%d" % os.getpid()
        # Control bytes cannot be part of a request target: refused by the
        # HTTP parser (400) before any handler, and never logged raw.
        target = ("/%s/%s\x1b[2J\x1b]0;owned\x07\x7f?x=\x1b[31m" % (b, marker)).encode()
        got = raw_exchange(self.server.port, b"GET " + target + b" HTTP/1.1\r\nHost: "
                           b"127.0.0.1\r\nConnection: close\r\n\r\n")
        self.assertTrue(got.startswith(b"HTTP/1.1 400"), got[:200])
        # Bytes past ASCII do reach the handler (anonymous: 403) and are
        # logged escaped.
        target = ("/%s/%s" % (b, marker)).encode() + b"\xc3\xa9\xff?x=\x80"
        got = raw_exchange(self.server.port, b"GET " + target + b" HTTP/1.1\r\nHost: "
                           b"127.0.0.1\r\nConnection: close\r\n\r\n")
        self.assertTrue(got.startswith(b"HTTP/1.1 403"), got[:200])
        lines = self.wait_for_log(marker)
        self.assertEqual(len(lines), 1, self.server.log_lines()[-5:])
        self.assertIn("/%s/%s\\xc3\\xa9\\xff?x=\\x80 403 " % (b, marker), lines[0])
        for line in self.server.log_lines():
            self.assertTrue(all(0x20 <= ord(ch) < 0x7f for ch in line), repr(line))
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), b"x")

    def test_forged_log_line_stays_in_its_field(self):
        marker = "forge%d" % os.getpid()
        # A space or CR cannot end the target on the wire; a percent-encoded
        # one is logged as sent, and decoding never reaches the log.
        status, _, _ = self.server.request(
            "GET", "/%s%%0D%%0A2026-01-01T00:00:00.000Z%%20X" % marker, sign=False)
        self.assertEqual(status, 403)
        lines = self.wait_for_log(marker)
        self.assertEqual(len(lines), 1)
        self.assertIn("/%s%%0D%%0A2026-01-01T00:00:00.000Z%%20X 403 " % marker, lines[0])


class DeleteObjectsPool(h.ServerTestCase):
    def threads(self):
        return len(os.listdir("/proc/%d/task" % self.server.proc.pid))

    def fill(self, bucket, prefix, n):
        def put(i):
            self.s3.put_object(Bucket=bucket, Key="%s/%04d" % (prefix, i), Body=b"d")
        ts = [threading.Thread(target=lambda j=j: [put(i) for i in range(j, n, 8)])
              for j in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    def test_many_keys_without_a_thread_per_request(self):
        if not os.path.isdir("/proc/%d/task" % self.server.proc.pid):
            self.skipTest("no /proc")
        b = self.new_bucket("del")
        self.fill(b, "warm", 20)
        r = self.s3.delete_objects(Bucket=b, Delete={"Objects": [
            {"Key": "warm/%04d" % i} for i in range(20)]})
        self.assertEqual(len(r["Deleted"]), 20)
        baseline = self.threads()

        n, clients = 400, 4
        for c in range(clients):
            self.fill(b, "c%d" % c, n)
        peak = [0]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], self.threads())
        sampler = threading.Thread(target=sample)
        sampler.start()
        results = [None] * clients

        def delete(c):
            s3 = self.server.client()
            results[c] = s3.delete_objects(Bucket=b, Delete={"Objects": [
                {"Key": "c%d/%04d" % (c, i)} for i in range(n)] + [{"Key": "never-was"}]})
        ts = [threading.Thread(target=delete, args=(c,)) for c in range(clients)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        stop.set()
        sampler.join()
        for r in results:
            self.assertEqual(len(r["Deleted"]), n + 1)
            self.assertNotIn("Errors", r)
        self.assertEqual(self.s3.list_objects_v2(Bucket=b)["KeyCount"], 0)
        # Once 7 threads per request; now a fixed pool started by the first.
        self.assertLessEqual(peak[0], baseline + 2, (baseline, peak[0]))

    def test_errors_per_key_and_quiet(self):
        b = self.new_bucket("delq")
        self.s3.put_object(Bucket=b, Key="a", Body=b"a")
        r = self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}],
                                                     "Quiet": True})
        self.assertNotIn("Deleted", r)
        self.assertNotIn("Errors", r)
        self.assertEqual(self.s3.list_objects_v2(Bucket=b)["KeyCount"], 0)


class Ranges(h.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket("rng")
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.body = os.urandom(100_000)
        cls.s3.put_object(Bucket=cls.bucket, Key="k", Body=cls.body)

    def get(self, spec):
        return self.server.request("GET", "/%s/k" % self.bucket, headers={"Range": spec})

    def test_hundred_copies_of_the_object_are_one(self):
        status, headers, data = self.get("bytes=" + ",".join(["0-"] * 100))
        self.assertEqual(status, 200)
        self.assertEqual(int(headers["content-length"]), len(self.body))
        self.assertEqual(data, self.body)
        self.assertNotIn("content-range", headers)

    def test_several_ranges_serve_the_object_as_s3_does(self):
        for spec in ("bytes=0-9,20-29", "bytes=0-9, -5", "bytes=0-0,0-0,0-0",
                     "bytes=" + ",".join("%d-%d" % (i, i) for i in range(1000)),
                     "bytes=0-1,99999999-"):
            with self.subTest(spec=spec[:40]):
                status, headers, data = self.get(spec)
                self.assertEqual(status, 200)
                self.assertEqual(data, self.body)
                self.assertTrue(headers["content-type"].startswith("binary/octet-stream"))

    def test_single_ranges_still_work(self):
        for spec, lo, hi in (("bytes=0-9", 0, 9), ("bytes=99990-", 99990, 99999),
                             ("bytes=-5", 99995, 99999), ("bytes=0-9,", 0, 9),
                             ("bytes=,5-6", 5, 6)):
            with self.subTest(spec=spec):
                status, headers, data = self.get(spec)
                self.assertEqual(status, 206)
                self.assertEqual(data, self.body[lo:hi + 1])
                self.assertEqual(headers["content-range"], "bytes %d-%d/%d" % (lo, hi, 100000))
        status, headers, body = self.get("bytes=100000-")
        self.assertEqual((status, code_of(body)), (416, "InvalidRange"))
        g = self.s3.get_object(Bucket=self.bucket, Key="k", Range="bytes=10-19")
        self.assertEqual(g["Body"].read(), self.body[10:20])


if __name__ == "__main__":
    h.main()
