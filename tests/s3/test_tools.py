"""seglake-s3d with other clients: the aws CLI (s3 cp / sync / ls and s3api
calls) and curl --aws-sigv4."""
import filecmp
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import s3d_harness as h


class AwsCli(h.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("aws"):
            raise unittest.SkipTest("the aws CLI is not installed")
        super().setUpClass()
        cls.home = tempfile.mkdtemp(prefix="seglake-awscli-")
        cfg = os.path.join(cls.home, "config")
        with open(cfg, "w") as f:
            f.write("[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n")
        cls.env = dict(os.environ, AWS_ACCESS_KEY_ID=h.ACCESS_KEY,
                       AWS_SECRET_ACCESS_KEY=h.SECRET_KEY, AWS_DEFAULT_REGION="us-east-1",
                       AWS_CONFIG_FILE=cfg, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                       HOME=cls.home)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.home, ignore_errors=True)
        super().tearDownClass()

    def aws(self, *args, check=True):
        p = subprocess.run(["aws", "--endpoint-url", self.server.endpoint] + list(args),
                           env=self.env, capture_output=True, text=True, timeout=120)
        if check and p.returncode != 0:
            self.fail("aws %s failed (%d): %s %s" % (args, p.returncode, p.stdout, p.stderr))
        return p

    def test_cp_sync_ls(self):
        bucket = h.unique_bucket("cli")
        self.aws("s3", "mb", "s3://%s" % bucket)
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "src")
            files = {"a.txt": b"alpha", "sub/b.bin": os.urandom(200_000),
                     "sub/deeper/c.txt": b"gamma", "space name.txt": b"spaces",
                     "big.bin": os.urandom(9 << 20)}
            for name, data in files.items():
                path = os.path.join(src, name)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(data)
            self.aws("s3", "cp", os.path.join(src, "a.txt"), "s3://%s/single/a.txt" % bucket)
            self.aws("s3", "sync", src, "s3://%s/tree" % bucket)
            out = self.aws("s3", "ls", "--recursive", "s3://%s/tree/" % bucket).stdout
            for name in files:
                self.assertIn("tree/" + name, out)
            dst = os.path.join(tmp, "dst")
            self.aws("s3", "sync", "s3://%s/tree" % bucket, dst)
            cmp = filecmp.dircmp(src, dst)
            self.assertEqual((cmp.left_only, cmp.right_only, cmp.diff_files), ([], [], []))
            for name in files:
                self.assertTrue(filecmp.cmp(os.path.join(src, name), os.path.join(dst, name),
                                            shallow=False), name)
            # A second sync has nothing to do.
            out = self.aws("s3", "sync", src, "s3://%s/tree" % bucket).stdout
            self.assertEqual(out.strip(), "")
            self.aws("s3", "cp", "s3://%s/single/a.txt" % bucket, os.path.join(tmp, "back.txt"))
            with open(os.path.join(tmp, "back.txt"), "rb") as f:
                self.assertEqual(f.read(), b"alpha")
        self.aws("s3", "rm", "--recursive", "s3://%s/" % bucket)
        self.aws("s3", "rb", "s3://%s" % bucket)

    def test_s3api(self):
        bucket = h.unique_bucket("api")
        self.aws("s3api", "create-bucket", "--bucket", bucket)
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"via s3api")
            f.flush()
            put = json.loads(self.aws("s3api", "put-object", "--bucket", bucket, "--key", "k",
                                      "--body", f.name, "--metadata", "x=y").stdout)
        self.assertTrue(put["ETag"])
        head = json.loads(self.aws("s3api", "head-object", "--bucket", bucket, "--key",
                                   "k").stdout)
        self.assertEqual(head["ContentLength"], 9)
        self.assertEqual(head["Metadata"], {"x": "y"})
        listed = json.loads(self.aws("s3api", "list-objects-v2", "--bucket", bucket).stdout)
        self.assertEqual([o["Key"] for o in listed["Contents"]], ["k"])
        p = self.aws("s3api", "get-object", "--bucket", bucket, "--key", "missing", os.devnull,
                     check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("NoSuchKey", p.stderr)
        p = self.aws("s3api", "get-bucket-policy", "--bucket", bucket, check=False)
        self.assertIn("NotImplemented", p.stderr)


class Curl(h.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("curl"):
            raise unittest.SkipTest("curl is not installed")
        super().setUpClass()
        cls.bucket = h.unique_bucket("curl")
        cls.s3.create_bucket(Bucket=cls.bucket)

    def curl(self, *args):
        # curl 7.88 does not send x-amz-content-sha256 itself; S3 requires it.
        p = subprocess.run(["curl", "-sS", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user",
                            "%s:%s" % (h.ACCESS_KEY, h.SECRET_KEY),
                            "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                            "-w", "\n%{http_code}"] + list(args),
                           capture_output=True, timeout=60)
        body, _, code = p.stdout.rpartition(b"\n")
        return int(code), body

    def test_get_put(self):
        self.s3.put_object(Bucket=self.bucket, Key="hello", Body=b"from boto3")
        url = "%s/%s/hello" % (self.server.endpoint, self.bucket)
        self.assertEqual(self.curl(url), (200, b"from boto3"))
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"from curl")
            f.flush()
            code, body = self.curl("-T", f.name, "%s/%s/up" % (self.server.endpoint, self.bucket))
            self.assertEqual(code, 200, body)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="up")["Body"].read(),
                         b"from curl")
        code, body = self.curl("%s/%s/missing" % (self.server.endpoint, self.bucket))
        self.assertEqual(code, 404)
        self.assertIn(b"<Code>NoSuchKey</Code>", body)


if __name__ == "__main__":
    h.main()
