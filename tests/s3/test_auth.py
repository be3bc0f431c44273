"""seglake-s3d authentication: presigned GET and PUT (urllib), expiry and
tampering, aws-chunked bodies signed chunk by chunk
(STREAMING-AWS4-HMAC-SHA256-PAYLOAD), unsigned bodies with trailing
checksums, and clients that break off mid-upload."""
import base64
import hashlib
import hmac
import socket
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
import zlib

import s3d_harness as h


def fetch(url, method="GET", data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def code_of(body):
    return ET.fromstring(body).findtext("Code")


class Presigned(h.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket("pre")
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.s3 = cls.server.client(signature_version="s3v4")

    def test_sigv2_refused(self):
        v2 = self.server.client(signature_version="s3")
        url = v2.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": "p"})
        status, _, body = fetch(url)
        self.assertEqual((status, code_of(body)), (400, "InvalidRequest"))
        self.assertEqual(ET.fromstring(body).findtext("Resource"), "/%s/p" % self.bucket)

    def test_presigned_get_put(self):
        put_url = self.s3.generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket, "Key": "pre/ü x.txt"}, ExpiresIn=300)
        status, _, body = fetch(put_url, "PUT", b"presigned body")
        self.assertEqual(status, 200, body)
        get_url = self.s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "pre/ü x.txt",
                                  "ResponseContentDisposition": "attachment; filename=a.txt"},
            ExpiresIn=300)
        status, headers, body = fetch(get_url)
        self.assertEqual((status, body), (200, b"presigned body"))
        self.assertEqual(headers["Content-Disposition"], "attachment; filename=a.txt")
        # The log never shows the signature or the credential.
        time.sleep(0.2)
        log = "\n".join(self.server.log_lines())
        self.assertIn("X-Amz-Signature=REDACTED", log)
        self.assertIn("X-Amz-Credential=REDACTED", log)
        sig = put_url.split("X-Amz-Signature=")[1].split("&")[0]
        self.assertNotIn(sig, log)

    def test_presigned_failures(self):
        self.s3.put_object(Bucket=self.bucket, Key="p", Body=b"p")
        url = self.s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "p"}, ExpiresIn=1)
        time.sleep(2.1)
        status, _, body = fetch(url)
        self.assertEqual((status, code_of(body)), (403, "AccessDenied"))
        url = self.s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "p"}, ExpiresIn=300)
        status, _, body = fetch(url.replace("/p?", "/q?"))
        self.assertEqual((status, code_of(body)), (403, "SignatureDoesNotMatch"))
        status, _, body = fetch(url, "PUT", b"not what was signed")
        self.assertEqual((status, code_of(body)), (403, "SignatureDoesNotMatch"))
        # An anonymous request is refused, even for an existing object.
        status, _, body = fetch("%s/%s/p" % (self.server.endpoint, self.bucket))
        self.assertEqual((status, code_of(body)), (403, "AccessDenied"))


