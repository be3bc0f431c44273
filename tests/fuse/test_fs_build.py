"""Real tools inside the mount: make builds and rebuilds a small C project,
git commits, notices an edit, diffs, packs and clones."""
import os
import shutil
import subprocess
import tempfile
import time

import fuse_harness as h

FILES = {
    "util.h": "#ifndef UTIL_H\n#define UTIL_H\nint add(int a, int b);\n"
              "const char *greeting(void);\n#endif\n",
    "util.c": '#include "util.h"\nint add(int a, int b) { return a + b; }\n'
              'const char *greeting(void) { return "hello from seglake"; }\n',
    "main.c": '#include <stdio.h>\n#include "util.h"\n'
              'int main(void) {\n  printf("sum=%d %s\\n", add(2, 3), greeting());\n'
              '  return 0;\n}\n',
    "Makefile": "CFLAGS = -O1 -Wall -Werror\n"
                "prog: main.o util.o\n\t$(CC) $(CFLAGS) -o $@ main.o util.o\n"
                "%.o: %.c util.h\n\t$(CC) $(CFLAGS) -c -o $@ $<\n"
                "clean:\n\trm -f prog *.o\n"
                ".PHONY: clean\n",
}


class BuildTools(h.MountTestCase):
    @classmethod
    def setUpClass(cls):
        missing = [t for t in ("make", "cc", "git") if not shutil.which(t)]
        if missing:
            raise RuntimeError("tools missing: %s" % missing)
        super().setUpClass()
        cls.home = tempfile.mkdtemp(prefix="seglake-build-home-")
        cls.env = dict(os.environ, HOME=cls.home, GIT_CONFIG_NOSYSTEM="1",
                       GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.com",
                       GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.com",
                       LC_ALL="C")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.home, ignore_errors=True)
        super().tearDownClass()

    def sh(self, *args, cwd, check=True):
        p = subprocess.run(list(args), cwd=cwd, env=self.env, capture_output=True, text=True,
                           timeout=120)
        if check and p.returncode != 0:
            self.fail("%s exited %d:\n%s\n%s" % (" ".join(args), p.returncode, p.stdout,
                                                 p.stderr))
        return p

    def write_project(self, d):
        os.makedirs(d)
        for name, text in FILES.items():
            h.write_file(os.path.join(d, name), text.encode())

    def test_make(self):
        d = os.path.join(self.new_bucket(), "proj")
        self.write_project(d)
        self.sh("make", "-j2", cwd=d)
        self.assertTrue(os.access(os.path.join(d, "prog"), os.X_OK))
        self.assertEqual(self.sh("./prog", cwd=d).stdout, "sum=5 hello from seglake\n")
        # Up to date: nothing to rebuild.
        self.assertEqual(self.sh("make", "-q", cwd=d, check=False).returncode, 0,
                         "make thinks the fresh build is out of date")
        time.sleep(1.1)  # a newer mtime than the objects
        h.write_file(os.path.join(d, "util.c"),
                     h.read_file(os.path.join(d, "util.c")).replace(b"hello from", b"built in"))
        self.assertEqual(self.sh("make", "-q", cwd=d, check=False).returncode, 1,
                         "make missed the edit")
        out = self.sh("make", cwd=d).stdout
        self.assertIn("util.o", out)
        self.assertNotIn("-o main.o", out)
        self.assertEqual(self.sh("./prog", cwd=d).stdout, "sum=5 built in seglake\n")
        self.sh("make", "clean", cwd=d)
        self.assertEqual(sorted(os.listdir(d)), sorted(FILES))

    def test_git(self):
        b = self.new_bucket()
        d = os.path.join(b, "repo")
        self.write_project(d)
        self.sh("git", "init", "-q", "-b", "main", cwd=d)
        self.sh("git", "add", ".", cwd=d)
        self.sh("git", "commit", "-q", "-m", "first", cwd=d)
        self.assertEqual(self.sh("git", "status", "--porcelain", cwd=d).stdout, "")
        with open(os.path.join(d, "main.c"), "a") as f:
            f.write("/* an edit */\n")
        self.assertEqual(self.sh("git", "status", "--porcelain", cwd=d).stdout, " M main.c\n")
        diff = self.sh("git", "diff", cwd=d).stdout
        self.assertIn("+/* an edit */", diff)
        self.assertIn("a/main.c", diff)
        h.write_file(os.path.join(d, "new.txt"), b"new file\n")
        self.assertIn("?? new.txt", self.sh("git", "status", "--porcelain", cwd=d).stdout)
        self.sh("git", "add", "-A", cwd=d)
        self.sh("git", "commit", "-q", "-m", "second", cwd=d)
        self.assertEqual(self.sh("git", "status", "--porcelain", cwd=d).stdout, "")
        log = self.sh("git", "log", "--format=%s", cwd=d).stdout.split()
        self.assertEqual(log, ["second", "first"])
        # Packing rewrites and renames many files; fsck reads them all back.
        self.sh("git", "gc", "-q", cwd=d)
        self.sh("git", "fsck", "--full", "--strict", cwd=d)
        self.assertEqual(self.sh("git", "status", "--porcelain", cwd=d).stdout, "")
        # A local clone hard-links the objects.
        self.sh("git", "clone", "-q", d, os.path.join(b, "clone"), cwd=b)
        clone = os.path.join(b, "clone")
        self.assertEqual(h.read_file(os.path.join(clone, "new.txt")), b"new file\n")
        self.assertEqual(self.sh("git", "status", "--porcelain", cwd=clone).stdout, "")
        self.sh("git", "diff", "--exit-code", "HEAD~1", "HEAD", "--", "util.c", cwd=clone)
        p = self.sh("git", "diff", "--stat", "HEAD~1", "HEAD", cwd=clone)
        self.assertIn("main.c", p.stdout)
        self.assertIn("new.txt", p.stdout)


    def test_git_untracked_cache(self):
        """git's untracked cache trusts a directory's mtime: a file made in
        a directory must change it, or git status misses the file."""
        b = self.new_bucket()
        d = os.path.join(b, "uc")
        self.write_project(d)
        os.mkdir(os.path.join(d, "sub"))
        h.write_file(os.path.join(d, "sub", "tracked"), b"t\n")
        self.sh("git", "init", "-q", "-b", "main", cwd=d)
        self.sh("git", "config", "core.untrackedCache", "true", cwd=d)
        self.sh("git", "add", ".", cwd=d)
        self.sh("git", "commit", "-q", "-m", "first", cwd=d)
        self.sh("git", "update-index", "--untracked-cache", cwd=d)
        for i in range(3):
            self.assertEqual(self.sh("git", "status", "--porcelain", cwd=d).stdout, "")
            time.sleep(1.1)  # a change in a later second than the cached listing
        h.write_file(os.path.join(d, "sub", "new.txt"), b"new\n")
        h.write_file(os.path.join(d, "top.txt"), b"top\n")
        self.assertEqual(self.sh("git", "status", "--porcelain", cwd=d).stdout,
                         "?? sub/new.txt\n?? top.txt\n")
        os.unlink(os.path.join(d, "sub", "new.txt"))
        self.assertEqual(self.sh("git", "status", "--porcelain", cwd=d).stdout,
                         "?? top.txt\n")


if __name__ == "__main__":
    h.main()
