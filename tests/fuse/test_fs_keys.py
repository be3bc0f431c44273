"""Keys that cannot be paths (SEMANTICS.md, "Keys that cannot be paths"):
not shown in the mount, never changed or lost by it, moved with their
directory, and they keep their directory from being empty."""
import errno
import os
import stat
import time

import fuse_harness as h

LONG = "y" * 256
MAX = "x" * 255

# key -> body: keys the mount must not show.
HIDDEN = {
    "/lead": b"leading slash",
    "k/a//b": b"double slash",
    "k/a/./b": b"dot component",
    "k/a/../b": b"dot-dot component",
    "k/a/.": b"trailing dot",
    "k/a/..": b"trailing dot-dot",
    "k/a//": b"marker with an empty component",
    "k/a/" + LONG: b"256-byte component",
    "k/" + LONG + "/inner": b"256-byte directory",
    "k/f": b"file beside the directory k/f/",
}
# key -> body: keys beside them that the mount shows.
SHOWN = {
    "k/a/shown.txt": b"shown",
    "k/a/sub/deep.txt": b"deep",
    "k/top.txt": b"top",
    "k/f/x": b"inside f",
    "k/" + MAX: b"255-byte name",
}


class Keys(h.MountTestCase):
    with_s3 = True

    def setUp(self):
        self.bucket = "keys-%d" % self._bucket_seq
        type(self)._bucket_seq += 1
        self.s3.create_bucket(Bucket=self.bucket)
        for k, v in list(HIDDEN.items()) + list(SHOWN.items()):
            self.s3.put_object(Bucket=self.bucket, Key=k, Body=v)
        self.b = os.path.join(self.mnt, self.bucket)
        h.wait_for(lambda: all(h.read_file(self.p(k)) == v for k, v in SHOWN.items()), 3,
                   what="the shown keys in the mount")

    def p(self, key):
        return os.path.join(self.b, key)

    def s3_keys(self, prefix=""):
        out = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                        Prefix=prefix):
            out += [o["Key"] for o in page.get("Contents", [])]
        return out

    def s3_get(self, key):
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def assertHiddenIntact(self, rename=None):
        """Every hidden key (its directory renamed by `rename`) reads
        byte-exact over S3."""
        keys = set(self.s3_keys())
        for k, v in HIDDEN.items():
            if rename and k.startswith(rename[0]):
                k = rename[1] + k[len(rename[0]):]
            self.assertIn(k, keys)
            self.assertEqual(self.s3_get(k), v, k)

    def names(self, path):
        """getdents64 names with '.' and '..'; asserts no name is listed twice."""
        names = [e.name for e in h.raw_listdir(path)]
        self.assertEqual(len(names), len(set(names)), "%s lists a name twice: %s"
                         % (path, names))
        self.assertNotIn(b"", names)
        return sorted(n.decode() for n in names)

    def test_not_shown(self):
        self.assertEqual(self.names(self.b), [".", "..", "k"])
        self.assertEqual(self.names(self.p("k")), sorted([".", "..", MAX, "a", "f", "top.txt"]))
        self.assertEqual(self.names(self.p("k/a")), [".", "..", "shown.txt", "sub"])
        self.assertTrue(stat.S_ISDIR(os.stat(self.p("k/f")).st_mode), "the directory wins")
        self.assertEqual(os.listdir(self.p("k/f")), ["x"])
        # What the kernel makes of the hidden keys' names.
        self.assertEqual(h.read_file(self.p("k/a//shown.txt")), b"shown")
        h.assert_errno(self, errno.ENOENT, os.stat, self.p("k/a/./b"))
        h.assert_errno(self, errno.ENOENT, os.stat, self.p("k/b"))
        h.assert_errno(self, errno.ENAMETOOLONG, os.stat, self.p("k/a/" + LONG))
        # The shown keys work.
        self.assertEqual(h.read_file(self.p("k/" + MAX)), b"255-byte name")
        h.write_file(self.p("k/" + MAX), b"rewritten")
        self.assertEqual(self.s3_get("k/" + MAX), b"rewritten")
        self.assertEqual(h.read_file(self.p("k/a/sub/deep.txt")), b"deep")
        self.assertHiddenIntact()

    def test_mount_operations_leave_them(self):
        h.write_file(self.p("k/a/new.txt"), b"new")
        h.write_file(self.p("k/a/shown.txt"), b"changed")
        os.setxattr(self.p("k/a/shown.txt"), "user.tag", b"t")
        os.chmod(self.p("k/a/shown.txt"), 0o600)
        os.rename(self.p("k/a/shown.txt"), self.p("k/a/renamed.txt"))
        h.write_file(self.p("k/f/y"), b"beside x")
        os.unlink(self.p("k/f/x"))
        os.unlink(self.p("k/f/y"))
        # The last entry of k/f went through the mount: k/f stays a directory,
        # and the object k/f is untouched.
        self.assertTrue(os.path.isdir(self.p("k/f")))
        self.assertEqual(os.listdir(self.p("k/f")), [])
        self.assertEqual(self.s3_get("k/f"), HIDDEN["k/f"])
        self.assertEqual(self.s3_get("k/a/renamed.txt"), b"changed")
        self.assertHiddenIntact()

    def test_rename_moves_them(self):
        os.rename(self.p("k/a"), self.p("k/moved"))
        self.assertEqual(self.s3_keys("k/a/"), [])
        self.assertHiddenIntact(rename=("k/a/", "k/moved/"))
        self.assertEqual(self.s3_get("k/moved/shown.txt"), b"shown")
        self.assertEqual(self.names(self.p("k/moved")), [".", "..", "shown.txt", "sub"])
        # The whole tree one level up, into a new directory.
        os.mkdir(self.p("top"))
        os.rename(self.p("k"), self.p("top/k"))
        self.assertEqual([k for k in self.s3_keys() if k.startswith("k/")], [])
        moved = {k.replace("k/a/", "k/moved/", 1) if k.startswith("k/a/") else k: v
                 for k, v in HIDDEN.items() if k.startswith("k/")}
        for k, v in moved.items():
            self.assertEqual(self.s3_get("top/" + k), v, k)
        self.assertEqual(self.s3_get("/lead"), HIDDEN["/lead"])

    def test_they_keep_directories_non_empty(self):
        for k in ("k/a/shown.txt", "k/a/sub/deep.txt"):
            os.unlink(self.p(k))
        os.rmdir(self.p("k/a/sub"))
        self.assertEqual(os.listdir(self.p("k/a")), [])
        h.assert_errno(self, errno.ENOTEMPTY, os.rmdir, self.p("k/a"))
        for k in ("k/top.txt", "k/" + MAX, "k/f/x"):
            os.unlink(self.p(k))
        os.rmdir(self.p("k/f"))
        h.assert_errno(self, errno.ENOTEMPTY, os.rmdir, self.p("k"))
        h.assert_errno(self, errno.ENOTEMPTY, os.rmdir, self.b)
        self.assertHiddenIntact()
        # A bucket whose only key is hidden is not empty either.
        other = "keys-lead-%d" % self._bucket_seq
        self.s3.create_bucket(Bucket=other)
        self.s3.put_object(Bucket=other, Key="/only", Body=b"o")
        self.s3.put_object(Bucket=other, Key="shown", Body=b"s")
        ob = os.path.join(self.mnt, other)
        h.wait_for(lambda: os.path.exists(os.path.join(ob, "shown")), 3, what="shown")
        os.unlink(os.path.join(ob, "shown"))
        self.assertEqual(os.listdir(ob), [])
        h.assert_errno(self, errno.ENOTEMPTY, os.rmdir, ob)
        self.assertEqual(self.s3.get_object(Bucket=other, Key="/only")["Body"].read(), b"o")

    def test_file_and_directory_names_collide(self):
        h.assert_errno(self, errno.EEXIST, h.touch, self.p("k/f"), os.O_EXCL)
        h.assert_errno(self, errno.EISDIR, h.open_close, self.p("k/f"), os.O_WRONLY)
        h.assert_errno(self, errno.EEXIST, os.mkdir, self.p("k/top.txt"))
        self.assertEqual(self.s3_get("k/f"), HIDDEN["k/f"])
        # A file over S3 named like a directory the mount made: the directory wins.
        os.mkdir(self.p("k/newdir"))
        h.write_file(self.p("k/newdir/in"), b"in")
        self.s3.put_object(Bucket=self.bucket, Key="k/newdir", Body=b"shadowed")
        time.sleep(0.3)  # past poll_ms: the mount has seen the PUT
        self.assertTrue(os.path.isdir(self.p("k/newdir")))
        self.assertEqual(self.names(self.p("k")).count("newdir"), 1)
        self.assertEqual(self.s3_get("k/newdir"), b"shadowed")


if __name__ == "__main__":
    h.main(s3d=True)
