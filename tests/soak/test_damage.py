#!/usr/bin/env python3
"""Damage to a data dir behind the daemons' backs, and the tools that find or
repair it:

- bytes flipped inside a segment: `seglake scrub` exits 1 naming the key and
  marks the version damaged; then GET answers 500 and a read in the mount
  EIO, while the other keys still read back;
- a truncated segment: `seglake fsck` exits 1 naming the key and the segment;
- meta.db deleted: `seglake rebuild-index` restores every version (listing,
  ETags, content hashes compared before and after, with the daemons stopped).
"""
import errno
import hashlib
import os
import random
import shutil
import sys
import tempfile
import unittest

import soak_common as c
from soak_common import MiB, h, md5

CLI, S3D, _ = c.binaries()  # exits 77 when something is missing


def segment_files(data_dir):
    d = os.path.join(data_dir, "segments")
    return sorted(os.path.join(d, n) for n in os.listdir(d) if n.endswith(".seg"))


def find_in_segments(data_dir, needle):
    """[(segment path, offset)] of every occurrence of `needle`."""
    hits = []
    for path in segment_files(data_dir):
        with open(path, "rb") as f:
            blob = f.read()
        at = blob.find(needle)
        while at >= 0:
            hits.append((path, at))
            at = blob.find(needle, at + 1)
    return hits


class DataDirTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="seglake-damage-")
        self.data = os.path.join(self.tmp, "data")
        self.mnt = os.path.join(self.tmp, "mnt")
        self.s3d = None
        self.mount = None
        self.rng = random.Random(self.id())
        self.cli("bucket", "create", "dmg", json_out=False)

    def tearDown(self):
        if self.s3d is not None:
            self.s3d.kill()
        if self.mount is not None:
            self.mount.force_cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def cli(self, *args, json_out=True, expect=0):
        rc, out, err = c.run_cli(CLI, self.data, *args, json_out=json_out)
        if expect is not None:
            self.assertEqual(rc, expect, "seglake %s exited %d:\n%s\n%s"
                             % (" ".join(args), rc, out, err))
        return out

    def start(self):
        self.mount = h.Mount(data_dir=self.data, mountpoint=self.mnt, tmp=self.tmp).start()
        self.s3d = c.S3d(S3D, self.data, os.path.join(self.tmp, "s3d.log")).start()
        self.s3 = self.s3d.client()

    def stop(self):
        """A clean stop: both must exit 0 (their segments are then sealed)."""
        rc = self.s3d.stop()
        self.s3d = None
        self.assertEqual(rc, 0, "seglake-s3d exited %s; log:\n%s"
                         % (rc, c.tail(os.path.join(self.tmp, "s3d.log"))))
        m, self.mount = self.mount, None
        m.stop()

    def data_of(self, size, tag):
        head = ("<%s>" % tag).encode()
        return head + self.rng.randbytes(size - len(head))

    def put(self, bucket, key, data):
        r = self.s3.put_object(Bucket=bucket, Key=key, Body=data)
        self.assertEqual(r["ETag"].strip('"'), md5(data))
        return r

    def write_fs(self, bucket, key, data):
        p = os.path.join(self.mnt, bucket, key)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)

    def read_fs(self, bucket, key):
        with open(os.path.join(self.mnt, bucket, key), "rb") as f:
            return f.read()

    def locate(self, data):
        """The one (segment, offset) holding the middle of `data`."""
        mid = len(data) // 2
        hits = find_in_segments(self.data, data[mid:mid + 64])
        self.assertEqual(len(hits), 1, "expected the bytes in exactly one segment: %s" % hits)
        return hits[0][0], hits[0][1]


