#!/usr/bin/env python3
"""Writes the seed corpora under corpus/<target>/: small valid and invalid
inputs for each fuzz target. Run from this directory; the output is committed."""
import base64
import hashlib
import hmac
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SCOPE = "20130524/us-east-1/s3/aws4_request"
SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
EMPTY = hashlib.sha256(b"").hexdigest()


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def hm(k, m):
    return hmac.new(k, m.encode(), hashlib.sha256).digest()


KEY = hm(hm(hm(hm(("AWS4" + SECRET).encode(), "20130524"), "us-east-1"), "s3"), "aws4_request")


def signed_body(chunks, trailer=None):
    prev, out = SEED, b""
    for c in chunks + [b""]:
        sts = ("AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n" + SCOPE + "\n" + prev + "\n" +
               EMPTY + "\n" + hashlib.sha256(c).hexdigest())
        prev = hmac.new(KEY, sts.encode(), hashlib.sha256).hexdigest()
        out += b"%x;chunk-signature=%s\r\n" % (len(c), prev.encode())
        if c:
            out += c + b"\r\n"
    if trailer is None:
        return out + b"\r\n"
    t = trailer[0] + ":" + trailer[1] + "\n"
    sts = ("AWS4-HMAC-SHA256-TRAILER\n20130524T000000Z\n" + SCOPE + "\n" + prev + "\n" +
           hashlib.sha256(t.encode()).hexdigest())
    sig = hmac.new(KEY, sts.encode(), hashlib.sha256).hexdigest()
    return out + ("%s:%s\r\nx-amz-trailer-signature:%s\r\n\r\n" % (trailer[0], trailer[1], sig)).encode()


def plain_body(chunks, trailers=b""):
    out = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    return out + b"0\r\n" + trailers + b"\r\n"


def crc32_b64(data):
    return base64.b64encode(struct.pack(">I", zlib.crc32(data))).decode()


def chunked_header(mode, trailer_index=0, length=None):
    b0 = mode | (trailer_index << 2) | (0x20 if length is not None else 0)
    n = length or 0
    return bytes([b0, 16, n & 0xff, (n >> 8) & 0xff])


# --- fuzz_chunked: mode 0 signed, 1 signed+trailer, 2 unsigned+trailer, 3 unsigned.
data = [b"hello ", b"chunked", b" world"]
payload = b"".join(data)
write("fuzz_chunked", "signed", chunked_header(0, 0, len(payload)) + signed_body(data))
write("fuzz_chunked", "signed_empty", chunked_header(0, 0, 0) + signed_body([]))
crc32c_trailer = ("x-amz-checksum-crc32", crc32_b64(payload))
write("fuzz_chunked", "signed_trailer",
      chunked_header(1, 1, len(payload)) + signed_body(data, crc32c_trailer))
write("fuzz_chunked", "unsigned_trailer", chunked_header(2, 1) + plain_body(
    data, b"x-amz-checksum-crc32:" + crc32_b64(payload).encode() + b"\r\n"))
write("fuzz_chunked", "unsigned_trailer_sha256", chunked_header(2, 5) + plain_body(
    data, b"x-amz-checksum-sha256:" + base64.b64encode(hashlib.sha256(payload).digest()) + b"\r\n"))
write("fuzz_chunked", "unsigned", chunked_header(3) + plain_body(data))
write("fuzz_chunked", "bad_hex", chunked_header(3) + b"zz\r\nabc\r\n0\r\n\r\n")
write("fuzz_chunked", "bad_checksum", chunked_header(2, 1) + plain_body(
    data, b"x-amz-checksum-crc32:AAAAAA==\r\n"))
write("fuzz_chunked", "truncated", chunked_header(0, 0, len(payload)) + signed_body(data)[:-7])
write("fuzz_chunked", "overflow", chunked_header(3) + b"fffffffffffffffff\r\n")

# --- fuzz_sigv4: "METHOD PATH?QUERY\n" then "Name: value" lines.
aws_get = ("GET /test.txt\nHost: examplebucket.s3.amazonaws.com\nRange: bytes=0-9\n"
           "x-amz-content-sha256: " + EMPTY + "\nx-amz-date: 20130524T000000Z\n"
           "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/"
           "s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
           "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41\n")
write("fuzz_sigv4", "aws_get_object", aws_get)
write("fuzz_sigv4", "aws_list_objects",
      "GET /?max-keys=2&prefix=J\nHost: examplebucket.s3.amazonaws.com\n"
      "x-amz-content-sha256: " + EMPTY + "\nx-amz-date: 20130524T000000Z\n"
      "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
      "aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
      "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7\n")
write("fuzz_sigv4", "aws_presigned",
      "GET /test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F"
      "20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
      "&X-Amz-SignedHeaders=host&X-Amz-Signature="
      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404\n"
      "Host: examplebucket.s3.amazonaws.com\n")
write("fuzz_sigv4", "aws_put_date",
      "PUT /test%24file.text\nHost: examplebucket.s3.amazonaws.com\n"
      "Date: Fri, 24 May 2013 00:00:00 GMT\nx-amz-date: 20130524T000000Z\n"
      "x-amz-storage-class: REDUCED_REDUNDANCY\nx-amz-content-sha256: "
      "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
      "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
      "aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
      "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd\n")
write("fuzz_sigv4", "malformed_auth",
      "GET /\nHost: h\nAuthorization: AWS4-HMAC-SHA256 Credential=a/b,SignedHeaders=,Signature=\n")