class Chunked(h.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket("chk")
        cls.s3.create_bucket(Bucket=cls.bucket)

    def signed_chunked_put(self, key, chunks, tamper=None, crc=None):
        """PUT with STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or with crc (base64
        CRC32) STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER and a signed trailer."""
        path = "/%s/%s" % (self.bucket, key)
        decoded = b"".join(chunks)
        headers = {"Content-Encoding": "aws-chunked",
                   "x-amz-decoded-content-length": str(len(decoded))}
        mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        trailer_len = 0
        if crc is not None:
            mode += "-TRAILER"
            headers["x-amz-trailer"] = "x-amz-checksum-crc32"
            trailer_len = len("x-amz-checksum-crc32:%s\r\n" % crc) + \
                len("x-amz-trailer-signature:") + 64 + 4
        # Content-Length of the encoded body must be signed: compute it first.
        encoded_len = sum(len("%x" % len(c)) + len(";chunk-signature=") + 64 + 2 + len(c) + 2
                          for c in chunks) + len("0;chunk-signature=") + 64 + 2
        encoded_len += trailer_len if crc is not None else 2
        headers["Content-Length"] = str(encoded_len)
        key_bytes, amz_date, scope, seed = h.sign_request(
            "PUT", "127.0.0.1:%d" % self.server.port, path, [], headers, mode)
        body = b""
        prev = seed
        for i, c in enumerate(chunks + [b""]):
            sig = h.chunk_signature(key_bytes, amz_date, scope, prev, c)
            data = c
            if tamper is not None and i == tamper:
                data = bytes([c[0] ^ 1]) + c[1:]
            body += b"%x;chunk-signature=%s\r\n" % (len(c), sig.encode()) + data
            if c or crc is None:
                body += b"\r\n"
            prev = sig
        if crc is not None:
            trailer = "x-amz-checksum-crc32:%s\n" % crc
            sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, prev,
                             hashlib.sha256(trailer.encode()).hexdigest()])
            tsig = hmac.new(key_bytes, sts.encode(), hashlib.sha256).hexdigest()
            body += b"x-amz-checksum-crc32:%s\r\nx-amz-trailer-signature:%s\r\n\r\n" % (
                crc.encode(), tsig.encode())
        self.assertEqual(len(body), encoded_len)
        return self.server.request("PUT", path, headers=headers, body=body, sign=False)

    def test_signed_chunks_with_trailer(self):
        chunks = [b"t" * 65536, b"rest"]
        crc = base64.b64encode(
            (zlib.crc32(b"".join(chunks)) & 0xffffffff).to_bytes(4, "big")).decode()
        status, headers, body = self.signed_chunked_put("signed-trailer", chunks, crc=crc)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("x-amz-checksum-crc32"), crc)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="signed-trailer")["Body"]
                         .read(), b"".join(chunks))
        status, _, body = self.signed_chunked_put("signed-bad-trailer", chunks, crc="AAAAAA==")
        self.assertEqual(status, 400, body)
        self.assertEqual(code_of(body), "BadDigest")

    def test_signed_chunks(self):
        chunks = [b"a" * 65536, b"b" * 65536, b"tail"]
        status, headers, body = self.signed_chunked_put("signed", chunks)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["etag"], '"%s"' % hashlib.md5(b"".join(chunks)).hexdigest())
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="signed")["Body"].read(),
                         b"".join(chunks))

    def test_tampered_chunk(self):
        status, _, body = self.signed_chunked_put("tampered", [b"x" * 70000, b"y" * 10], tamper=1)
        self.assertEqual((status, code_of(body)), (403, "SignatureDoesNotMatch"))
        self.assertS3Error("NoSuchKey", self.s3.head_object.__self__.get_object,
                           Bucket=self.bucket, Key="tampered")
        # The connection-level protocol stays sane: the server answers again.
        self.s3.head_bucket(Bucket=self.bucket)

    def unsigned_trailer_put(self, key, data, crc_b64):
        path = "/%s/%s" % (self.bucket, key)
        body = b"%x\r\n" % len(data) + data + b"\r\n0\r\n" + \
            b"x-amz-checksum-crc32:" + crc_b64.encode() + b"\r\n\r\n"
        headers = {"Content-Encoding": "aws-chunked", "x-amz-trailer": "x-amz-checksum-crc32",
                   "x-amz-decoded-content-length": str(len(data)),
                   "Content-Length": str(len(body))}
        return self.server.request("PUT", path, headers=headers, body=body,
                                   payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")

    def test_unsigned_trailer(self):
        data = b"trailer checked" * 100
        good = base64.b64encode((zlib.crc32(data) & 0xffffffff).to_bytes(4, "big")).decode()
        status, headers, body = self.unsigned_trailer_put("trailer", data, good)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("x-amz-checksum-crc32"), good)
        g = self.s3.get_object(Bucket=self.bucket, Key="trailer", ChecksumMode="ENABLED")
        self.assertEqual(g["Body"].read(), data)
        self.assertEqual(g["ChecksumCRC32"], good)
        status, _, body = self.unsigned_trailer_put("bad-trailer", data, "AAAAAA==")
        self.assertEqual(status, 400, body)
        self.assertEqual(code_of(body), "BadDigest")
        self.assertS3Error("NoSuchKey", self.s3.get_object, Bucket=self.bucket, Key="bad-trailer")

    def test_disconnect_mid_upload(self):
        path = "/%s/partial" % self.bucket
        headers = {"Content-Length": str(8 << 20)}
        h.sign_request("PUT", "127.0.0.1:%d" % self.server.port, path, [], headers,
                       "UNSIGNED-PAYLOAD")
        sock = socket.create_connection(("127.0.0.1", self.server.port))
        request = "PUT %s HTTP/1.1\r\n" % path + "".join(
            "%s: %s\r\n" % kv for kv in headers.items()) + "\r\n"
        sock.sendall(request.encode())
        sock.sendall(b"z" * (3 << 20))
        sock.close()
        time.sleep(0.5)
        self.assertS3Error("NoSuchKey", self.s3.get_object, Bucket=self.bucket, Key="partial")
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="partial")
        self.assertEqual(listed["KeyCount"], 0)
        self.s3.put_object(Bucket=self.bucket, Key="after", Body=b"still serving")
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="after")["Body"].read(),
                         b"still serving")

    def test_early_error_on_huge_body_closes(self):
        # Past the drain bound the server answers at once and closes the
        # connection instead of reading 100 MiB it will not store.
        path = "/no-such-bucket-zz/huge"
        headers = {"Content-Length": str(100 << 20)}
        h.sign_request("PUT", "127.0.0.1:%d" % self.server.port, path, [], headers,
                       "UNSIGNED-PAYLOAD")
        sock = socket.create_connection(("127.0.0.1", self.server.port))
        sock.settimeout(30)
        sock.sendall(("PUT %s HTTP/1.1\r\n" % path + "".join(
            "%s: %s\r\n" % kv for kv in headers.items()) + "\r\n").encode())
        sock.sendall(b"h" * 65536)
        got = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
        sock.close()
        self.assertTrue(got.startswith(b"HTTP/1.1 404"), got[:200])
        self.assertIn(b"Connection: close", got)
        self.assertIn(b"<Code>NoSuchBucket</Code>", got)
        self.s3.head_bucket(Bucket=self.bucket)

    def test_early_error_keeps_connection_usable(self):
        # A PUT refused before its body is read (no such bucket): the body is
        # drained, and the next request on the same connection works.
        conn = self.server.connection()
        for i in range(3):
            path = "/no-such-bucket-zz/k%d" % i
            headers = {}
            body = b"q" * 100000
            h.sign_request("PUT", "127.0.0.1:%d" % self.server.port, path, [], headers,
                           hashlib.sha256(body).hexdigest())
            conn.request("PUT", path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            self.assertEqual((resp.status, code_of(data)), (404, "NoSuchBucket"))
        headers = {}
        h.sign_request("GET", "127.0.0.1:%d" % self.server.port, "/", [], headers,
                       hashlib.sha256(b"").hexdigest())
        conn.request("GET", "/", headers=headers)
        resp = conn.getresponse()
        resp.read()
        self.assertEqual(resp.status, 200)
        conn.close()


if __name__ == "__main__":
    h.main()
