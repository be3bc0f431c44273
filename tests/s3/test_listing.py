"""seglake-s3d listings with boto3: ListObjects V1/V2 with prefixes,
delimiters, unicode and url-encoded keys, pagination past 1,000 keys;
ListObjectVersions; ListMultipartUploads."""
import concurrent.futures
import urllib.parse
import xml.etree.ElementTree as ET

import s3d_harness as h

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


class Listing(h.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket("list")
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.keys = ["many/%05d" % i for i in range(1100)]
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda k: cls.s3.put_object(Bucket=cls.bucket, Key=k, Body=b"."),
                          cls.keys))
        cls.tree = ["tree/a.txt", "tree/b/c.txt", "tree/b/d.txt", "tree/e/f/g.txt", "tree/h",
                    "tree/ü/ß.txt", "tree/sp ace/x", "tree/plus+/y", "tree/pct%/z",
                    "tree/amp&/w", "tree/new\nline"]
        for k in cls.tree:
            cls.s3.put_object(Bucket=cls.bucket, Key=k, Body=k.encode())

    def test_v2_pagination(self):
        r = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="many/")
        self.assertEqual(r["KeyCount"], 1000)
        self.assertTrue(r["IsTruncated"])
        token = r["NextContinuationToken"]
        r2 = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="many/", ContinuationToken=token)
        self.assertEqual(r2["KeyCount"], 100)
        self.assertFalse(r2["IsTruncated"])
        got = [o["Key"] for o in r["Contents"] + r2["Contents"]]
        self.assertEqual(got, self.keys)
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix="many/", PaginationConfig={"PageSize": 333})
        got = [o["Key"] for p in pages for o in p.get("Contents", [])]
        self.assertEqual(got, self.keys)
        r = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="many/", StartAfter="many/01095")
        self.assertEqual([o["Key"] for o in r["Contents"]], self.keys[1096:])
        self.assertS3Error("InvalidArgument", self.s3.list_objects_v2, Bucket=self.bucket,
                           ContinuationToken="!!notbase64")

    def test_v1_pagination(self):
        pages = self.s3.get_paginator("list_objects").paginate(
            Bucket=self.bucket, Prefix="many/", PaginationConfig={"PageSize": 400})
        got = [o["Key"] for p in pages for o in p.get("Contents", [])]
        self.assertEqual(got, self.keys)
        r = self.s3.list_objects(Bucket=self.bucket, Prefix="many/", Marker="many/00998")
        self.assertEqual(len(r["Contents"]), 101)
        self.assertEqual(r["Contents"][0]["Key"], "many/00999")
        self.assertIn("Owner", r["Contents"][0])

    def test_delimiter(self):
        r = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="tree/", Delimiter="/")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["tree/a.txt", "tree/h",
                                                              "tree/new\nline"])
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]],
                         ["tree/amp&/", "tree/b/", "tree/e/", "tree/pct%/", "tree/plus+/",
                          "tree/sp ace/", "tree/ü/"])
        # Pagination over common prefixes never repeats an entry.
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix="tree/", Delimiter="/", PaginationConfig={"PageSize": 2})
        entries = []
        for p in pages:
            entries += [o["Key"] for o in p.get("Contents", [])]
            entries += [c["Prefix"] for c in p.get("CommonPrefixes", [])]
        self.assertEqual(sorted(entries), sorted(
            [o["Key"] for o in r["Contents"]] + [p["Prefix"] for p in r["CommonPrefixes"]]))
        r = self.s3.list_objects(Bucket=self.bucket, Prefix="", Delimiter="/")
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["many/", "tree/"])
        r = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="tree/b/", Delimiter="/")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["tree/b/c.txt", "tree/b/d.txt"])

    def test_url_encoding(self):
        # boto3 asks for encoding-type=url and decodes; check the raw XML too.
        status, _, data = self.server.request(
            "GET", "/%s" % self.bucket,
            query=[("list-type", "2"), ("prefix", "tree/"), ("encoding-type", "url")])
        self.assertEqual(status, 200)
        doc = ET.fromstring(data)
        self.assertEqual(doc.findtext(NS + "EncodingType"), "url")
        keys = [c.findtext(NS + "Key") for c in doc.iter(NS + "Contents")]
        self.assertIn("tree/sp%20ace/x", keys)
        self.assertIn("tree/new%0Aline", keys)
        self.assertEqual(sorted(urllib.parse.unquote(k) for k in keys), sorted(self.tree))
        # Without encoding, XML escapes keep every byte (the newline too).
        status, _, data = self.server.request(
            "GET", "/%s" % self.bucket, query=[("list-type", "2"), ("prefix", "tree/new")])
        doc = ET.fromstring(data)
        self.assertEqual([c.findtext(NS + "Key") for c in doc.iter(NS + "Contents")],
                         ["tree/new\nline"])
        # Unicode prefixes and delimiters.
        r = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="tree/ü/")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["tree/ü/ß.txt"])
        r = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="tree/", Delimiter="ü")
        self.assertIn("tree/ü", [p["Prefix"] for p in r["CommonPrefixes"]])

    def test_fetch_owner_and_max_keys(self):
        r = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="tree/", MaxKeys=3,
                                    FetchOwner=True)
        self.assertEqual(r["KeyCount"], 3)
        self.assertIn("Owner", r["Contents"][0])
        r = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="tree/", MaxKeys=0)
        self.assertEqual(r["KeyCount"], 0)
        r = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="tree/")
        self.assertNotIn("Owner", r["Contents"][0])

    def test_versions_listing(self):
        b = self.new_bucket("lv")
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        for i in range(3):
            self.s3.put_object(Bucket=b, Key="k", Body=b"%d" % i)
        self.s3.put_object(Bucket=b, Key="d/x", Body=b"x")
        self.s3.delete_object(Bucket=b, Key="k")
        r = self.s3.list_object_versions(Bucket=b)
        self.assertEqual(len(r["Versions"]), 4)
        self.assertEqual(len(r["DeleteMarkers"]), 1)
        self.assertTrue(r["DeleteMarkers"][0]["IsLatest"])
        pages = self.s3.get_paginator("list_object_versions").paginate(
            Bucket=b, PaginationConfig={"PageSize": 1})
        seen = []
        for p in pages:
            seen += [(v["Key"], v["VersionId"]) for v in p.get("Versions", [])]
            seen += [(v["Key"], v["VersionId"]) for v in p.get("DeleteMarkers", [])]
        self.assertEqual(len(seen), 5)
        self.assertEqual(len(set(seen)), 5)
        r = self.s3.list_object_versions(Bucket=b, Delimiter="/")
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["d/"])

    def test_multipart_uploads_listing(self):
        b = self.new_bucket("lmu")
        ids = {}
        for k in ["a/1", "a/2", "b", "c/x/y"]:
            ids[k] = self.s3.create_multipart_upload(Bucket=b, Key=k)["UploadId"]
        r = self.s3.list_multipart_uploads(Bucket=b)
        self.assertEqual(sorted(u["Key"] for u in r["Uploads"]), sorted(ids))
        r = self.s3.list_multipart_uploads(Bucket=b, Delimiter="/")
        self.assertEqual([u["Key"] for u in r["Uploads"]], ["b"])
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["a/", "c/"])
        r = self.s3.list_multipart_uploads(Bucket=b, Prefix="a/")
        self.assertEqual([u["Key"] for u in r["Uploads"]], ["a/1", "a/2"])
        r = self.s3.list_multipart_uploads(Bucket=b, MaxUploads=2)
        self.assertTrue(r["IsTruncated"])
        r2 = self.s3.list_multipart_uploads(Bucket=b, MaxUploads=2, KeyMarker=r["NextKeyMarker"],
                                            UploadIdMarker=r["NextUploadIdMarker"])
        self.assertEqual([u["Key"] for u in r["Uploads"] + r2["Uploads"]],
                         ["a/1", "a/2", "b", "c/x/y"])
        r = self.s3.list_multipart_uploads(Bucket=b, Delimiter="/", MaxUploads=1)
        self.assertTrue(r["IsTruncated"])
        self.assertEqual(r["NextKeyMarker"], "a/")
        r2 = self.s3.list_multipart_uploads(Bucket=b, Delimiter="/", KeyMarker="a/")
        self.assertEqual([u["Key"] for u in r2.get("Uploads", [])], ["b"])
        self.assertEqual([p["Prefix"] for p in r2["CommonPrefixes"]], ["c/"])
        for k, u in ids.items():
            self.s3.abort_multipart_upload(Bucket=b, Key=k, UploadId=u)
        self.assertNotIn("Uploads", self.s3.list_multipart_uploads(Bucket=b))


if __name__ == "__main__":
    h.main()