write("fuzz_sigv4", "sigv2", "GET /b/k?AWSAccessKeyId=AK&Expires=1&Signature=x\nHost: h\n")
write("fuzz_sigv4", "anonymous", "GET /b/k%zz\nHost: h\nDate: Sun Nov  6 08:49:37 1994\n")



def signed_get(date_headers):
    """A GET of /test.txt dated by `date_headers` [(name, value)], signed
    with the example key for 2013-05-24T00:00:00Z."""
    heads = [("host", "examplebucket.s3.amazonaws.com"), ("x-amz-content-sha256", EMPTY)]
    heads += [(n.lower(), v) for n, v in date_headers]
    heads.sort()
    names = ";".join(n for n, _ in heads)
    creq = "GET\n/test.txt\n\n" + "".join("%s:%s\n" % kv for kv in heads) + "\n" + names + \
        "\n" + EMPTY
    sts = ("AWS4-HMAC-SHA256\n20130524T000000Z\n" + SCOPE + "\n" +
           hashlib.sha256(creq.encode()).hexdigest())
    sig = hmac.new(KEY, sts.encode(), hashlib.sha256).hexdigest()
    return ("GET /test.txt\n" + "".join("%s: %s\n" % kv for kv in heads) +
            "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/" + SCOPE +
            ",SignedHeaders=" + names + ",Signature=" + sig + "\n")


# Dates in the zone forms RFC 5322 writers send (botocore: "-0000").
write("fuzz_sigv4", "date_zone_minus0000", signed_get([("Date", "Fri, 24 May 2013 00:00:00 -0000")]))
write("fuzz_sigv4", "date_zone_plus0100", signed_get([("Date", "Fri, 24 May 2013 01:00:00 +0100")]))
write("fuzz_sigv4", "date_zone_utc", signed_get([("Date", "Friday, 24-May-13 00:00:00 UTC")]))
write("fuzz_sigv4", "amz_date_http_form",
      signed_get([("X-Amz-Date", "Fri, 24 May 2013 00:00:00 +0000")]))
write("fuzz_sigv4", "date_zone_bad", signed_get([("Date", "Fri, 24 May 2013 00:00:00 +2400")]))

# --- fuzz_range: 8 bytes size (LE) + header.
def rng(size, header):
    return struct.pack("<Q", size) + header.encode()

for i, (size, h) in enumerate([(100, "bytes=0-9"), (100, "bytes=-10"), (100, "bytes=10-"),
                               (100, "bytes=0-1,5-6,-2"), (100, "bytes=5-2"), (0, "bytes=0-"),
                               (100, "bytes=-0"), (100, "bytes=99999999999999999999999-"),
                               (100, "bytes="), (100, "bytes=abc")]):
    write("fuzz_range", "range%02d" % i, rng(size, h))
# Lists that once cost one copy of the object per range, and long headers.
write("fuzz_range", "hundred_whole", rng(1 << 20, "bytes=" + ",".join(["0-"] * 100)))
write("fuzz_range", "many_small", rng(1000, "bytes=" + ",".join("%d-%d" % (i, i)
                                                                for i in range(300))))
write("fuzz_range", "empty_elements", rng(100, "bytes=" + "," * 200 + "3-4" + " ," * 100))
write("fuzz_range", "two_suffixes", rng(100, "bytes=-1,-0"))
write("fuzz_range", "control_bytes", rng(100, "bytes=0-1\r\n,\x00-\x1b"))

# --- fuzz_xml: bodies.
write("fuzz_xml", "complete",
      '<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload xmlns="http://s3.amazonaws.'
      'com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber><ETag>"a54357aff0632cce46d942af68356b38'
      '"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>e2</ETag><ChecksumCRC32>AAAAAA==</Checksu'
      'mCRC32></Part></CompleteMultipartUpload>')
write("fuzz_xml", "complete_bad_order",
      "<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>e</ETag></Part><Part>"
      "<PartNumber>1</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>")
write("fuzz_xml", "delete",
      '<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a&amp;'
      'b</Key></Object><Object><Key>x&#13;y</Key><VersionId>v1</VersionId></Object><Object><Key>  '
      '</Key></Object><Object><Key><![CDATA[<c>]]></Key></Object></Delete>')
write("fuzz_xml", "create_bucket",
      "<CreateBucketConfiguration><LocationConstraint>eu-west-3</LocationConstraint>"
      "</CreateBucketConfiguration>")
write("fuzz_xml", "versioning",
      "<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Disabled</MfaDelete>"
      "</VersioningConfiguration>")
write("fuzz_xml", "tagging",
      "<Tagging><TagSet><Tag><Key>k1</Key><Value>v&lt;1</Value></Tag><Tag><Key>k2</Key><Value>"
      "</Value></Tag></TagSet></Tagging>")
write("fuzz_xml", "tagging_dup",
      "<Tagging><TagSet><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value>"
      "</Tag></TagSet></Tagging>")
write("fuzz_xml", "malformed", "<Delete><Object><Key>a</Key></Object>")
write("fuzz_xml", "doctype",
      '<!DOCTYPE d [<!ENTITY x "yyyy">]><Delete><Object><Key>&x;</Key></Object></Delete>')
write("fuzz_xml", "tagging_header", "a=1&b%20c=d+e&empty=")
