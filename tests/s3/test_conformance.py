"""seglake-s3d answers that must match S3's: conditional deletes, bucket
deletes with uploads in progress, a repeated CompleteMultipartUpload,
CreateBucket of an owned bucket in us-east-1, empty version ids and
continuation tokens, tag limits, Content-Encoding as sent, malformed
lengths, and S3's storage class names. Each case is the AWS answer."""
import base64
import hashlib
import xml.etree.ElementTree as ET

import boto3
import botocore.exceptions
from botocore.config import Config

import s3d_harness as h

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def code_of(body):
    return ET.fromstring(body).findtext("Code")


class Conformance(h.ServerTestCase):
    def assertGone(self, bucket, key):
        """HEAD has no body, so botocore names its error by the status."""
        self.assertS3Error("404", self.s3.head_object, Bucket=bucket, Key=key)

    # Conditional deletes (If-Match on DeleteObject, ETag in DeleteObjects)

    def test_delete_object_if_match(self):
        b = self.new_bucket("cdel")
        etag = self.s3.put_object(Bucket=b, Key="k", Body=b"v1")["ETag"]
        # A wrong ETag: 412, and the object stays.
        self.assertS3Error("PreconditionFailed", self.s3.delete_object, Bucket=b, Key="k",
                           IfMatch='"0123456789abcdef0123456789abcdef"')
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), b"v1")
        # The object changed since the client read its ETag: 412.
        self.s3.put_object(Bucket=b, Key="k", Body=b"v2")
        self.assertS3Error("PreconditionFailed", self.s3.delete_object, Bucket=b, Key="k",
                           IfMatch=etag)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), b"v2")
        # The current ETag (quoted or not) deletes.
        etag2 = self.s3.head_object(Bucket=b, Key="k")["ETag"]
        self.s3.delete_object(Bucket=b, Key="k", IfMatch=etag2.strip('"'))
        self.assertGone(b, "k")
        # If-Match on a key without a current version: 404, nothing written.
        self.assertS3Error("NoSuchKey", self.s3.delete_object, Bucket=b, Key="k", IfMatch=etag2)
        self.assertS3Error("NoSuchKey", self.s3.delete_object, Bucket=b, Key="k", IfMatch="*")
        # If-Match: * deletes whatever is there.
        self.s3.put_object(Bucket=b, Key="any", Body=b"x")
        self.s3.delete_object(Bucket=b, Key="any", IfMatch="*")
        self.assertGone(b, "any")
        # Without If-Match a delete is unconditional, as before.
        self.s3.put_object(Bucket=b, Key="plain", Body=b"x")
        self.s3.delete_object(Bucket=b, Key="plain")

    def test_delete_object_if_match_versioned(self):
        b = self.new_bucket("cdelv")
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        v1 = self.s3.put_object(Bucket=b, Key="k", Body=b"one")
        self.s3.put_object(Bucket=b, Key="k", Body=b"two")
        # The condition is on the current version, whichever version is named.
        self.assertS3Error("PreconditionFailed", self.s3.delete_object, Bucket=b, Key="k",
                           IfMatch=v1["ETag"])
        d = self.s3.delete_object(Bucket=b, Key="k",
                                  IfMatch=self.s3.head_object(Bucket=b, Key="k")["ETag"])
        self.assertTrue(d["DeleteMarker"])
        # Behind a delete marker there is no current version.
        self.assertS3Error("NoSuchKey", self.s3.delete_object, Bucket=b, Key="k", IfMatch="*")

    def test_delete_objects_with_etags(self):
        b = self.new_bucket("cdels")
        e1 = self.s3.put_object(Bucket=b, Key="a", Body=b"a")["ETag"]
        self.s3.put_object(Bucket=b, Key="b", Body=b"b")
        body = ("<Delete><Object><Key>a</Key><ETag>%s</ETag></Object>"
                "<Object><Key>b</Key><ETag>\"00000000000000000000000000000000\"</ETag></Object>"
                "<Object><Key>c</Key><ETag>%s</ETag></Object></Delete>" % (e1, e1)).encode()
        status, _, data = self.server.request(
            "POST", "/%s" % b, query=[("delete", "")], body=body,
            headers={"Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode()})
        self.assertEqual(status, 200, data)
        doc = ET.fromstring(data)
        deleted = [d.findtext(NS + "Key") for d in doc.findall(NS + "Deleted")]
        errors = {e.findtext(NS + "Key"): e.findtext(NS + "Code") for e in doc.findall(NS + "Error")}
        self.assertEqual(deleted, ["a"])
        self.assertEqual(errors, {"b": "PreconditionFailed", "c": "NoSuchKey"})
        self.assertEqual(self.s3.get_object(Bucket=b, Key="b")["Body"].read(), b"b")
        self.assertGone(b, "a")
        # An empty <ETag/> is malformed, not "no condition".
        body = b"<Delete><Object><Key>b</Key><ETag></ETag></Object></Delete>"
        status, _, data = self.server.request(
            "POST", "/%s" % b, query=[("delete", "")], body=body,
            headers={"Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode()})
        self.assertEqual((status, code_of(data)), (400, "MalformedXML"))
        self.assertEqual(self.s3.get_object(Bucket=b, Key="b")["Body"].read(), b"b")

    # Buckets

    def test_delete_bucket_with_only_uploads_in_progress(self):
        b = self.new_bucket("pend")
        up = self.s3.create_multipart_upload(Bucket=b, Key="big")["UploadId"]
        self.s3.upload_part(Bucket=b, Key="big", UploadId=up, PartNumber=1, Body=b"p" * 1024)
        self.s3.delete_bucket(Bucket=b)
        self.assertS3Error("404", self.s3.head_bucket, Bucket=b)
        # The upload went with it; the name is free for a new bucket.
        self.s3.create_bucket(Bucket=b)
        self.assertEqual(self.s3.list_multipart_uploads(Bucket=b).get("Uploads", []), [])
        # A bucket that holds an object is still not empty.
        self.s3.put_object(Bucket=b, Key="o", Body=b"o")
        self.s3.create_multipart_upload(Bucket=b, Key="big")
        self.assertS3Error("BucketNotEmpty", self.s3.delete_bucket, Bucket=b)

    def test_delete_bucket_refuses_arguments(self):
        b = self.new_bucket("args")
        for query in ([("uploadId", "x")], [("prefix", "a")], [("versionId", "v")]):
            status, _, data = self.server.request("DELETE", "/%s" % b, query=query)
            self.assertEqual((status, code_of(data)), (400, "InvalidArgument"), query)
            self.s3.head_bucket(Bucket=b)  # still there
        status, _, _ = self.server.request("DELETE", "/%s" % b)
        self.assertEqual(status, 204)

    def test_create_owned_bucket_in_us_east_1(self):
        b = self.new_bucket("own")
        r = self.s3.create_bucket(Bucket=b)  # us-east-1: 200 again
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.s3.put_object(Bucket=b, Key="k", Body=b"kept")
        self.s3.create_bucket(Bucket=b)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), b"kept")

    def test_create_owned_bucket_elsewhere_is_409(self):
        server = h.Server(extra_args=("--region", "eu-west-1"))
        try:
            server.start()
            s3 = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=h.ACCESS_KEY,
                              aws_secret_access_key=h.SECRET_KEY, region_name="eu-west-1",
                              config=Config(s3={"addressing_style": "path"},
                                            retries={"max_attempts": 1}))
            b = h.unique_bucket("own")
            conf = {"LocationConstraint": "eu-west-1"}
            s3.create_bucket(Bucket=b, CreateBucketConfiguration=conf)
            with self.assertRaises(botocore.exceptions.ClientError) as cm:
                s3.create_bucket(Bucket=b, CreateBucketConfiguration=conf)
            self.assertEqual(cm.exception.response["Error"]["Code"], "BucketAlreadyOwnedByYou")
        finally:
            server.stop()
            server.cleanup()

    # Multipart

    def test_repeated_complete_answers_the_object_again(self):
        b = self.new_bucket("again")
        up = self.s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
        p1 = self.s3.upload_part(Bucket=b, Key="k", UploadId=up, PartNumber=1,
                                 Body=b"a" * (5 << 20))["ETag"]
        p2 = self.s3.upload_part(Bucket=b, Key="k", UploadId=up, PartNumber=2,
                                 Body=b"b" * 100)["ETag"]
        parts = {"Parts": [{"PartNumber": 1, "ETag": p1}, {"PartNumber": 2, "ETag": p2}]}
        first = self.s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=up,
                                                  MultipartUpload=parts)
        again = self.s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=up,
                                                  MultipartUpload=parts)
        self.assertEqual(again["ETag"], first["ETag"])
        self.assertEqual(self.s3.head_object(Bucket=b, Key="k")["ContentLength"], (5 << 20) + 100)
        # Other parts, another upload id, or a replaced object: NoSuchUpload.
        self.assertS3Error("NoSuchUpload", self.s3.complete_multipart_upload, Bucket=b, Key="k",
                           UploadId=up, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1}]})
        self.assertS3Error("NoSuchUpload", self.s3.complete_multipart_upload, Bucket=b, Key="k",
                           UploadId=up + "x", MultipartUpload=parts)
        self.s3.put_object(Bucket=b, Key="k", Body=b"replaced")
        self.assertS3Error("NoSuchUpload", self.s3.complete_multipart_upload, Bucket=b, Key="k",
                           UploadId=up, MultipartUpload=parts)

    # Arguments and headers

    def test_empty_version_id_is_refused(self):
        b = self.new_bucket("vid")
        self.s3.put_object(Bucket=b, Key="k", Body=b"v")
        for method in ("GET", "HEAD", "DELETE"):
            status, _, data = self.server.request(method, "/%s/k" % b, query=[("versionId", "")])
            self.assertEqual(status, 400, method)
            if data:
                self.assertEqual(code_of(data), "InvalidArgument")
        status, _, data = self.server.request("GET", "/%s/k" % b,
                                              query=[("tagging", ""), ("versionId", "")])
        self.assertEqual((status, code_of(data)), (400, "InvalidArgument"))
        status, _, data = self.server.request(
            "PUT", "/%s/copy" % b, headers={"x-amz-copy-source": "/%s/k?versionId=" % b})
        self.assertEqual((status, code_of(data)), (400, "InvalidArgument"))
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), b"v")

    def test_empty_continuation_token_is_absent(self):
        b = self.new_bucket("tok")
        for k in ("a", "b"):
            self.s3.put_object(Bucket=b, Key=k, Body=b"")
        r = self.s3.list_objects_v2(Bucket=b, ContinuationToken="")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["a", "b"])
        status, _, data = self.server.request("GET", "/", query=[("continuation-token", "")])
        self.assertEqual(status, 200, data)

    def test_eleven_tags_are_invalid_tag(self):
        b = self.new_bucket("tags")
        self.s3.put_object(Bucket=b, Key="k", Body=b"")
        tags = [{"Key": "k%d" % i, "Value": "v"} for i in range(11)]
        self.assertS3Error("InvalidTag", self.s3.put_object_tagging, Bucket=b, Key="k",
                           Tagging={"TagSet": tags})
        self.assertS3Error("InvalidTag", self.s3.put_object, Bucket=b, Key="k2", Body=b"",
                           Tagging="&".join("k%d=v" % i for i in range(11)))

    def test_content_encoding_kept_as_sent(self):
        b = self.new_bucket("enc")
        self.s3.put_object(Bucket=b, Key="k", Body=b"x", ContentEncoding="deflate, gzip")
        self.assertEqual(self.s3.head_object(Bucket=b, Key="k")["ContentEncoding"],
                         "deflate, gzip")

    def test_malformed_decoded_length_is_refused(self):
        b = self.new_bucket("len")
        for value in ("-1", "+3", "0x10", ""):
            status, _, data = self.server.request(
                "PUT", "/%s/k" % b, body=b"abc",
                headers={"x-amz-decoded-content-length": value,
                         "Content-Encoding": "aws-chunked"},
                payload_hash="UNSIGNED-PAYLOAD")
            self.assertEqual(status, 400, (value, data))
        self.assertGone(b, "k")
        # A negative Content-Length never reaches a handler.
        reply = h.raw_exchange(self.server.port,
                               b"PUT /%s/k HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"
                               % b.encode())
        self.assertTrue(reply.startswith(b"HTTP/1.1 400"), reply[:80])
        self.assertGone(b, "k")

    def test_storage_classes(self):
        b = self.new_bucket("class")
        self.s3.put_object(Bucket=b, Key="ia", Body=b"ia", StorageClass="STANDARD_IA")
        self.s3.put_object(Bucket=b, Key="std", Body=b"std", StorageClass="STANDARD")
        self.s3.put_object(Bucket=b, Key="none", Body=b"none")
        self.assertEqual(self.s3.head_object(Bucket=b, Key="ia")["StorageClass"], "STANDARD_IA")
        self.assertNotIn("StorageClass", self.s3.head_object(Bucket=b, Key="std"))
        # Archive classes read at once: the class is a label here.
        self.s3.put_object(Bucket=b, Key="deep", Body=b"deep", StorageClass="DEEP_ARCHIVE")
        g = self.s3.get_object(Bucket=b, Key="deep")
        self.assertEqual((g["Body"].read(), g["StorageClass"]), (b"deep", "DEEP_ARCHIVE"))
        listed = {o["Key"]: o["StorageClass"] for o in self.s3.list_objects_v2(Bucket=b)["Contents"]}
        self.assertEqual(listed, {"deep": "DEEP_ARCHIVE", "ia": "STANDARD_IA", "none": "STANDARD",
                                  "std": "STANDARD"})
        versions = {v["Key"]: v["StorageClass"]
                    for v in self.s3.list_object_versions(Bucket=b)["Versions"]}
        self.assertEqual(versions["ia"], "STANDARD_IA")
        self.assertS3Error("InvalidStorageClass", self.s3.put_object, Bucket=b, Key="bad",
                           Body=b"", StorageClass="COLD")
        # A copy with a class header changes the class (also in place).
        self.s3.copy_object(Bucket=b, Key="ia", CopySource={"Bucket": b, "Key": "ia"},
                            StorageClass="GLACIER_IR")
        self.assertEqual(self.s3.head_object(Bucket=b, Key="ia")["StorageClass"], "GLACIER_IR")
        self.s3.copy_object(Bucket=b, Key="ia-copy", CopySource={"Bucket": b, "Key": "ia"})
        self.assertEqual(self.s3.head_object(Bucket=b, Key="ia-copy")["StorageClass"],
                         "GLACIER_IR")
        # Multipart uploads carry it to the object.
        up = self.s3.create_multipart_upload(Bucket=b, Key="mp",
                                             StorageClass="ONEZONE_IA")["UploadId"]
        e = self.s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=1, Body=b"m")["ETag"]
        self.s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e}]})
        self.assertEqual(self.s3.head_object(Bucket=b, Key="mp")["StorageClass"], "ONEZONE_IA")

    def test_get_object_attributes(self):
        b = self.new_bucket("attrs")
        put = self.s3.put_object(Bucket=b, Key="one", Body=b"12345", StorageClass="STANDARD_IA")
        r = self.s3.get_object_attributes(
            Bucket=b, Key="one",
            ObjectAttributes=["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"])
        self.assertEqual(r["ETag"], put["ETag"].strip('"'))  # unquoted here, as S3 writes it
        self.assertEqual(r["ObjectSize"], 5)
        self.assertEqual(r["StorageClass"], "STANDARD_IA")
        self.assertIn("ChecksumCRC32C", r["Checksum"])
        self.assertNotIn("ObjectParts", r)  # a single PUT has no parts
        self.assertIn("LastModified", r)
        # Only what was asked for.
        r = self.s3.get_object_attributes(Bucket=b, Key="one", ObjectAttributes=["ObjectSize"])
        self.assertEqual(r["ObjectSize"], 5)
        self.assertNotIn("ETag", r)
        self.assertNotIn("StorageClass", r)
        # A multipart object counts its parts.
        up = self.s3.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
        parts = []
        for n, body in ((1, b"a" * (5 << 20)), (2, b"b")):
            e = self.s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=n, Body=body)
            parts.append({"PartNumber": n, "ETag": e["ETag"]})
        self.s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up,
                                          MultipartUpload={"Parts": parts})
        r = self.s3.get_object_attributes(Bucket=b, Key="mp",
                                          ObjectAttributes=["ObjectParts", "StorageClass"])
        self.assertEqual(r["ObjectParts"]["TotalPartsCount"], 2)
        self.assertEqual(r["StorageClass"], "STANDARD")
        # Versions, delete markers, missing keys and bad requests.
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        v = self.s3.put_object(Bucket=b, Key="one", Body=b"longer body")["VersionId"]
        r = self.s3.get_object_attributes(Bucket=b, Key="one", VersionId=v,
                                          ObjectAttributes=["ObjectSize"])
        self.assertEqual((r["ObjectSize"], r["VersionId"]), (11, v))
        self.s3.delete_object(Bucket=b, Key="one")
        self.assertS3Error("NoSuchKey", self.s3.get_object_attributes, Bucket=b, Key="one",
                           ObjectAttributes=["ObjectSize"])
        self.assertS3Error("NoSuchKey", self.s3.get_object_attributes, Bucket=b, Key="never",
                           ObjectAttributes=["ObjectSize"])
        for attrs in ("", "ObjectSize,Color"):
            status, _, data = self.server.request(
                "GET", "/%s/mp" % b, query=[("attributes", "")],
                headers={"x-amz-object-attributes": attrs} if attrs else {})
            self.assertEqual((status, code_of(data)), (400, "InvalidArgument"), attrs)


if __name__ == "__main__":
    h.main()