class FlippedBytes(DataDirTestCase):
    def test_scrub_finds_and_marks_then_reads_fail(self):
        self.start()
        victims = {"s3/victim": self.data_of(300_000, "s3 victim"),
                   "fs/victim": self.data_of(200_000, "fs victim")}
        intact = {"s3/ok": self.data_of(150_000, "s3 ok"), "fs/ok": self.data_of(90_000, "fs ok"),
                  "s3/big": self.data_of(3 * MiB, "s3 big")}
        for k, d in list(victims.items()) + list(intact.items()):
            if k.startswith("s3/"):
                self.put("dmg", k, d)
            else:
                self.write_fs("dmg", k, d)
        self.stop()
        self.cli("scrub", "--no-mark")  # clean before the damage
        for k, d in victims.items():
            seg, off = self.locate(d)
            with open(seg, "r+b") as f:
                f.seek(off + 10)
                b = f.read(1)
                f.seek(off + 10)
                f.write(bytes([b[0] ^ 0xFF]))
        rc, out, err = c.run_cli(CLI, self.data, "scrub")
        self.assertEqual(rc, 1, "scrub after flipping bytes exited %d: %s %s" % (rc, out, err))
        kinds = {}
        for p in out["problems"]:
            kinds.setdefault(p["kind"], []).append(p)
        self.assertEqual(len(kinds.get("crc-mismatch", [])), 2, out)
        damaged = sorted(p["key"] for p in kinds.get("damaged-version", []))
        self.assertEqual(damaged, sorted(victims), out)
        self.assertEqual(out["damaged_versions"], 2, out)
        self.assertTrue(out["marked"], out)
        # The table output names the keys too.
        rc, text, _ = c.run_cli(CLI, self.data, "scrub", "--no-mark", json_out=False)
        self.assertEqual(rc, 1, text)
        for k in victims:
            self.assertIn("dmg/" + k, text)

        self.start()
        for k in victims:
            with self.assertRaises(c.botocore.exceptions.ClientError) as cm:
                self.s3.get_object(Bucket="dmg", Key=k)["Body"].read()
            self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 500,
                             cm.exception.response)
            with self.assertRaises(OSError) as cm:
                self.read_fs("dmg", k)
            self.assertEqual(cm.exception.errno, errno.EIO, "reading %s in the mount" % k)
        for k, d in intact.items():
            r = self.s3.get_object(Bucket="dmg", Key=k)
            self.assertEqual(md5(r["Body"].read()), md5(d), k)
            self.assertEqual(r["ETag"].strip('"'), md5(d), k)
            self.assertEqual(md5(self.read_fs("dmg", k)), md5(d), k)
        self.stop()


class TruncatedSegment(DataDirTestCase):
    def test_fsck_finds_it(self):
        self.start()
        before = self.data_of(100_000, "before")
        victim = self.data_of(400_000, "victim")
        self.put("dmg", "a/before", before)
        self.put("dmg", "a/victim", victim)
        self.stop()
        self.cli("fsck")  # clean before the damage
        seg, off = self.locate(victim)
        self.assertEqual(self.locate(before)[0], seg, "both objects in one segment")
        # Cut the victim's record in the middle (and with it the footer and
        # trailer that sealed the segment).
        os.truncate(seg, off)
        rc, out, err = c.run_cli(CLI, self.data, "fsck")
        self.assertEqual(rc, 1, "fsck after truncating a segment exited %d: %s %s"
                         % (rc, out, err))
        named = [p for p in out["problems"] if p["key"] == "a/victim"]
        self.assertTrue(named, "fsck does not name a/victim: %s" % out)
        self.assertTrue(any(p["segment_file"] == os.path.basename(seg) for p in named), out)
        self.assertFalse(any(p["key"] == "a/before" for p in out["problems"]),
                         "a/before lies before the cut: %s" % out)
        rc, text, _ = c.run_cli(CLI, self.data, "fsck", json_out=False)
        self.assertEqual(rc, 1, text)
        self.assertIn("dmg/a/victim", text)
        self.assertIn(os.path.basename(seg), text)


