"""seglake-mount and seglake-s3d on one data dir: changes over S3 appear in
the mount within about poll_ms, and files closed or fsync'd in the mount are
objects over S3 at once, with ETags that are never stale."""
import ctypes
import hashlib
import json
import os
import stat
import sys
import time

import fuse_harness as h

MiB = 1 << 20
VISIBLE_P99 = 0.200  # seconds from a PUT's response to the mount showing it
FALLOC_FL_KEEP_SIZE = 1
FALLOC_FL_PUNCH_HOLE = 2
h.LIBC.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]


class Coherence(h.MountTestCase):
    with_s3 = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.aws = h.Aws(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.aws.cleanup()
        super().tearDownClass()

    def setUp(self):
        self.b = self.new_bucket("c")
        self.bucket = os.path.basename(self.b)

    # helpers

    def path(self, key):
        return os.path.join(self.b, key)

    def etag(self, key):
        return self.s3.head_object(Bucket=self.bucket, Key=key)["ETag"].strip('"')

    def s3_bytes(self, key):
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def keys(self, prefix=""):
        out = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                        Prefix=prefix):
            out += [o["Key"] for o in page.get("Contents", [])]
        return out

    def wait_content(self, key, data, timeout=2.0):
        """Waits until the mount shows `key` with exactly `data`."""
        path = self.path(key)

        def check():
            if os.stat(path).st_size != len(data):
                return False
            return h.read_file(path) == data
        h.wait_for(check, timeout, what="%s to read %d new bytes in the mount" % (key, len(data)))

    def wait_gone(self, key, timeout=2.0):
        path = self.path(key)
        parent, name = os.path.split(path)

        def gone():
            if os.path.lexists(path):
                return False
            try:
                return name not in os.listdir(parent)
            except FileNotFoundError:
                return True
        h.wait_for(gone, timeout, what="%s to disappear from the mount" % key)

    def assertEtagIsMd5(self, key, data):
        self.assertEqual(self.etag(key), h.md5(data), key)
        self.assertEqual(self.s3_bytes(key), data, key)

    # S3 -> mount

    def test_buckets_both_ways(self):
        name = "made-over-s3-%d" % os.getpid()
        self.s3.create_bucket(Bucket=name)
        h.wait_for(lambda: name in os.listdir(self.mnt), 2, what="a new bucket in the root")
        self.assertTrue(os.path.isdir(os.path.join(self.mnt, name)))
        self.s3.delete_bucket(Bucket=name)
        h.wait_for(lambda: name not in os.listdir(self.mnt)
                   and not os.path.exists(os.path.join(self.mnt, name)), 2,
                   what="a deleted bucket to go")
        # mkdir and rmdir at the root are bucket operations over S3 at once.
        b = self.new_bucket("m")
        self.s3.head_bucket(Bucket=os.path.basename(b))
        os.rmdir(b)
        with self.assertRaises(Exception):
            self.s3.head_bucket(Bucket=os.path.basename(b))

    def test_put_visible_within_poll(self):
        """~50 PUTs (new keys and overwrites of files just read): the time from
        each PUT's response until stat, readdir and read show it."""
        os.mkdir(self.path("lat"))
        delays = []
        created = []
        for i in range(50):
            overwrite = i >= 10 and i % 2 == 0
            key = created[i % len(created)] if overwrite else "lat/k%03d" % i
            if not overwrite:
                created.append(key)
            path = self.path(key)
            data = os.urandom(1 + (i * 1543) % 70_000)
            if overwrite:
                h.read_file(path)  # pages and attributes cached
            else:
                self.assertFalse(os.path.exists(path))  # a cached negative entry
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
            t0 = time.monotonic()
            while True:
                try:
                    if os.stat(path).st_size == len(data) and \
                            os.path.basename(key) in os.listdir(self.path("lat")) and \
                            h.read_file(path) == data:
                        break
                except FileNotFoundError:
                    pass
                if time.monotonic() - t0 > 5:
                    self.fail("PUT %s not shown in the mount after 5 s" % key)
                time.sleep(0.002)
            delays.append(time.monotonic() - t0)
        delays.sort()
        p50 = delays[len(delays) // 2]
        p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99 + 0.999) - 1)]
        print("\nPUT -> mount: p50 %.0f ms, p99 %.0f ms, max %.0f ms"
              % (p50 * 1e3, p99 * 1e3, delays[-1] * 1e3), file=sys.stderr)
        self.assertLessEqual(p99, VISIBLE_P99, "p99 %.0f ms" % (p99 * 1e3))

    def test_overwrite_same_size_drops_cached_pages(self):
        a, b = os.urandom(3 * MiB), os.urandom(3 * MiB)
        self.s3.put_object(Bucket=self.bucket, Key="same", Body=a)
        self.wait_content("same", a)
        self.assertEqual(h.read_file(self.path("same")), a)  # in the page cache now
        self.s3.put_object(Bucket=self.bucket, Key="same", Body=b)
        self.wait_content("same", b)

    def test_delete_over_s3(self):
        self.s3.put_object(Bucket=self.bucket, Key="d1/keep", Body=b"k")
        self.s3.put_object(Bucket=self.bucket, Key="d1/drop", Body=b"d")
        self.s3.put_object(Bucket=self.bucket, Key="only/one", Body=b"o")
        self.wait_content("d1/drop", b"d")
        self.wait_content("only/one", b"o")
        self.s3.delete_object(Bucket=self.bucket, Key="d1/drop")
        self.wait_gone("d1/drop")
        self.assertEqual(os.listdir(self.path("d1")), ["keep"])
        # A directory whose last key is deleted over S3 disappears, as in S3.
        self.s3.delete_object(Bucket=self.bucket, Key="only/one")
        self.wait_gone("only")
        self.assertEqual(sorted(os.listdir(self.b)), ["d1"])

    def test_multipart_boto3(self):
        parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(MiB + 7)]
        up = self.s3.create_multipart_upload(Bucket=self.bucket, Key="mp/obj")
        done = []
        for n, body in enumerate(parts, 1):
            r = self.s3.upload_part(Bucket=self.bucket, Key="mp/obj", UploadId=up["UploadId"],
                                    PartNumber=n, Body=body)
            done.append({"PartNumber": n, "ETag": r["ETag"]})
        self.assertFalse(os.path.exists(self.path("mp/obj")), "shown before Complete")
        self.s3.complete_multipart_upload(Bucket=self.bucket, Key="mp/obj",
                                          UploadId=up["UploadId"],
                                          MultipartUpload={"Parts": done})
        data = b"".join(parts)
        self.wait_content("mp/obj", data, timeout=5)
        self.assertRegex(self.etag("mp/obj"), r"^[0-9a-f]{32}-3$")
        fd = os.open(self.path("mp/obj"), os.O_RDONLY)
        try:
            for off in (5 * MiB - 10, 10 * MiB - 3, len(data) - 5):
                self.assertEqual(os.pread(fd, 20, off), data[off:off + 20])
            self.assertEqual(os.lseek(fd, 0, os.SEEK_HOLE), len(data))
        finally:
            os.close(fd)
        self.assertTrue(stat.S_ISREG(os.stat(self.path("mp/obj")).st_mode))

    def test_aws_cli_multipart_and_copy(self):
        src = os.path.join(self.mount.tmp, "cli-src.bin")
        data = os.urandom(20 * MiB + 3)
        h.write_file(src, data)
        self.aws("s3", "cp", src, "s3://%s/cli/big.bin" % self.bucket)
        self.wait_content("cli/big.bin", data, timeout=5)
        self.assertRegex(self.etag("cli/big.bin"), r"-\d+$")
        self.aws("s3", "cp", "s3://%s/cli/big.bin" % self.bucket,
                 "s3://%s/cli/copy.bin" % self.bucket)
        self.wait_content("cli/copy.bin", data, timeout=5)
        h.write_file(src, b"single put")
        self.aws("s3api", "put-object", "--bucket", self.bucket, "--key", "cli/small",
                 "--body", src)
        self.wait_content("cli/small", b"single put")
        self.aws("s3", "rm", "s3://%s/cli/big.bin" % self.bucket)
        self.wait_gone("cli/big.bin")
        self.assertEqual(sorted(os.listdir(self.path("cli"))), ["copy.bin", "small"])
        os.unlink(src)

    def test_copy_object(self):
        data = os.urandom(200_000)
        self.s3.put_object(Bucket=self.bucket, Key="src", Body=data)
        self.s3.copy_object(Bucket=self.bucket, Key="dst/copied",
                            CopySource={"Bucket": self.bucket, "Key": "src"})
        self.wait_content("dst/copied", data)
        self.s3.copy_object(Bucket=self.bucket, Key="dst/with-mode",
                            CopySource={"Bucket": self.bucket, "Key": "src"},
                            MetadataDirective="REPLACE",
                            Metadata={"mode": str(stat.S_IFREG | 0o600)})
        self.wait_content("dst/with-mode", data)
        self.assertEqual(stat.S_IMODE(os.stat(self.path("dst/with-mode")).st_mode), 0o600)
        # Overwrite by copy: the mount reads the new bytes.
        self.s3.put_object(Bucket=self.bucket, Key="src2", Body=b"replacement")
        self.s3.copy_object(Bucket=self.bucket, Key="dst/copied",
                            CopySource={"Bucket": self.bucket, "Key": "src2"})
        self.wait_content("dst/copied", b"replacement")

    def test_open_file_keeps_its_version(self):
        old, new = os.urandom(3 * MiB), os.urandom(MiB)
        self.s3.put_object(Bucket=self.bucket, Key="v", Body=old)
        self.wait_content("v", old)
        fd = os.open(self.path("v"), os.O_RDONLY)
        try:
            self.assertEqual(os.pread(fd, 10, 0), old[:10])
            self.s3.put_object(Bucket=self.bucket, Key="v", Body=new)
            # SEMANTICS.md: the open file keeps its version from when the
            # mount has seen the change (one poll); a reopen inside that
            # window would share the kernel's pages of the old inode.
            time.sleep(0.3)
            self.wait_content("v", new)
            got = h.pread_all(fd, len(old))
            self.assertEqual((len(got), h.md5(got)), (len(old), h.md5(old)),
                             "the open file's first bytes are %s"
                             % ("the new version's" if got[:64] == new[:64] else
                                "the old version's" if got[:64] == old[:64] else "neither"))
        finally:
            os.close(fd)

    # mount -> S3

    def test_closed_file_visible_at_once(self):
        os.mkdir(self.path("w"))
        for name, data in (("empty", b""), ("one", b"1"), ("mid", os.urandom(100_000)),
                           ("big", os.urandom(3 * MiB + 5))):
            h.write_file(self.path("w/" + name), data)
            self.assertEtagIsMd5("w/" + name, data)
        h.touch(self.path("w/created"))
        self.assertEtagIsMd5("w/created", b"")
        out = self.aws("s3api", "head-object", "--bucket", self.bucket, "--key", "w/mid").stdout
        head = json.loads(out)
        self.assertEqual(head["ETag"].strip('"'),
                         h.md5(h.read_file(self.path("w/mid"))))
        self.assertEqual(head["ContentLength"], 100_000)

    def test_fsync_visible_at_once(self):
        fd = os.open(self.path("sync"), os.O_CREAT | os.O_WRONLY, 0o644)
        try:
            os.write(fd, b"first part")
            os.fsync(fd)
            self.assertEtagIsMd5("sync", b"first part")
            os.write(fd, b", second part")
            os.fdatasync(fd)
            self.assertEtagIsMd5("sync", b"first part, second part")
        finally:
            os.close(fd)

    def test_etag_never_stale(self):
        key = "edit"
        data = bytearray(os.urandom(2 * MiB))
        h.write_file(self.path(key), data)
        self.assertEtagIsMd5(key, bytes(data))

        def check(what):
            self.assertEqual(self.etag(key), h.md5(bytes(data)), what)
            self.assertEqual(self.s3_bytes(key), bytes(data), what)
            out = self.aws("s3api", "head-object", "--bucket", self.bucket, "--key", key).stdout
            self.assertEqual(json.loads(out)["ETag"].strip('"'), h.md5(bytes(data)), what)

        fd = os.open(self.path(key), os.O_RDWR)
        try:
            os.pwrite(fd, b"MIDDLE", MiB)
            data[MiB:MiB + 6] = b"MIDDLE"
            os.fsync(fd)
            check("after a write in the middle and fsync")
            os.pwrite(fd, b"again", 10)
            data[10:15] = b"again"
        finally:
            os.close(fd)
        check("after a write in the middle and close")
        os.truncate(self.path(key), MiB + 3)
        del data[MiB + 3:]
        check("after truncate")
        fd = os.open(self.path(key), os.O_RDWR)
        try:
            self.assertEqual(h.LIBC.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                              4096, 8192), 0)
            data[4096:12288] = bytes(8192)
        finally:
            os.close(fd)
        check("after punching a hole")
        src = os.open(self.path(key), os.O_RDONLY)
        dst = os.open(self.path(key + ".copy"), os.O_CREAT | os.O_WRONLY, 0o644)
        try:
            n = 0
            while n < 500_000:
                n += os.copy_file_range(src, dst, 500_000 - n, 100 + n, n)
        finally:
            os.close(src)
            os.close(dst)
        self.assertEtagIsMd5(key + ".copy", bytes(data[100:500_100]))
        with open(self.path(key), "ab") as f:
            f.write(b"appended")
        data += b"appended"
        check("after an append")

    def test_large_file_changed_gets_composite_etag(self):
        key = "large"
        size = 65 * MiB
        chunk = os.urandom(MiB)

        def block(i):
            return chunk[i:] + chunk[:i]

        md5 = hashlib.md5()
        with open(self.path(key), "wb") as f:
            for i in range(65):
                f.write(block(i))
                md5.update(block(i))
        self.assertEqual(self.etag(key), md5.hexdigest(), "written front to back")
        first = self.etag(key)
        fd = os.open(self.path(key), os.O_RDWR)
        try:
            os.pwrite(fd, b"X" * 100, 30 * MiB)
        finally:
            os.close(fd)
        second = self.etag(key)
        self.assertRegex(second, r"^[0-9a-f]{32}-1$")
        self.assertNotEqual(second, first)
        got = self.s3.get_object(Bucket=self.bucket, Key=key,
                                 Range="bytes=%d-%d" % (30 * MiB - 1, 30 * MiB + 100))
        self.assertEqual(got["Body"].read(), block(29)[-1:] + b"X" * 100 + block(30)[100:101])
        fd = os.open(self.path(key), os.O_RDWR)
        try:
            os.pwrite(fd, b"Y", 60 * MiB)
        finally:
            os.close(fd)
        third = self.etag(key)
        self.assertRegex(third, r"^[0-9a-f]{32}-1$")
        self.assertNotIn(third, (first, second))
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key=key)["ContentLength"],
                         size)

    def test_rename_in_mount_moves_keys(self):
        for k in ("tree/a", "tree/sub/b", "tree/sub/deeper/c"):
            self.s3.put_object(Bucket=self.bucket, Key=k, Body=k.encode())
        self.wait_content("tree/sub/deeper/c", b"tree/sub/deeper/c")
        os.rename(self.path("tree"), self.path("moved"))
        self.assertEqual(self.keys("tree/"), [])
        self.assertEqual(sorted(self.keys("moved/")),
                         ["moved/a", "moved/sub/b", "moved/sub/deeper/c"])
        self.assertEqual(self.s3_bytes("moved/sub/b"), b"tree/sub/b")
        os.rename(self.path("moved/a"), self.path("moved/a2"))
        self.assertEqual(self.s3_bytes("moved/a2"), b"tree/a")
        self.assertNotIn("moved/a", self.keys("moved/"))

    # attributes

    def test_posix_attrs_from_s3(self):
        self.s3.put_object(Bucket=self.bucket, Key="attr/f", Body=b"attrs",
                           Metadata={"mode": str(stat.S_IFREG | 0o640), "uid": "1234",
                                     "gid": "5678", "mtime": "1600000000"})
        self.s3.put_object(Bucket=self.bucket, Key="attr/plain", Body=b"defaults")
        self.s3.put_object(Bucket=self.bucket, Key="attr/d/", Body=b"",
                           Metadata={"mode": str(stat.S_IFDIR | 0o750), "uid": "42"})
        self.wait_content("attr/f", b"attrs")
        st = os.stat(self.path("attr/f"))
        self.assertTrue(stat.S_ISREG(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o640)
        self.assertEqual((st.st_uid, st.st_gid), (1234, 5678))
        self.assertEqual(int(st.st_mtime), 1_600_000_000)
        st = os.stat(self.path("attr/plain"))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o644)
        self.assertEqual((st.st_uid, st.st_gid), (os.getuid(), os.getgid()))
        lm = self.s3.head_object(Bucket=self.bucket, Key="attr/plain")["LastModified"]
        self.assertAlmostEqual(st.st_mtime, lm.timestamp(), delta=1)
        h.wait_for(lambda: os.path.isdir(self.path("attr/d")), 2, what="attr/d")
        st = os.stat(self.path("attr/d"))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o750)
        self.assertEqual(st.st_uid, 42)
        # Changed over S3: the mount follows.
        self.s3.copy_object(Bucket=self.bucket, Key="attr/f",
                            CopySource={"Bucket": self.bucket, "Key": "attr/f"},
                            MetadataDirective="REPLACE",
                            Metadata={"mode": str(stat.S_IFREG | 0o600), "uid": "1",
                                      "gid": "2", "mtime": "1700000000"})
        h.wait_for(lambda: stat.S_IMODE(os.stat(self.path("attr/f")).st_mode) == 0o600, 2,
                   what="the new mode")
        st = os.stat(self.path("attr/f"))
        self.assertEqual((st.st_uid, st.st_gid, int(st.st_mtime)), (1, 2, 1_700_000_000))

    def test_posix_attrs_to_s3(self):
        path = self.path("chattr")
        h.write_file(path, b"same bytes")
        etag = self.etag("chattr")
        os.chmod(path, 0o751)
        os.chown(path, 321, 654)
        os.utime(path, (1_234_567_890, 1_234_567_890))
        meta = self.s3.head_object(Bucket=self.bucket, Key="chattr")["Metadata"]
        self.assertEqual(int(meta["mode"]) & 0o7777, 0o751)
        if int(meta["mode"]) & stat.S_IFMT(0o177777):
            self.assertTrue(stat.S_ISREG(int(meta["mode"])))
        self.assertEqual((int(meta["uid"]), int(meta["gid"])), (321, 654))
        self.assertEqual(float(meta["mtime"]), 1_234_567_890)
        self.assertEqual(self.etag("chattr"), etag, "attributes do not change the bytes")
        self.assertEqual(self.s3_bytes("chattr"), b"same bytes")
        # mkdir writes the marker with its mode.
        os.mkdir(self.path("newdir"), 0o705)
        head = self.s3.head_object(Bucket=self.bucket, Key="newdir/")
        self.assertEqual(head["ContentLength"], 0)
        self.assertEqual(int(head["Metadata"]["mode"]) & 0o7777, 0o705)

    def test_xattrs_both_sides(self):
        path = self.path("xa")
        h.write_file(path, b"x")
        os.setxattr(path, "user.color", b"blue")
        meta = self.s3.head_object(Bucket=self.bucket, Key="xa")["Metadata"]
        self.assertEqual(meta.get("color"), "blue")
        self.s3.put_object(Bucket=self.bucket, Key="xb", Body=b"y",
                           Metadata={"flavor": "vanilla", "mode": str(stat.S_IFREG | 0o600)})
        self.wait_content("xb", b"y")
        self.assertEqual(os.getxattr(self.path("xb"), "user.flavor"), b"vanilla")
        self.assertIn("user.flavor", os.listxattr(self.path("xb")))
        os.removexattr(path, "user.color")
        self.assertNotIn("color", self.s3.head_object(Bucket=self.bucket, Key="xa")["Metadata"])
        # Replaced over S3: the mount shows the new metadata.
        self.s3.copy_object(Bucket=self.bucket, Key="xb",
                            CopySource={"Bucket": self.bucket, "Key": "xb"},
                            MetadataDirective="REPLACE", Metadata={"flavor": "mint"})
        h.wait_for(lambda: os.getxattr(self.path("xb"), "user.flavor") == b"mint", 2,
                   what="user.flavor to follow S3")

    def test_symlinks_both_sides(self):
        os.symlink("some/target", self.path("ln"))
        obj = self.s3.get_object(Bucket=self.bucket, Key="ln")
        self.assertEqual(obj["Body"].read(), b"some/target")
        self.assertTrue(stat.S_ISLNK(int(obj["Metadata"]["mode"])))
        # An s3fs-style symlink written over S3.
        self.s3.put_object(Bucket=self.bucket, Key="s3fs-link", Body=b"../elsewhere",
                           Metadata={"mode": str(stat.S_IFLNK | 0o777)})
        h.wait_for(lambda: os.path.islink(self.path("s3fs-link")), 2, what="s3fs symlink")
        self.assertEqual(os.readlink(self.path("s3fs-link")), "../elsewhere")

    # directories

    def test_directories_both_sides(self):
        os.mkdir(self.path("made"))
        self.assertIn("made/", self.keys("made"))
        self.s3.put_object(Bucket=self.bucket, Key="imp/a/b/f", Body=b"f")
        self.wait_content("imp/a/b/f", b"f")
        for d in ("imp", "imp/a", "imp/a/b"):
            self.assertTrue(os.path.isdir(self.path(d)), d)
        self.assertEqual(self.keys("imp/"), ["imp/a/b/f"])
        # The last entry unlinked through the mount: the directory stays, as a marker.
        os.unlink(self.path("imp/a/b/f"))
        self.assertEqual(self.keys("imp/"), ["imp/a/b/"])
        time.sleep(1.1)
        self.assertTrue(os.path.isdir(self.path("imp/a/b")))
        self.assertEqual(os.listdir(self.path("imp/a/b")), [])
        # rmdir removes the marker; imp/a then holds nothing and stays as a marker.
        os.rmdir(self.path("imp/a/b"))
        self.assertNotIn("imp/a/b/", self.keys("imp/"))
        self.assertTrue(os.path.isdir(self.path("imp/a")))


class TwoMounts(h.MountTestCase):
    """A second mount of the same data dir sees the first one's commits."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = h.Mount(data_dir=cls.mount.data_dir)
        try:
            cls.other.start()
        except BaseException:
            cls._shutdown()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.other.stop()
        finally:
            cls.other.cleanup()
            super().tearDownClass()

    def test_commits_cross_mounts(self):
        b = self.new_bucket()
        name = os.path.basename(b)
        ob = os.path.join(self.other.mnt, name)
        h.wait_for(lambda: os.path.isdir(ob), 2, what="the bucket in the other mount")
        data = os.urandom(500_000)
        h.write_file(os.path.join(b, "f"), data)
        h.wait_for(lambda: h.read_file(os.path.join(ob, "f")) == data, 2,
                   what="the file in the other mount")
        h.write_file(os.path.join(ob, "f"), b"second writer wins")
        h.wait_for(lambda: h.read_file(os.path.join(b, "f")) == b"second writer wins", 2,
                   what="the other mount's version")
        os.unlink(os.path.join(ob, "f"))
        h.wait_for(lambda: not os.path.exists(os.path.join(b, "f")), 2,
                   what="the unlink in the first mount")


if __name__ == "__main__":
    h.main(s3d=True)
