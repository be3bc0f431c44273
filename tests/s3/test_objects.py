"""seglake-s3d with boto3: buckets, objects, ranges, copies, conditional
requests, tagging, DeleteObjects and error paths."""
import base64
import datetime
import gzip
import hashlib
import os
import xml.etree.ElementTree as ET

import s3d_harness as h
from s3d_harness import botocore

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


class Buckets(h.ServerTestCase):
    def test_lifecycle(self):
        name = h.unique_bucket("life")
        self.s3.create_bucket(Bucket=name)
        self.s3.head_bucket(Bucket=name)
        names = [b["Name"] for b in self.s3.list_buckets()["Buckets"]]
        self.assertIn(name, names)
        loc = self.s3.get_bucket_location(Bucket=name)
        self.assertIn(loc["LocationConstraint"], (None, "us-east-1"))
        self.s3.create_bucket(Bucket=name)  # owned already, in us-east-1: 200 (as S3)
        self.s3.put_object(Bucket=name, Key="k", Body=b"x")
        self.assertS3Error("BucketNotEmpty", self.s3.delete_bucket, Bucket=name)
        self.s3.delete_object(Bucket=name, Key="k")
        self.s3.delete_bucket(Bucket=name)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.s3.head_bucket(Bucket=name)
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)
        self.assertS3Error("NoSuchBucket", self.s3.list_objects_v2, Bucket=name)
        self.assertS3Error("NoSuchBucket", self.s3.put_object, Bucket=name, Key="k", Body=b"")
        self.assertS3Error("NoSuchBucket", self.s3.delete_object, Bucket=name, Key="k")
        self.assertS3Error("NoSuchBucket", self.s3.create_multipart_upload, Bucket=name, Key="k")
        self.assertS3Error("NoSuchBucket", self.s3.put_bucket_versioning, Bucket=name,
                           VersioningConfiguration={"Status": "Enabled"})
        self.assertS3Error("NoSuchBucket", self.s3.delete_bucket, Bucket=name)

    def test_names_and_location(self):
        self.assertS3Error("InvalidBucketName", self.s3.create_bucket, Bucket="Bad_Name")
        self.assertS3Error("InvalidBucketName", self.s3.create_bucket, Bucket="ab")
        self.assertS3Error("InvalidLocationConstraint", self.s3.create_bucket,
                           Bucket=h.unique_bucket(),
                           CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})

    def test_list_buckets_prefix(self):
        a = self.new_bucket("pfxa")
        self.new_bucket("pfxb")
        got = self.s3.list_buckets(Prefix="pfxa-")["Buckets"]
        self.assertEqual([b["Name"] for b in got], [a])


