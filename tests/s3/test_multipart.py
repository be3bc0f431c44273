"""seglake-s3d multipart uploads with boto3: upload_file of 20 MiB over HTTP
and over HTTPS (where new botocore sends aws-chunked bodies with CRC32
trailers), explicit part calls, UploadPartCopy with ranges, ListParts
pagination, and the error answers."""
import hashlib
import os
import tempfile

import s3d_harness as h
from boto3.s3.transfer import TransferConfig

MiB = 1 << 20


def sha256_file(path):
    d = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MiB), b""):
            d.update(chunk)
    return d.hexdigest()


class UploadFileMixin:
    def upload_download(self, size, key):
        bucket = self.new_bucket("mp")
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "src")
            with open(src, "wb") as f:
                f.write(os.urandom(size))
            cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB,
                                 max_concurrency=4)
            self.s3.upload_file(src, bucket, key, Config=cfg)
            head = self.s3.head_object(Bucket=bucket, Key=key)
            self.assertEqual(head["ContentLength"], size)
            self.assertTrue(head["ETag"].endswith('-%d"' % ((size + 5 * MiB - 1) // (5 * MiB))),
                            head["ETag"])
            dst = os.path.join(tmp, "dst")
            self.s3.download_file(bucket, key, dst, Config=cfg)
            self.assertEqual(sha256_file(dst), sha256_file(src))
            # Parts read back by number.
            g = self.s3.get_object(Bucket=bucket, Key=key, PartNumber=2)
            self.assertEqual(g["PartsCount"], (size + 5 * MiB - 1) // (5 * MiB))
            self.assertEqual(g["ContentLength"], 5 * MiB)
            with open(src, "rb") as f:
                f.seek(5 * MiB)
                self.assertEqual(g["Body"].read(), f.read(5 * MiB))
        return bucket


class MultipartHttps(UploadFileMixin, h.ServerTestCase):
    tls = True

    def test_upload_file_aws_chunked(self):
        seen = []

        def capture(request, **kwargs):
            seen.append((request.headers.get("x-amz-content-sha256"),
                         request.headers.get("x-amz-trailer")))

        self.s3.meta.events.register("before-send.s3.UploadPart", capture)
        self.upload_download(20 * MiB + 12345, "big/over-tls.bin")
        self.assertEqual(len(seen), 5)
        for mode, trailer in seen:
            self.assertEqual(mode, b"STREAMING-UNSIGNED-PAYLOAD-TRAILER")
            self.assertEqual(trailer, b"x-amz-checksum-crc32")

    def test_small_put_over_tls(self):
        b = self.new_bucket("tls")
        r = self.s3.put_object(Bucket=b, Key="k", Body=b"x" * 100000)
        self.assertIn("ChecksumCRC32", r)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), b"x" * 100000)


class Multipart(UploadFileMixin, h.ServerTestCase):
    def test_upload_file_http(self):
        self.upload_download(20 * MiB, "big/over-http.bin")

    def test_explicit_parts(self):
        b = self.new_bucket("parts")
        u = self.s3.create_multipart_upload(Bucket=b, Key="obj", ContentType="text/x-parts",
                                            Metadata={"m": "1"})["UploadId"]
        p1 = os.urandom(5 * MiB)
        p2 = os.urandom(5 * MiB)
        p3 = b"tail"
        e1 = self.s3.upload_part(Bucket=b, Key="obj", UploadId=u, PartNumber=1, Body=p1)["ETag"]
        e2 = self.s3.upload_part(Bucket=b, Key="obj", UploadId=u, PartNumber=2, Body=p2)["ETag"]
        e3 = self.s3.upload_part(Bucket=b, Key="obj", UploadId=u, PartNumber=3, Body=p3)["ETag"]
        self.assertEqual(e1, '"%s"' % hashlib.md5(p1).hexdigest())
        lp = self.s3.list_parts(Bucket=b, Key="obj", UploadId=u, MaxParts=2)
        self.assertTrue(lp["IsTruncated"])
        self.assertEqual([p["PartNumber"] for p in lp["Parts"]], [1, 2])
        lp2 = self.s3.list_parts(Bucket=b, Key="obj", UploadId=u,
                                 PartNumberMarker=lp["NextPartNumberMarker"])
        self.assertEqual([p["PartNumber"] for p in lp2["Parts"]], [3])
        self.assertEqual(lp2["Parts"][0]["Size"], 4)
        self.assertS3Error("InvalidPart", self.s3.complete_multipart_upload, Bucket=b, Key="obj",
                           UploadId=u, MultipartUpload={"Parts": [
                               {"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": '"00"'}]})
        self.assertS3Error("InvalidPartOrder", self.s3.complete_multipart_upload, Bucket=b,
                           Key="obj", UploadId=u, MultipartUpload={"Parts": [
                               {"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]})
        # The upload belongs to its key.
        self.assertS3Error("NoSuchUpload", self.s3.list_parts, Bucket=b, Key="other", UploadId=u)
        r = self.s3.complete_multipart_upload(Bucket=b, Key="obj", UploadId=u, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2},
                      {"PartNumber": 3, "ETag": e3}]})
        md5s = b"".join(hashlib.md5(p).digest() for p in (p1, p2, p3))
        self.assertEqual(r["ETag"], '"%s-3"' % hashlib.md5(md5s).hexdigest())
        g = self.s3.get_object(Bucket=b, Key="obj")
        self.assertEqual(g["Body"].read(), p1 + p2 + p3)
        self.assertEqual(g["ContentType"], "text/x-parts")
        self.assertEqual(g["Metadata"], {"m": "1"})
        self.assertS3Error("NoSuchUpload", self.s3.upload_part, Bucket=b, Key="obj", UploadId=u,
                           PartNumber=4, Body=b"late")

    def test_entity_too_small_and_abort(self):
        b = self.new_bucket("small")
        u = self.s3.create_multipart_upload(Bucket=b, Key="s")["UploadId"]
        e1 = self.s3.upload_part(Bucket=b, Key="s", UploadId=u, PartNumber=1, Body=b"a")["ETag"]
        e2 = self.s3.upload_part(Bucket=b, Key="s", UploadId=u, PartNumber=2, Body=b"b")["ETag"]
        self.assertS3Error("EntityTooSmall", self.s3.complete_multipart_upload, Bucket=b, Key="s",
                           UploadId=u, MultipartUpload={"Parts": [
                               {"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
        self.assertS3Error("InvalidArgument", self.s3.upload_part, Bucket=b, Key="s", UploadId=u,
                           PartNumber=10001, Body=b"x")
        self.s3.abort_multipart_upload(Bucket=b, Key="s", UploadId=u)
        self.assertS3Error("NoSuchUpload", self.s3.abort_multipart_upload, Bucket=b, Key="s",
                           UploadId=u)
        self.assertS3Error("NoSuchKey", self.s3.get_object, Bucket=b, Key="s")
        self.s3.delete_bucket(Bucket=b)

    def test_upload_part_copy(self):
        b = self.new_bucket("upc")
        src = os.urandom(12 * MiB)
        self.s3.put_object(Bucket=b, Key="src", Body=src)
        u = self.s3.create_multipart_upload(Bucket=b, Key="dst")["UploadId"]
        r1 = self.s3.upload_part_copy(Bucket=b, Key="dst", UploadId=u, PartNumber=1,
                                      CopySource={"Bucket": b, "Key": "src"},
                                      CopySourceRange="bytes=0-%d" % (6 * MiB - 1))
        r2 = self.s3.upload_part_copy(Bucket=b, Key="dst", UploadId=u, PartNumber=2,
                                      CopySource={"Bucket": b, "Key": "src"},
                                      CopySourceRange="bytes=%d-%d" % (6 * MiB, 12 * MiB - 1))
        self.assertEqual(r1["CopyPartResult"]["ETag"],
                         '"%s"' % hashlib.md5(src[:6 * MiB]).hexdigest())
        e3 = self.s3.upload_part_copy(Bucket=b, Key="dst", UploadId=u, PartNumber=3,
                                      CopySource={"Bucket": b, "Key": "src"})
        self.assertS3Error("InvalidRange", self.s3.upload_part_copy, Bucket=b, Key="dst",
                           UploadId=u, PartNumber=4, CopySource={"Bucket": b, "Key": "src"},
                           CopySourceRange="bytes=0-%d" % (12 * MiB))
        self.assertS3Error("PreconditionFailed", self.s3.upload_part_copy, Bucket=b, Key="dst",
                           UploadId=u, PartNumber=4, CopySource={"Bucket": b, "Key": "src"},
                           CopySourceIfMatch='"nope"')
        self.s3.complete_multipart_upload(Bucket=b, Key="dst", UploadId=u, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": r1["CopyPartResult"]["ETag"]},
                      {"PartNumber": 2, "ETag": r2["CopyPartResult"]["ETag"]},
                      {"PartNumber": 3, "ETag": e3["CopyPartResult"]["ETag"]}]})
        self.assertEqual(self.s3.get_object(Bucket=b, Key="dst")["Body"].read(), src + src)

    def test_complete_conditions(self):
        b = self.new_bucket("mpc")
        self.s3.put_object(Bucket=b, Key="exists", Body=b"x")
        u = self.s3.create_multipart_upload(Bucket=b, Key="exists")["UploadId"]
        e = self.s3.upload_part(Bucket=b, Key="exists", UploadId=u, PartNumber=1,
                                Body=b"y")["ETag"]
        self.assertS3Error("PreconditionFailed", self.s3.complete_multipart_upload, Bucket=b,
                           Key="exists", UploadId=u, IfNoneMatch="*",
                           MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e}]})


if __name__ == "__main__":
    h.main()
