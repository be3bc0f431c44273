"""seglake-s3d versioning with boto3: enabled and suspended buckets, version
ids, delete markers and their 404/405 answers."""
import xml.etree.ElementTree as ET

import s3d_harness as h


class Versioning(h.ServerTestCase):
    def test_enabled_flow(self):
        b = self.new_bucket("ver")
        self.assertNotIn("Status", self.s3.get_bucket_versioning(Bucket=b))
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=b)["Status"], "Enabled")
        v1 = self.s3.put_object(Bucket=b, Key="k", Body=b"one")["VersionId"]
        v2 = self.s3.put_object(Bucket=b, Key="k", Body=b"two")["VersionId"]
        self.assertNotEqual(v1, v2)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), b"two")
        g = self.s3.get_object(Bucket=b, Key="k", VersionId=v1)
        self.assertEqual(g["Body"].read(), b"one")
        self.assertEqual(g["VersionId"], v1)
        self.assertEqual(self.s3.head_object(Bucket=b, Key="k", VersionId=v2)["VersionId"], v2)

        d = self.s3.delete_object(Bucket=b, Key="k")
        self.assertTrue(d["DeleteMarker"])
        marker = d["VersionId"]
        r = self.assertS3Error("NoSuchKey", self.s3.get_object, Bucket=b, Key="k")
        headers = r["ResponseMetadata"]["HTTPHeaders"]
        self.assertEqual(headers["x-amz-delete-marker"], "true")
        self.assertEqual(headers["x-amz-version-id"], marker)
        status, headers, data = self.server.request("GET", "/%s/k" % b,
                                                    query=[("versionId", marker)])
        self.assertEqual(status, 405)
        self.assertEqual(ET.fromstring(data).findtext("Code"), "MethodNotAllowed")
        self.assertEqual(headers["x-amz-delete-marker"], "true")
        status, headers, _ = self.server.request("HEAD", "/%s/k" % b, query=[("versionId", marker)])
        self.assertEqual(status, 405)
        # Old versions stay readable; removing the marker restores the key.
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k", VersionId=v2)["Body"].read(), b"two")
        d = self.s3.delete_object(Bucket=b, Key="k", VersionId=marker)
        self.assertTrue(d["DeleteMarker"])
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), b"two")
        # Removing the newest version makes the previous one current.
        self.s3.delete_object(Bucket=b, Key="k", VersionId=v2)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), b"one")
        self.assertS3Error("NoSuchVersion", self.s3.get_object, Bucket=b, Key="k",
                           VersionId=v2)
        # Deleting a version id that does not exist changes nothing.
        self.s3.delete_object(Bucket=b, Key="k", VersionId="00000000000000000000")
        # A bucket with versions is not empty until every version is gone.
        self.s3.delete_object(Bucket=b, Key="k")
        self.assertS3Error("BucketNotEmpty", self.s3.delete_bucket, Bucket=b)
        for v in self.s3.list_object_versions(Bucket=b).get("Versions", []) + \
                self.s3.list_object_versions(Bucket=b).get("DeleteMarkers", []):
            self.s3.delete_object(Bucket=b, Key=v["Key"], VersionId=v["VersionId"])
        self.s3.delete_bucket(Bucket=b)

    def test_suspended(self):
        b = self.new_bucket("sus")
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        v1 = self.s3.put_object(Bucket=b, Key="k", Body=b"versioned")["VersionId"]
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=b)["Status"], "Suspended")
        self.s3.put_object(Bucket=b, Key="k", Body=b"null-1")
        self.s3.put_object(Bucket=b, Key="k", Body=b"null-2")
        vs = self.s3.list_object_versions(Bucket=b)["Versions"]
        self.assertEqual(sorted(v["VersionId"] for v in vs), sorted([v1, "null"]))
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k", VersionId="null")["Body"].read(),
                         b"null-2")
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k", VersionId=v1)["Body"].read(),
                         b"versioned")

    def test_copy_version_and_tags(self):
        b = self.new_bucket("cv")
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        v1 = self.s3.put_object(Bucket=b, Key="src", Body=b"first")["VersionId"]
        self.s3.put_object(Bucket=b, Key="src", Body=b"second")
        c = self.s3.copy_object(Bucket=b, Key="dst",
                                CopySource={"Bucket": b, "Key": "src", "VersionId": v1})
        self.assertEqual(c["CopySourceVersionId"], v1)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="dst")["Body"].read(), b"first")
        self.s3.put_object_tagging(Bucket=b, Key="src", VersionId=v1,
                                   Tagging={"TagSet": [{"Key": "old", "Value": "yes"}]})
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key="src", VersionId=v1)["TagSet"],
                         [{"Key": "old", "Value": "yes"}])
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key="src")["TagSet"], [])

    def test_delete_objects_versions(self):
        b = self.new_bucket("dov")
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        v = self.s3.put_object(Bucket=b, Key="a", Body=b"a")["VersionId"]
        r = self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}]})
        deleted = {d["Key"]: d for d in r["Deleted"]}
        self.assertTrue(deleted["a"]["DeleteMarker"])
        self.assertTrue(deleted["a"]["DeleteMarkerVersionId"])
        r = self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "a", "VersionId": v}]})
        self.assertEqual(r["Deleted"][0]["VersionId"], v)
        self.assertS3Error("NoSuchVersion", self.s3.get_object, Bucket=b, Key="a", VersionId=v)


if __name__ == "__main__":
    h.main()