class Objects(h.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket("obj")
        cls.s3.create_bucket(Bucket=cls.bucket)

    def test_put_get_metadata(self):
        body = os.urandom(300_000)
        r = self.s3.put_object(Bucket=self.bucket, Key="dir/file.bin", Body=body,
                               ContentType="application/x-test", Metadata={"Color": "blue"},
                               CacheControl="max-age=60", ContentDisposition="attachment",
                               ContentLanguage="en", Expires=datetime.datetime(2030, 1, 1))
        self.assertEqual(r["ETag"], '"%s"' % hashlib.md5(body).hexdigest())
        g = self.s3.get_object(Bucket=self.bucket, Key="dir/file.bin")
        self.assertEqual(g["Body"].read(), body)
        self.assertEqual(g["ContentType"], "application/x-test")
        self.assertEqual(g["Metadata"], {"color": "blue"})
        self.assertEqual(g["CacheControl"], "max-age=60")
        self.assertEqual(g["ContentDisposition"], "attachment")
        self.assertEqual(g["ContentLanguage"], "en")
        self.assertEqual(g["ContentLength"], len(body))
        self.assertEqual(g["AcceptRanges"], "bytes")
        hd = self.s3.head_object(Bucket=self.bucket, Key="dir/file.bin")
        self.assertEqual(hd["ContentLength"], len(body))
        self.assertEqual(hd["ETag"], r["ETag"])
        self.assertIn("x-amz-request-id", hd["ResponseMetadata"]["HTTPHeaders"])
        self.assertIn("x-amz-id-2", hd["ResponseMetadata"]["HTTPHeaders"])

    def test_empty_and_default_type(self):
        self.s3.put_object(Bucket=self.bucket, Key="empty", Body=b"")
        g = self.s3.get_object(Bucket=self.bucket, Key="empty")
        self.assertEqual(g["Body"].read(), b"")
        self.assertEqual(g["ContentType"], "binary/octet-stream")
        self.assertEqual(g["ETag"], '"d41d8cd98f00b204e9800998ecf8427e"')

    def test_content_encoding_stored_verbatim(self):
        raw = gzip.compress(b"hello " * 1000)
        self.s3.put_object(Bucket=self.bucket, Key="page.gz", Body=raw, ContentEncoding="gzip")
        status, headers, data = self.server.request("GET", "/%s/page.gz" % self.bucket)
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-encoding"], "gzip")
        self.assertEqual(data, raw)

    def test_checksums(self):
        body = b"checksum me" * 1000
        r = self.s3.put_object(Bucket=self.bucket, Key="sum", Body=body, ChecksumAlgorithm="SHA256")
        want = base64.b64encode(hashlib.sha256(body).digest()).decode()
        self.assertEqual(r["ChecksumSHA256"], want)
        g = self.s3.get_object(Bucket=self.bucket, Key="sum", ChecksumMode="ENABLED")
        self.assertEqual(g["ChecksumSHA256"], want)
        self.assertEqual(g["Body"].read(), body)
        self.assertS3Error("BadDigest", self.s3.put_object, Bucket=self.bucket, Key="bad",
                           Body=b"abc", ChecksumCRC32="AAAAAA==")
        self.assertS3Error("BadDigest", self.s3.put_object, Bucket=self.bucket, Key="bad",
                           Body=b"abc", ContentMD5=base64.b64encode(b"0" * 16).decode())
        self.assertS3Error("InvalidDigest", self.s3.put_object, Bucket=self.bucket, Key="bad",
                           Body=b"abc", ContentMD5="nope")
        self.assertS3Error("NoSuchKey", self.s3.head_object.__self__.get_object,
                           Bucket=self.bucket, Key="bad")
        md5 = base64.b64encode(hashlib.md5(b"abc").digest()).decode()
        self.s3.put_object(Bucket=self.bucket, Key="good", Body=b"abc", ContentMD5=md5)

    def test_ranges(self):
        body = bytes(range(256)) * 40
        self.s3.put_object(Bucket=self.bucket, Key="ranged", Body=body)
        for spec, lo, hi in (("bytes=0-9", 0, 9), ("bytes=100-", 100, len(body) - 1),
                             ("bytes=-7", len(body) - 7, len(body) - 1),
                             ("bytes=10000-20000", 10000, len(body) - 1)):
            g = self.s3.get_object(Bucket=self.bucket, Key="ranged", Range=spec)
            self.assertEqual(g["Body"].read(), body[lo:hi + 1], spec)
            self.assertEqual(g["ContentRange"], "bytes %d-%d/%d" % (lo, hi, len(body)))
            self.assertEqual(g["ResponseMetadata"]["HTTPStatusCode"], 206)
        self.assertS3Error("InvalidRange", self.s3.get_object, Bucket=self.bucket, Key="ranged",
                           Range="bytes=20000-")
        # An unparsable range is ignored, as S3 does.
        g = self.s3.get_object(Bucket=self.bucket, Key="ranged", Range="bytes=9-3")
        self.assertEqual(g["Body"].read(), body)

    def test_multiple_ranges(self):
        # S3 serves one range per GET and answers a list of several with the
        # whole object (200), as AWS does.
        body = os.urandom(5000)
        self.s3.put_object(Bucket=self.bucket, Key="multi", Body=body, ContentType="text/x-a")
        status, headers, data = self.server.request("GET", "/%s/multi" % self.bucket,
                                                    headers={"Range": "bytes=0-9,100-199,-5"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/x-a")
        self.assertNotIn("content-range", headers)
        self.assertEqual(data, body)

    def test_copy(self):
        body = os.urandom(70_000)
        src = self.s3.put_object(Bucket=self.bucket, Key="src", Body=body,
                                 Metadata={"a": "1"}, Tagging="t=1")
        other = self.new_bucket("copydst")
        c = self.s3.copy_object(Bucket=other, Key="dst", CopySource={"Bucket": self.bucket,
                                                                     "Key": "src"})
        self.assertEqual(c["CopyObjectResult"]["ETag"], src["ETag"])
        g = self.s3.get_object(Bucket=other, Key="dst")
        self.assertEqual(g["Body"].read(), body)
        self.assertEqual(g["Metadata"], {"a": "1"})
        self.assertEqual(self.s3.get_object_tagging(Bucket=other, Key="dst")["TagSet"],
                         [{"Key": "t", "Value": "1"}])
        c = self.s3.copy_object(Bucket=self.bucket, Key="src", MetadataDirective="REPLACE",
                                Metadata={"b": "2"}, ContentType="text/plain",
                                CopySource="%s/src" % self.bucket)
        hd = self.s3.head_object(Bucket=self.bucket, Key="src")
        self.assertEqual(hd["Metadata"], {"b": "2"})
        self.assertEqual(hd["ContentType"], "text/plain")
        self.assertS3Error("InvalidRequest", self.s3.copy_object, Bucket=self.bucket, Key="src",
                           CopySource="%s/src" % self.bucket)
        self.assertS3Error("PreconditionFailed", self.s3.copy_object, Bucket=other, Key="x",
                           CopySource="%s/src" % self.bucket, CopySourceIfMatch='"nope"')
        self.assertS3Error("PreconditionFailed", self.s3.copy_object, Bucket=other, Key="x",
                           CopySource="%s/src" % self.bucket, CopySourceIfNoneMatch=src["ETag"])
        self.s3.copy_object(Bucket=other, Key="x", CopySource="%s/src" % self.bucket,
                            CopySourceIfMatch=src["ETag"])
        self.assertS3Error("NoSuchKey", self.s3.copy_object, Bucket=other, Key="y",
                           CopySource="%s/missing" % self.bucket)
        # Keys with characters that need encoding in x-amz-copy-source.
        key = "we ird/ké y+%?#&.txt"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=b"odd")
        self.s3.copy_object(Bucket=other, Key=key, CopySource={"Bucket": self.bucket, "Key": key})
        self.assertEqual(self.s3.get_object(Bucket=other, Key=key)["Body"].read(), b"odd")

    def test_conditional_reads(self):
        r = self.s3.put_object(Bucket=self.bucket, Key="cond", Body=b"conditional")
        etag = r["ETag"]
        past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
        future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
        g = self.s3.get_object(Bucket=self.bucket, Key="cond", IfMatch=etag)
        self.assertEqual(g["Body"].read(), b"conditional")
        self.assertS3Error("PreconditionFailed", self.s3.get_object, Bucket=self.bucket,
                           Key="cond", IfMatch='"0000"')
        self.assertS3Error("PreconditionFailed", self.s3.get_object, Bucket=self.bucket,
                           Key="cond", IfUnmodifiedSince=past)
        self.assertS3Error("304", self.s3.get_object, Bucket=self.bucket, Key="cond",
                           IfNoneMatch=etag)
        self.assertS3Error("304", self.s3.get_object, Bucket=self.bucket, Key="cond",
                           IfModifiedSince=future)
        # If-Match true wins over If-Unmodified-Since false (RFC 7232, S3).
        self.s3.get_object(Bucket=self.bucket, Key="cond", IfMatch=etag, IfUnmodifiedSince=past)
        # If-Range: a matching ETag applies the range, another one serves all.
        status, _, data = self.server.request("GET", "/%s/cond" % self.bucket,
                                              headers={"Range": "bytes=0-3", "If-Range": etag})
        self.assertEqual((status, data), (206, b"cond"))
        status, _, data = self.server.request("GET", "/%s/cond" % self.bucket,
                                              headers={"Range": "bytes=0-3", "If-Range": '"x"'})
        self.assertEqual((status, data), (200, b"conditional"))

    def test_conditional_writes(self):
        self.s3.put_object(Bucket=self.bucket, Key="once", Body=b"1", IfNoneMatch="*")
        self.assertS3Error("PreconditionFailed", self.s3.put_object, Bucket=self.bucket,
                           Key="once", Body=b"2", IfNoneMatch="*")
        etag = self.s3.head_object(Bucket=self.bucket, Key="once")["ETag"]
        self.s3.put_object(Bucket=self.bucket, Key="once", Body=b"3", IfMatch=etag)
        self.assertS3Error("PreconditionFailed", self.s3.put_object, Bucket=self.bucket,
                           Key="once", Body=b"4", IfMatch=etag)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="once")["Body"].read(), b"3")

    def test_overrides_and_part_number(self):
        self.s3.put_object(Bucket=self.bucket, Key="ovr", Body=b"data")
        g = self.s3.get_object(Bucket=self.bucket, Key="ovr", ResponseContentType="text/csv",
                               ResponseContentDisposition="inline; filename=x.csv",
                               ResponseCacheControl="no-cache")
        self.assertEqual(g["ContentType"], "text/csv")
        self.assertEqual(g["ContentDisposition"], "inline; filename=x.csv")
        self.assertEqual(g["CacheControl"], "no-cache")
        g = self.s3.get_object(Bucket=self.bucket, Key="ovr", PartNumber=1)
        self.assertEqual(g["Body"].read(), b"data")
        self.assertS3Error("InvalidPartNumber", self.s3.get_object, Bucket=self.bucket, Key="ovr",
                           PartNumber=2)

    def test_tagging(self):
        self.s3.put_object(Bucket=self.bucket, Key="tagged", Body=b"t", Tagging="a=1&b=two%20words")
        tags = self.s3.get_object_tagging(Bucket=self.bucket, Key="tagged")["TagSet"]
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in tags),
                         [("a", "1"), ("b", "two words")])
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="tagged")[
            "ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"], "2")
        self.s3.put_object_tagging(Bucket=self.bucket, Key="tagged",
                                   Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
        self.assertEqual(self.s3.get_object_tagging(Bucket=self.bucket, Key="tagged")["TagSet"],
                         [{"Key": "k", "Value": "v"}])
        self.s3.delete_object_tagging(Bucket=self.bucket, Key="tagged")
        self.assertEqual(self.s3.get_object_tagging(Bucket=self.bucket, Key="tagged")["TagSet"],
                         [])
        doc = (b"<Tagging><TagSet><Tag><Key>k</Key><Value>1</Value></Tag>"
               b"<Tag><Key>k</Key><Value>2</Value></Tag></TagSet></Tagging>")
        status, _, data = self.server.request("PUT", "/%s/tagged" % self.bucket,
                                              query=[("tagging", "")], body=doc)
        self.assertEqual(status, 400, data)
        self.assertEqual(ET.fromstring(data).findtext("Code"), "InvalidTag")
        self.assertS3Error("NoSuchKey", self.s3.get_object_tagging, Bucket=self.bucket,
                           Key="untagged-missing")
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="tagged")["Body"].read(), b"t")

    def test_delete_objects(self):
        keys = ["del/%d" % i for i in range(30)]
        for k in keys:
            self.s3.put_object(Bucket=self.bucket, Key=k, Body=k.encode())
        r = self.s3.delete_objects(Bucket=self.bucket, Delete={
            "Objects": [{"Key": k} for k in keys[:20]] + [{"Key": "del/missing"}]})
        self.assertEqual(sorted(d["Key"] for d in r["Deleted"]), sorted(keys[:20] + ["del/missing"]))
        self.assertNotIn("Errors", r)
        r = self.s3.delete_objects(Bucket=self.bucket, Delete={
            "Objects": [{"Key": k} for k in keys[20:]], "Quiet": True})
        self.assertNotIn("Deleted", r)
        left = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="del/").get("KeyCount")
        self.assertEqual(left, 0)
        # Without Content-MD5 or a checksum, S3 refuses the request.
        doc = b"<Delete><Object><Key>x</Key></Object></Delete>"
        status, _, data = self.server.request("POST", "/%s" % self.bucket, query=[("delete", "")],
                                              body=doc)
        self.assertEqual(status, 400, data)
        self.assertIn(b"<Code>InvalidRequest</Code>", data)
        md5 = base64.b64encode(hashlib.md5(doc).digest()).decode()
        status, _, data = self.server.request("POST", "/%s" % self.bucket, query=[("delete", "")],
                                              body=doc, headers={"Content-MD5": md5})
        self.assertEqual(status, 200, data)

    def test_errors(self):
        r = self.assertS3Error("NoSuchKey", self.s3.get_object, Bucket=self.bucket, Key="nope")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 404)
        status, headers, data = self.server.request("GET", "/%s/nope" % self.bucket)
        doc = ET.fromstring(data)
        self.assertEqual(doc.findtext("Code"), "NoSuchKey")
        self.assertEqual(doc.findtext("Resource"), "/%s/nope" % self.bucket)
        self.assertEqual(doc.findtext("RequestId"), headers["x-amz-request-id"])
        self.assertEqual(doc.findtext("Key"), "nope")
        self.assertS3Error("NoSuchBucket", self.s3.get_object, Bucket="no-such-bucket-x", Key="k")
        bad = self.server.client(secret_key="wrong-secret")
        self.assertS3Error("SignatureDoesNotMatch", bad.list_objects_v2, Bucket=self.bucket)
        unknown = self.server.client(access_key="UNKNOWNKEY")
        self.assertS3Error("InvalidAccessKeyId", unknown.list_buckets)
        status, _, data = self.server.request("GET", "/%s/k" % self.bucket, sign=False)
        self.assertEqual(status, 403)
        self.assertEqual(ET.fromstring(data).findtext("Code"), "AccessDenied")
        for sub in ("acl", "policy", "lifecycle", "website", "cors", "replication", "tagging"):
            status, _, data = self.server.request("GET", "/%s" % self.bucket, query=[(sub, "")])
            self.assertEqual(status, 501, (sub, data))
            self.assertEqual(ET.fromstring(data).findtext("Code"), "NotImplemented", sub)
        status, _, data = self.server.request("PUT", "/%s/k" % self.bucket, query=[("acl", "")],
                                              body=b"<AccessControlPolicy/>")
        self.assertEqual(status, 501)
        self.assertS3Error("NotImplemented", self.s3.get_object_acl, Bucket=self.bucket, Key="k")
        status, _, data = self.server.request("PATCH", "/%s/k" % self.bucket, body=b"x")
        self.assertEqual(status, 501, data)
        # A too-skewed clock.
        headers = {}
        old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
        h.sign_request("GET", "127.0.0.1:%d" % self.server.port, "/", [], headers,
                       hashlib.sha256(b"").hexdigest(), when=old)
        status, _, data = self.server.request("GET", "/", headers=headers, sign=False)
        self.assertEqual(status, 403)
        self.assertEqual(ET.fromstring(data).findtext("Code"), "RequestTimeTooSkewed")
        # A body that does not match the signed x-amz-content-sha256.
        status, _, data = self.server.request("PUT", "/%s/sha" % self.bucket, body=b"abc",
                                              payload_hash=hashlib.sha256(b"abd").hexdigest())
        self.assertEqual(status, 400)
        self.assertEqual(ET.fromstring(data).findtext("Code"), "XAmzContentSHA256Mismatch")
        self.assertS3Error("NoSuchKey", self.s3.get_object, Bucket=self.bucket, Key="sha")

    def test_keys_lossless(self):
        keys = ["a//b", "./x", "../y", "sp ace", "plus+sign", "pct%25", "q?mark", "hash#",
                "ünïcödé/日本語", "emoji-😀", "trailing/", "amp&eq=", "tab\tchar"]
        for k in keys:
            self.s3.put_object(Bucket=self.bucket, Key="lossless/" + k, Body=k.encode())
        for k in keys:
            g = self.s3.get_object(Bucket=self.bucket, Key="lossless/" + k)
            self.assertEqual(g["Body"].read(), k.encode(), k)
        listed = [o["Key"] for o in self.s3.list_objects_v2(Bucket=self.bucket,
                                                             Prefix="lossless/")["Contents"]]
        self.assertEqual(sorted(listed, key=lambda s: s.encode()), listed)
        self.assertEqual(sorted(listed), sorted("lossless/" + k for k in keys))


if __name__ == "__main__":
    h.main()
