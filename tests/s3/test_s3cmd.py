"""seglake-s3d with s3cmd: mb, put (single and multipart), ls, get, sync of a
tree, del, rb, and the exit code of a failed get. s3cmd runs with a generated
config file, path-style addressing (--host-bucket without %(bucket)s), plain
HTTP and SigV4."""
import filecmp
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

import s3d_harness as h

if not shutil.which("s3cmd"):
    print("s3cmd is not installed: skipping", file=sys.stderr)
    sys.exit(h.SKIP)

TREE = {
    "top.txt": b"top level\n",
    "a/one.txt": b"one\n" * 100,
    "a/b/two.bin": bytes(range(256)) * 300,
    "a/b/c/three.txt": b"three\n",
    "caf\u00e9/\u00fcnic\u00f8de \u65e5\u672c.txt": "unicode name\n".encode(),
    "with space/name with spaces.txt": b"spaces in the name\n",
}


def md5_file(path):
    d = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            d.update(block)
    return d.hexdigest()


def write_tree(root, files):
    for name, data in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


class S3cmd(h.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.home = tempfile.mkdtemp(prefix="seglake-s3cmd-")
        cls.host = "127.0.0.1:%d" % cls.server.port
        cls.cfg = os.path.join(cls.home, "s3cfg")
        with open(cls.cfg, "w") as f:
            f.write("\n".join([
                "[default]",
                "access_key = %s" % h.ACCESS_KEY,
                "secret_key = %s" % h.SECRET_KEY,
                "host_base = %s" % cls.host,
                "host_bucket = %s" % cls.host,
                "bucket_location = us-east-1",
                "use_https = False",
                "signature_v2 = False",
                "check_ssl_certificate = False",
                "guess_mime_type = False",
                "",
            ]))
        cls.env = dict(os.environ, HOME=cls.home, LC_ALL="C.UTF-8", PYTHONIOENCODING="utf-8")
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                  "AWS_CREDENTIAL_FILE", "S3CMD_CONFIG"):
            cls.env.pop(k, None)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.home, ignore_errors=True)
        super().tearDownClass()

    def s3cmd(self, *args, check=True):
        cmd = ["s3cmd", "--config", self.cfg, "--host=" + self.host,
               "--host-bucket=" + self.host, "--no-progress"] + list(args)
        p = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=50,
                           stdin=subprocess.DEVNULL)
        if check and p.returncode != 0:
            self.fail("s3cmd %s failed (%d):\n%s\n%s" % (args, p.returncode, p.stdout, p.stderr))
        return p

    def listing(self, bucket):
        """Key -> size, straight from the server (boto3), to check s3cmd's work."""
        out = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for o in page.get("Contents", []):
                out[o["Key"]] = o["Size"]
        return out

    def test_put_get_ls_del(self):
        bucket = h.unique_bucket("s3cmd")
        self.s3cmd("mb", "s3://" + bucket)
        self.assertIn(bucket, [b["Name"] for b in self.s3.list_buckets()["Buckets"]])
        with tempfile.TemporaryDirectory() as tmp:
            small = os.path.join(tmp, "small.txt")
            with open(small, "wb") as f:
                f.write(b"hello from s3cmd\n")
            big = os.path.join(tmp, "big.bin")
            with open(big, "wb") as f:
                f.write(os.urandom(20 << 20))
            self.s3cmd("put", small, "s3://%s/dir/small.txt" % bucket)
            self.s3cmd("put", "--multipart-chunk-size-mb=5", big, "s3://%s/big.bin" % bucket)

            # The big object really went up in parts: a multipart ETag "<md5>-4".
            head = self.s3.head_object(Bucket=bucket, Key="big.bin")
            self.assertEqual(head["ContentLength"], 20 << 20)
            self.assertRegex(head["ETag"], r'^"[0-9a-f]{32}-4"$')
            self.assertEqual(self.s3.head_object(Bucket=bucket, Key="dir/small.txt")["ETag"],
                             '"%s"' % md5_file(small))

            out = self.s3cmd("ls", "s3://%s" % bucket).stdout
            self.assertIn("s3://%s/big.bin" % bucket, out)
            self.assertIn("DIR", out)
            self.assertIn("s3://%s/dir/" % bucket, out)
            out = self.s3cmd("ls", "--recursive", "s3://%s" % bucket).stdout
            lines = [l.split() for l in out.splitlines() if l.strip()]
            sizes = {l[-1]: int(l[2]) for l in lines}
            self.assertEqual(sizes, {"s3://%s/big.bin" % bucket: 20 << 20,
                                     "s3://%s/dir/small.txt" % bucket: 17})
            out = self.s3cmd("ls").stdout
            self.assertIn("s3://" + bucket, out)

            for key, src in (("dir/small.txt", small), ("big.bin", big)):
                dst = os.path.join(tmp, "back-" + os.path.basename(src))
                self.s3cmd("get", "s3://%s/%s" % (bucket, key), dst)
                self.assertTrue(filecmp.cmp(src, dst, shallow=False), key)
                self.assertEqual(md5_file(dst), md5_file(src))

            # s3cmd info reports the stored MD5 (for the multipart object, the
            # md5 s3cmd records in its x-amz-meta-s3cmd-attrs header).
            out = self.s3cmd("info", "s3://%s/dir/small.txt" % bucket).stdout
            self.assertIn(md5_file(small), out)
            out = self.s3cmd("info", "s3://%s/big.bin" % bucket).stdout
            self.assertIn(md5_file(big), out)

            # Errors: a missing key and a missing bucket give a non-zero exit.
            p = self.s3cmd("get", "s3://%s/no/such/key" % bucket, os.path.join(tmp, "x"),
                           check=False)
            self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("does not exist", p.stdout + p.stderr)
            p = self.s3cmd("ls", "s3://%s" % h.unique_bucket("missing"), check=False)
            self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
            # rb of a non-empty bucket fails and keeps the bucket.
            p = self.s3cmd("rb", "s3://" + bucket, check=False)
            self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("BucketNotEmpty", p.stdout + p.stderr)

            # Server-side cp and mv; du sums what is left.
            self.s3cmd("cp", "s3://%s/big.bin" % bucket, "s3://%s/copy/big.bin" % bucket)
            self.s3cmd("mv", "s3://%s/copy/big.bin" % bucket, "s3://%s/moved.bin" % bucket)
            self.assertEqual(self.listing(bucket), {"big.bin": 20 << 20, "dir/small.txt": 17,
                                                    "moved.bin": 20 << 20})
            dst = os.path.join(tmp, "moved.bin")
            self.s3cmd("get", "s3://%s/moved.bin" % bucket, dst)
            self.assertEqual(md5_file(dst), md5_file(big))
            out = self.s3cmd("du", "s3://%s" % bucket).stdout.split()
            self.assertEqual((int(out[0]), int(out[1])), (2 * (20 << 20) + 17, 3))
            self.s3cmd("del", "s3://%s/moved.bin" % bucket)

        self.s3cmd("del", "s3://%s/dir/small.txt" % bucket)
        self.assertEqual(self.listing(bucket), {"big.bin": 20 << 20})
        self.s3cmd("del", "s3://%s/big.bin" % bucket)
        self.assertEqual(self.listing(bucket), {})
        self.s3cmd("rb", "s3://" + bucket)
        self.assertNotIn(bucket, [b["Name"] for b in self.s3.list_buckets()["Buckets"]])

    def test_sync_tree(self):
        bucket = h.unique_bucket("s3cmd-sync")
        self.s3cmd("mb", "s3://" + bucket)
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "src")
            write_tree(src, TREE)
            self.s3cmd("sync", src + "/", "s3://%s/tree/" % bucket)
            self.assertEqual(self.listing(bucket),
                             {"tree/" + k: len(v) for k, v in TREE.items()})
            for name, data in TREE.items():
                body = self.s3.get_object(Bucket=bucket, Key="tree/" + name)["Body"].read()
                self.assertEqual(body, data, name)

            # A second sync uploads nothing.
            out = self.s3cmd("sync", src + "/", "s3://%s/tree/" % bucket).stdout
            self.assertNotIn("upload:", out)

            # Down again, into an empty directory: the same tree, byte for byte.
            dst = os.path.join(tmp, "dst")
            os.mkdir(dst)
            self.s3cmd("sync", "s3://%s/tree/" % bucket, dst + "/")
            for name, data in TREE.items():
                with open(os.path.join(dst, name), "rb") as f:
                    self.assertEqual(f.read(), data, name)
            got = sorted(os.path.relpath(os.path.join(d, f), dst)
                         for d, _, fs in os.walk(dst) for f in fs)
            self.assertEqual(got, sorted(TREE))

            # A local change and deletion follow with --delete-removed.
            changed = dict(TREE)
            changed["a/one.txt"] = b"changed content, other size\n"
            del changed["top.txt"]
            os.remove(os.path.join(src, "top.txt"))
            with open(os.path.join(src, "a/one.txt"), "wb") as f:
                f.write(changed["a/one.txt"])
            self.s3cmd("sync", "--delete-removed", src + "/", "s3://%s/tree/" % bucket)
            self.assertEqual(self.listing(bucket),
                             {"tree/" + k: len(v) for k, v in changed.items()})
            body = self.s3.get_object(Bucket=bucket, Key="tree/a/one.txt")["Body"].read()
            self.assertEqual(body, changed["a/one.txt"])

        self.s3cmd("del", "--recursive", "--force", "s3://%s/" % bucket)
        self.assertEqual(self.listing(bucket), {})
        self.s3cmd("rb", "s3://" + bucket)


if __name__ == "__main__":
    h.main()
