#!/usr/bin/env python3
"""Prints the SigV4 and aws-chunked vectors of sigv4_test.cc / chunked_test.cc,
produced by the real botocore (S3SigV4Auth, S3SigV4QueryAuth, AwsChunkedWrapper)
with fixed credentials and a fixed clock. Run: python3 gen_botocore_vectors.py"""
import datetime
import io
from unittest import mock
from urllib.parse import quote

import botocore
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum

CREDS = Credentials("AKIASEGLAKETEST00001", "seglake/secret+key/0123456789abcdefghij")
NOW = datetime.datetime(2026, 11, 24, 20, 25, 5, tzinfo=datetime.timezone.utc)


def sign(auth, method, url, headers=None, data=b""):
    req = AWSRequest(method=method, url=url, headers=headers or {}, data=data)
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW):
        auth.add_auth(req)
    return req


def show(name, req):
    print(f"// {name}: {req.method} {req.url}")
    for k, v in req.headers.items():
        print(f"//   {k}: {v}")


print("botocore", botocore.__version__)
key = "dir/a b+c~(1)!*'.txt"
put = sign(S3SigV4Auth(CREDS, "s3", "us-east-1"), "PUT",
           "http://127.0.0.1:9000/my-bucket/" + quote(key, safe="/~"),
           {"Content-Type": "text/plain", "x-amz-meta-note": "  hello   world  "},
           b"hello seglake\n")
show("put", put)
get = sign(S3SigV4Auth(CREDS, "s3", "eu-west-3"), "GET",
           "http://127.0.0.1:9000/my-bucket?list-type=2&prefix=a%20b&delimiter=%2F"
           "&continuation-token=abc%2B%3D&encoding-type=url")
show("list", get)
pre = sign(S3SigV4QueryAuth(CREDS, "s3", "us-east-1", expires=3600), "GET",
           "http://127.0.0.1:9000/my-bucket/" + quote("dir/ünïcode file.txt", safe="/~"))
show("presign", pre)

body = AwsChunkedWrapper(io.BytesIO(b"x" * 70000), checksum_cls=Crc32Checksum,
                         checksum_name="x-amz-checksum-crc32", chunk_size=65536).read()
print("// aws-chunked unsigned trailer body:", repr(body[:8]), "...", repr(body[-60:]))
print("// body length", len(body))

# botocore does not write signed trailers (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER),
# so that vector comes from this direct transcription of the AWS documentation,
# written independently of the C++ code: the AWS example request (examplebucket,
# chunkObject.txt, 66560 bytes of 'a' in chunks of 65536 and 1024) with
# x-amz-trailer: x-amz-checksum-crc32c.
import base64
import hashlib
import hmac


def h(k, m):
    return hmac.new(k, m.encode(), hashlib.sha256).digest()


SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
KEY = h(h(h(h(("AWS4" + SECRET).encode(), "20130524"), "us-east-1"), "s3"), "aws4_request")
SCOPE = "20130524/us-east-1/s3/aws4_request"
EMPTY = hashlib.sha256(b"").hexdigest()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


payload = b"a" * 66560
trailer_value = base64.b64encode(crc32c(payload).to_bytes(4, "big")).decode()
canonical_headers = (
    "content-encoding:aws-chunked\n"
    "host:s3.amazonaws.com\n"
    "x-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER\n"
    "x-amz-date:20130524T000000Z\n"
    "x-amz-decoded-content-length:66560\n"
    "x-amz-storage-class:REDUCED_REDUNDANCY\n"
    "x-amz-trailer:x-amz-checksum-crc32c\n")
signed = ("content-encoding;host;x-amz-content-sha256;x-amz-date;"
          "x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer")
creq = ("PUT\n/examplebucket/chunkObject.txt\n\n" + canonical_headers + "\n" + signed +
        "\nSTREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
sts = ("AWS4-HMAC-SHA256\n20130524T000000Z\n" + SCOPE + "\n" +
       hashlib.sha256(creq.encode()).hexdigest())
prev = hmac.new(KEY, sts.encode(), hashlib.sha256).hexdigest()
print("// signed trailer: seed", prev)
for n in (65536, 1024, 0):
    sts = ("AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n" + SCOPE + "\n" + prev + "\n" + EMPTY +
           "\n" + hashlib.sha256(b"a" * n).hexdigest())
    prev = hmac.new(KEY, sts.encode(), hashlib.sha256).hexdigest()
    print("//   chunk", n, prev)
trailer = "x-amz-checksum-crc32c:" + trailer_value + "\n"
sts = ("AWS4-HMAC-SHA256-TRAILER\n20130524T000000Z\n" + SCOPE + "\n" + prev + "\n" +
       hashlib.sha256(trailer.encode()).hexdigest())
print("//   trailer", trailer.strip(), "signature",
      hmac.new(KEY, sts.encode(), hashlib.sha256).hexdigest())
