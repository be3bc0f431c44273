"""seglake-s3d with rclone: mkdir, copy of a tree with a multipart file, check,
lsjson, sync after local changes, cat, purge. rclone is configured only from
RCLONE_CONFIG_S_* variables (an empty config file, so no user config is read)
as an s3 remote "s" with provider Other and path-style addressing."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import s3d_harness as h

if not shutil.which("rclone"):
    print("rclone is not installed: skipping", file=sys.stderr)
    sys.exit(h.SKIP)

BIG = 20 << 20


def write_tree(root, files):
    for name, data in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


class Rclone(h.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.home = tempfile.mkdtemp(prefix="seglake-rclone-")
        cls.cfg = os.path.join(cls.home, "rclone.conf")
        open(cls.cfg, "w").close()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("RCLONE_", "AWS_"))}
        env.update(HOME=cls.home, XDG_CONFIG_HOME=cls.home, XDG_CACHE_HOME=cls.home,
                   RCLONE_CONFIG_S_TYPE="s3", RCLONE_CONFIG_S_PROVIDER="Other",
                   RCLONE_CONFIG_S_ENDPOINT=cls.server.endpoint,
                   RCLONE_CONFIG_S_ACCESS_KEY_ID=h.ACCESS_KEY,
                   RCLONE_CONFIG_S_SECRET_ACCESS_KEY=h.SECRET_KEY,
                   RCLONE_CONFIG_S_REGION="us-east-1",
                   RCLONE_CONFIG_S_FORCE_PATH_STYLE="true")
        cls.env = env

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.home, ignore_errors=True)
        super().tearDownClass()

    def rclone(self, *args, check=True):
        cmd = ["env", "-u", "AWS_CA_BUNDLE", "rclone", "--config", self.cfg,
               "--retries", "1", "--low-level-retries", "1", "--contimeout", "10s",
               "--timeout", "30s"] + list(args)
        p = subprocess.run(cmd, env=self.env, capture_output=True, timeout=50,
                           stdin=subprocess.DEVNULL)
        if check and p.returncode != 0:
            self.fail("rclone %s failed (%d):\n%s\n%s" % (
                args, p.returncode, p.stdout.decode(errors="replace"),
                p.stderr.decode(errors="replace")))
        return p

    def listing(self, bucket):
        """Key -> (size, md5 of the body), straight from the server (boto3)."""
        out = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for o in page.get("Contents", []):
                body = self.s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
                self.assertEqual(len(body), o["Size"], o["Key"])
                out[o["Key"]] = hashlib.md5(body).hexdigest()
        return out

    def test_tree(self):
        bucket = h.unique_bucket("rclone")
        remote = "s:%s/tree" % bucket
        files = {
            "a.txt": b"alpha\n",
            "sub/b.bin": os.urandom(300_000),
            "sub/deeper/c.txt": b"gamma\n",
            "space name.txt": b"spaces\n",
            "\u00fcnic\u00f8de/\u65e5\u672c.txt": "unicode\n".encode(),
            "big.bin": os.urandom(BIG),
        }
        want = {"tree/" + k: hashlib.md5(v).hexdigest() for k, v in files.items()}
        self.rclone("mkdir", "s:" + bucket)
        self.assertIn(bucket, [b["Name"] for b in self.s3.list_buckets()["Buckets"]])
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "src")
            write_tree(src, files)
            self.rclone("copy", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M",
                        "--transfers", "2", src, remote)
            self.assertEqual(self.listing(bucket), want)
            head = self.s3.head_object(Bucket=bucket, Key="tree/big.bin")
            self.assertRegex(head["ETag"], r'^"[0-9a-f]{32}-4"$')  # 4 parts of 5 MiB

            # check compares sizes and MD5s (the multipart object's MD5 comes
            # from the X-Amz-Meta-Md5chksum rclone stored with it).
            p = self.rclone("check", src, remote)
            err = p.stderr.decode(errors="replace")
            self.assertIn("0 differences found", err)
            self.assertIn("%d matching files" % len(files), err)
            self.assertNotIn("could not be checked", err)
            p = self.rclone("check", "--download", src, remote)
            self.assertIn("0 differences found", p.stderr.decode(errors="replace"))

            entries = json.loads(self.rclone("lsjson", "-R", "--files-only", "--hash",
                                             remote).stdout)
            got = {e["Path"]: (e["Size"], e.get("Hashes", {}).get("md5")) for e in entries}
            self.assertEqual(got, {k: (len(v), hashlib.md5(v).hexdigest())
                                   for k, v in files.items()})
            dirs = json.loads(self.rclone("lsjson", "--dirs-only", remote).stdout)
            self.assertEqual(sorted(d["Path"] for d in dirs), ["sub", "\u00fcnic\u00f8de"])

            # cat
            p = self.rclone("cat", remote + "/sub/deeper/c.txt")
            self.assertEqual(p.stdout, b"gamma\n")
            p = self.rclone("cat", remote + "/big.bin")
            self.assertEqual(p.stdout, files["big.bin"])
            p = self.rclone("cat", "--offset", "1000", "--count", "10", remote + "/sub/b.bin")
            self.assertEqual(p.stdout, files["sub/b.bin"][1000:1010])

            # Modify, delete and add locally; sync makes the remote follow.
            with open(os.path.join(src, "a.txt"), "wb") as f:
                f.write(b"alpha, changed and longer\n")
            os.remove(os.path.join(src, "sub/deeper/c.txt"))
            with open(os.path.join(src, "new.txt"), "wb") as f:
                f.write(b"new\n")
            self.rclone("sync", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M",
                        src, remote)
            want["tree/a.txt"] = hashlib.md5(b"alpha, changed and longer\n").hexdigest()
            del want["tree/sub/deeper/c.txt"]
            want["tree/new.txt"] = hashlib.md5(b"new\n").hexdigest()
            self.assertEqual(self.listing(bucket), want)
            p = self.rclone("check", src, remote)
            self.assertIn("0 differences found", p.stderr.decode(errors="replace"))
            self.assertEqual(self.rclone("cat", remote + "/a.txt").stdout,
                             b"alpha, changed and longer\n")

            # A difference on the remote is detected (check exits 1).
            self.s3.put_object(Bucket=bucket, Key="tree/new.txt", Body=b"NEW\n")
            p = self.rclone("check", src, remote, check=False)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("1 differences found", p.stderr.decode(errors="replace"))

            # Errors. A missing bucket is "directory not found" (exit 3). A
            # missing key is no error to rclone (S3 has no directories, so the
            # path reads as an empty one after the HEAD's 404): nothing is
            # copied and cat prints nothing.
            p = self.rclone("lsf", "s:" + h.unique_bucket("missing"), check=False)
            self.assertEqual(p.returncode, 3, p.stderr)
            self.assertIn("directory not found", p.stderr.decode(errors="replace"))
            self.rclone("copyto", remote + "/no-such-file", os.path.join(tmp, "x"))
            self.assertFalse(os.path.exists(os.path.join(tmp, "x")))
            self.assertEqual(self.rclone("cat", remote + "/no-such-file").stdout, b"")

        # Server-side copies: above --s3-copy-cutoff by UploadPartCopy (4
        # ranged part copies), then a move (CopyObject + DeleteObject).
        big_md5 = hashlib.md5(files["big.bin"]).hexdigest()
        self.rclone("copyto", "--s3-copy-cutoff", "5M", remote + "/big.bin",
                    "s:%s/copies/big.bin" % bucket)
        self.rclone("moveto", remote + "/sub/b.bin", "s:%s/copies/moved.bin" % bucket)
        out = self.rclone("md5sum", "s:%s/copies" % bucket).stdout.decode()
        sums = dict(reversed(line.split(None, 1)) for line in out.splitlines())
        self.assertEqual(sums, {"big.bin": big_md5,
                                "moved.bin": hashlib.md5(files["sub/b.bin"]).hexdigest()})
        got = self.listing(bucket)
        self.assertEqual(got["copies/big.bin"], big_md5)
        self.assertNotIn("tree/sub/b.bin", got)
        out = self.rclone("size", "--json", "s:" + bucket).stdout
        self.assertEqual(json.loads(out)["count"], len(want) + 1)

        self.rclone("purge", "s:" + bucket)
        self.assertNotIn(bucket, [b["Name"] for b in self.s3.list_buckets()["Buckets"]])


if __name__ == "__main__":
    h.main()