class RebuildIndex(DataDirTestCase):
    FIELDS = ("key", "version_id", "is_latest", "delete_marker", "size", "etag", "parts",
              "attrs", "last_modified_ns")

    def snapshot(self):
        """Buckets, versioning, and every version of every bucket with its
        content hash, read with the CLI (daemons stopped)."""
        buckets = self.cli("bucket", "list")
        names = sorted(b["name"] for b in buckets["buckets"])
        out = {"buckets": {}}
        for b in names:
            versioning = self.cli("bucket", "versioning", b, json_out=False).strip()
            versions = []
            for v in self.cli("ls", b, "--versions", "--page-size", "7")["versions"]:
                row = {f: v.get(f) for f in self.FIELDS}
                if not v["delete_marker"]:
                    dest = os.path.join(self.tmp, "get.out")
                    self.cli("get", b, v["key"], "--version-id", v["version_id"], "-o", dest,
                             json_out=False)
                    with open(dest, "rb") as f:
                        row["md5"] = md5(f.read())
                versions.append(row)
            out["buckets"][b] = {"versioning": versioning, "versions": versions}
        return out

    def test_rebuild_restores_every_version(self):
        self.start()
        s3 = self.s3
        s3.create_bucket(Bucket="ver")
        s3.put_bucket_versioning(Bucket="ver", VersioningConfiguration={"Status": "Enabled"})
        contents = {}
        for i in range(3):  # three versions of one key
            self.put("ver", "doc", self.data_of(50_000 + i, "doc v%d" % i))
        v = s3.put_object(Bucket="ver", Key="gone", Body=b"soon deleted")["VersionId"]
        s3.delete_object(Bucket="ver", Key="gone")  # a delete marker over it
        s3.delete_object(Bucket="ver", Key="gone", VersionId=v)  # and the version removed
        self.put("ver", "marked", self.data_of(1000, "marked"))
        s3.delete_object(Bucket="ver", Key="marked")
        parts = [self.data_of(5 * MiB, "p1"), self.data_of(700_000, "p2")]
        uid = s3.create_multipart_upload(Bucket="ver", Key="mpu")["UploadId"]
        done = [{"PartNumber": i, "ETag": s3.upload_part(Bucket="ver", Key="mpu", UploadId=uid,
                                                         PartNumber=i, Body=p)["ETag"]}
                for i, p in enumerate(parts, 1)]
        s3.complete_multipart_upload(Bucket="ver", Key="mpu", UploadId=uid,
                                     MultipartUpload={"Parts": done})
        s3.copy_object(Bucket="ver", Key="mpu-copy", CopySource={"Bucket": "ver", "Key": "mpu"})
        s3.copy_object(Bucket="dmg", Key="from-ver", CopySource={"Bucket": "ver", "Key": "doc"})
        for i in range(6):
            contents["plain/o%d" % i] = self.data_of(self.rng.choice([0, 10, 70_000, 1_300_000])
                                                     + 20, "plain %d" % i)
            self.put("dmg", "plain/o%d" % i, contents["plain/o%d" % i])
        self.put("dmg", "plain/o1", self.data_of(30_000, "plain 1 again"))  # replaced
        s3.delete_object(Bucket="dmg", Key="plain/o2")
        for i in range(4):
            self.write_fs("dmg", "fs/f%d" % i, self.data_of(20_000 * (i + 1), "fs %d" % i))
        os.rename(os.path.join(self.mnt, "dmg", "fs", "f0"),
                  os.path.join(self.mnt, "dmg", "fs", "renamed"))
        os.rename(os.path.join(self.mnt, "dmg", "fs"), os.path.join(self.mnt, "dmg", "fs2"))
        os.unlink(os.path.join(self.mnt, "dmg", "fs2", "f1"))
        p = os.path.join(self.mnt, "dmg", "fs2", "f2")
        fd = os.open(p, os.O_RDWR)
        os.pwrite(fd, b"patched in the middle", 1000)
        os.fsync(fd)
        os.close(fd)
        os.mkdir(os.path.join(self.mnt, "dmg", "emptydir"))
        # Segments that GC deletes carry their log records into its own.
        self.stop()
        self.start()  # the first run's segments are sealed now
        self.put("dmg", "plain/o3", self.data_of(40_000, "plain 3 again"))
        self.cli("compact", "run", "--max-live", "1")
        self.cli("gc", "run", "--grace", "0s")
        self.stop()

        self.cli("fsck")
        before = self.snapshot()
        n = sum(len(b["versions"]) for b in before["buckets"].values())
        self.assertGreater(n, 15, before)
        for name in os.listdir(self.data):
            if name in ("meta.db", "meta.db-wal", "meta.db-shm"):
                os.remove(os.path.join(self.data, name))
        self.cli("rebuild-index", json_out=False)
        self.cli("fsck")
        after = self.snapshot()
        for b in sorted(set(before["buckets"]) | set(after["buckets"])):
            self.assertIn(b, after["buckets"], "bucket %s lost" % b)
            self.assertIn(b, before["buckets"], "bucket %s appeared" % b)
            x, y = before["buckets"][b], after["buckets"][b]
            self.assertEqual(x["versioning"], y["versioning"], b)
            self.assertEqual(len(x["versions"]), len(y["versions"]),
                             "%s: %d versions before, %d after" % (b, len(x["versions"]),
                                                                  len(y["versions"])))
            for vx, vy in zip(x["versions"], y["versions"]):
                self.assertEqual(vx, vy, "%s: a version differs after rebuild-index" % b)
        # And the daemons serve the rebuilt index.
        self.start()
        for row in after["buckets"]["ver"]["versions"]:
            if row["delete_marker"]:
                continue
            r = self.s3.get_object(Bucket="ver", Key=row["key"], VersionId=row["version_id"])
            self.assertEqual(md5(r["Body"].read()), row["md5"], row)
            self.assertEqual(r["ETag"].strip('"'), row["etag"], row)
        for row in after["buckets"]["dmg"]["versions"]:
            if row["is_latest"] and not row["delete_marker"] and not row["key"].endswith("/"):
                self.assertEqual(md5(self.read_fs("dmg", row["key"])), row["md5"], row)
        self.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
