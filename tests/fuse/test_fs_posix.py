"""What desktop programs expect of a file system, tried on a real mount with
seglake-s3d on the same data dir: inode numbers that survive the kernel
forgetting an inode (drop_caches), renames and remounts; `rm -rf` of a tree
deeper than PATH_MAX while the kernel drops its caches; mmap readers that
never die while S3 replaces the file; and `-o writeback_cache` following
sizes changed over S3."""
import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

import fuse_harness as h

DROP_CACHES = "/proc/sys/vm/drop_caches"


def drop_caches():
    """Makes the kernel forget every unused dentry and inode (root only);
    returns False where that is not allowed."""
    try:
        with open(DROP_CACHES, "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def can_drop_caches():
    return os.geteuid() == 0 and os.access(DROP_CACHES, os.W_OK)


def tree_inos(top):
    """{relative path: st_ino} of everything under top, top included."""
    out = {"": os.lstat(top).st_ino}
    for dirpath, dirnames, filenames in os.walk(top):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            out[os.path.relpath(p, top)] = os.lstat(p).st_ino
    return out


class Inodes(h.MountTestCase):
    with_s3 = True

    def setUp(self):
        self.b = self.new_bucket("i")
        self.bucket = os.path.basename(self.b)

    def make_tree(self, top):
        os.makedirs(os.path.join(top, "d1", "d2"))
        for rel in ("f0", "d1/f1", "d1/d2/f2", "d1/d2/f3"):
            h.write_file(os.path.join(top, rel), rel.encode())
        os.symlink("f0", os.path.join(top, "link"))
        os.mkfifo(os.path.join(top, "fifo"))

    def test_inodes_survive_drop_caches(self):
        if not can_drop_caches():
            self.skipTest("needs root to write %s" % DROP_CACHES)
        top = os.path.join(self.b, "t")
        self.make_tree(top)
        before = tree_inos(top)
        self.assertEqual(len(set(before.values())), len(before), before)
        for _ in range(3):
            self.assertTrue(drop_caches())
            time.sleep(0.05)  # the kernel's forgets reach the mount
            self.assertEqual(tree_inos(top), before)
        # A listing's d_ino is the number stat gives.
        for e in h.raw_listdir(top):
            if e.name not in (b".", b".."):
                self.assertEqual(e.ino, before[os.fsdecode(e.name)], e)

    def test_rename_keeps_inode_after_drop_caches(self):
        if not can_drop_caches():
            self.skipTest("needs root to write %s" % DROP_CACHES)
        a, b = os.path.join(self.b, "a"), os.path.join(self.b, "b")
        h.write_file(a, b"x")
        ino = os.stat(a).st_ino
        os.rename(a, b)
        self.assertEqual(os.stat(b).st_ino, ino)
        drop_caches()
        time.sleep(0.05)
        self.assertEqual(os.stat(b).st_ino, ino)
        # A new file at the old name is another inode.
        h.write_file(a, b"y")
        self.assertNotEqual(os.stat(a).st_ino, ino)
        drop_caches()
        time.sleep(0.05)
        self.assertEqual(os.stat(b).st_ino, ino)
        self.assertNotEqual(os.stat(a).st_ino, ino)

    def test_unlinked_open_file_and_new_file_differ(self):
        p = os.path.join(self.b, "f")
        h.write_file(p, b"old")
        fd = os.open(p, os.O_RDONLY)
        try:
            old = os.fstat(fd).st_ino
            os.unlink(p)
            h.write_file(p, b"new")
            self.assertNotEqual(os.stat(p).st_ino, old)
            self.assertEqual(os.fstat(fd).st_ino, old)
            self.assertEqual(os.pread(fd, 10, 0), b"old")
        finally:
            os.close(fd)

    def test_inodes_same_in_another_mount(self):
        top = os.path.join(self.b, "t")
        self.make_tree(top)
        h.write_file(os.path.join(self.b, "viaS3-placeholder"), b"")
        self.s3.put_object(Bucket=self.bucket, Key="s3/obj", Body=b"from s3")
        h.wait_for(lambda: os.path.exists(os.path.join(self.b, "s3", "obj")), 5,
                   what="s3/obj in the mount")
        mine = tree_inos(self.b)
        other = h.Mount(data_dir=self.mount.data_dir)
        try:
            other.start()
            theirs = tree_inos(os.path.join(other.mnt, self.bucket))
        finally:
            other.stop()
            other.cleanup()
        self.assertEqual(theirs, mine)

    def test_rm_rf_deeper_than_path_max_while_caches_drop(self):
        if not can_drop_caches():
            self.skipTest("needs root to write %s" % DROP_CACHES)
        name = "d" * 200
        depth = 4096 // 201 + 8  # deeper than PATH_MAX
        for round_ in range(3):
            top = os.path.join(self.b, "deep%d" % round_)
            os.mkdir(top)
            fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
            try:
                for i in range(depth):
                    for j in range(3):
                        f = os.open("f%d" % j, os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd)
                        os.close(f)
                    os.mkdir(name, dir_fd=fd)
                    nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                    os.close(fd)
                    fd = nfd
            finally:
                os.close(fd)
            stop = threading.Event()

            def dropper():
                while not stop.is_set():
                    drop_caches()
                    time.sleep(0.002)
            t = threading.Thread(target=dropper)
            t.start()
            try:
                p = subprocess.run(["rm", "-rf", top], capture_output=True, text=True,
                                   timeout=120)
            finally:
                stop.set()
                t.join()
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertFalse(os.path.exists(top))
            self.assertEqual(self.s3.list_objects_v2(Bucket=self.bucket,
                                                     Prefix="deep%d/" % round_)["KeyCount"], 0)


MMAP_READER = textwrap.dedent("""
    import mmap, os, sys, time
    path, seconds = sys.argv[1], float(sys.argv[2])
    end = time.monotonic() + seconds
    reads = 0
    # One mapping held the whole time: it keeps the bytes it mapped.
    fd = os.open(path, os.O_RDONLY)
    held = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
    os.close(fd)
    first = bytes(held)
    while time.monotonic() < end:
        fd = os.open(path, os.O_RDONLY)
        size = os.fstat(fd).st_size
        if size == 0:
            os.close(fd)
            continue
        m = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
        os.close(fd)
        data = bytes(m)  # touches every page
        m.close()
        tag = data[:1]
        if data != tag * len(data):
            print("torn read of %d bytes starting %r" % (len(data), tag), flush=True)
            sys.exit(3)
        if bytes(held) != first:
            print("held mapping changed", flush=True)
            sys.exit(4)
        reads += 1
    print(reads, flush=True)
""")


class Mmap(h.MountTestCase):
    with_s3 = True

    def setUp(self):
        self.b = self.new_bucket("m")
        self.bucket = os.path.basename(self.b)

    def run_reader_against_puts(self, key, sizes, seconds=4.0):
        path = os.path.join(self.b, key)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=b"A" * sizes[0])
        h.wait_for(lambda: os.path.exists(path) and os.stat(path).st_size == sizes[0], 5,
                   what="the first version")
        script = os.path.join(self.mount.tmp, "mmap_reader.py")
        with open(script, "w") as f:
            f.write(MMAP_READER)
        reader = subprocess.Popen([sys.executable, script, path, str(seconds)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        puts = 0
        try:
            while reader.poll() is None:
                n = sizes[puts % len(sizes)]
                tag = b"BCDEFGHIJKLMNOPQRSTUVWXYZ"[puts % 25:puts % 25 + 1]
                self.s3.put_object(Bucket=self.bucket, Key=key, Body=tag * n)
                puts += 1
            out, err = reader.communicate(timeout=60)
        finally:
            if reader.poll() is None:
                reader.kill()
                reader.wait()
        self.assertNotEqual(reader.returncode, -signal.SIGBUS, "reader died of SIGBUS: %s" % err)
        self.assertEqual(reader.returncode, 0, "reader failed: %s %s" % (out, err))
        self.assertGreater(puts, 10)
        self.assertGreater(int(out.split()[-1]), 10)

    def test_mmap_reader_while_s3_shrinks_and_grows(self):
        self.run_reader_against_puts("f", [256 << 10, 4096, 1 << 20, 100, 64 << 10])

    def test_mmap_reader_same_size_replacements(self):
        self.run_reader_against_puts("g", [128 << 10])

    def test_open_mapping_keeps_old_bytes(self):
        key = "k"
        path = os.path.join(self.b, key)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=b"a" * 100000)
        h.wait_for(lambda: os.path.exists(path), 5, what="k")
        import mmap
        with open(path, "rb") as f:
            m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
        try:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=b"b" * 10)
            h.wait_for(lambda: h.read_file(path) == b"b" * 10, 5, what="the new version")
            time.sleep(0.2)  # a few follower polls
            self.assertEqual(bytes(m), b"a" * 100000)
        finally:
            m.close()


class WritebackCache(h.MountTestCase):
    with_s3 = True
    mount_options = ("writeback_cache",)

    def setUp(self):
        self.b = self.new_bucket("w")
        self.bucket = os.path.basename(self.b)

    def wait_content(self, path, data):
        def check():
            return os.stat(path).st_size == len(data) and h.read_file(path) == data
        h.wait_for(check, 5, what="%s to show %d bytes" % (path, len(data)))

    def test_size_changed_over_s3(self):
        path = os.path.join(self.b, "f")
        h.write_file(path, b"0123456789")
        self.assertEqual(h.read_file(path), b"0123456789")
        for body in (b"L" * 100000, b"s" * 5, b"", b"m" * 4097):
            self.s3.put_object(Bucket=self.bucket, Key="f", Body=body)
            self.wait_content(path, body)

    def test_writes_then_outside_change_then_writes(self):
        path = os.path.join(self.b, "g")
        with open(path, "wb") as f:
            f.write(b"x" * 3000)
        self.assertEqual(os.stat(path).st_size, 3000)
        self.s3.put_object(Bucket=self.bucket, Key="g", Body=b"y" * 10)
        self.wait_content(path, b"y" * 10)
        with open(path, "ab") as f:
            f.write(b"z")
        self.assertEqual(h.read_file(path), b"y" * 10 + b"z")
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="g")["Body"].read(),
                         b"y" * 10 + b"z")

    def test_file_open_for_reading_keeps_its_bytes(self):
        path = os.path.join(self.b, "r")
        h.write_file(path, b"r" * 50000)
        with open(path, "rb") as f:
            self.assertEqual(f.read(10), b"r" * 10)
            self.s3.put_object(Bucket=self.bucket, Key="r", Body=b"n" * 7)
            self.wait_content(path, b"n" * 7)
            self.assertEqual(f.read(), b"r" * 49990)


class HardLinks(h.MountTestCase):
    with_s3 = True

    def setUp(self):
        self.b = self.new_bucket("l")
        self.bucket = os.path.basename(self.b)

    def p(self, name):
        return os.path.join(self.b, name)

    def s3_bytes(self, key):
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def etag(self, key):
        return self.s3.head_object(Bucket=self.bucket, Key=key)["ETag"]

    def test_write_through_either_name(self):
        h.write_file(self.p("a"), b"one\n")
        os.link(self.p("a"), self.p("b"))
        sa, sb = os.stat(self.p("a")), os.stat(self.p("b"))
        self.assertEqual(sa.st_ino, sb.st_ino)
        self.assertEqual((sa.st_nlink, sb.st_nlink), (2, 2))
        h.write_file(self.p("a"), b"two\n", "ab")
        self.assertEqual(h.read_file(self.p("b")), b"one\ntwo\n")
        h.write_file(self.p("b"), b"three\n", "ab")
        self.assertEqual(h.read_file(self.p("a")), b"one\ntwo\nthree\n")
        self.assertEqual(self.s3_bytes("a"), b"one\ntwo\nthree\n")
        self.assertEqual(self.s3_bytes("b"), b"one\ntwo\nthree\n")
        self.assertEqual(self.etag("a"), self.etag("b"))
        # One open handle, writes through the other name: the same file.
        with open(self.p("a"), "rb") as f:
            h.write_file(self.p("b"), b"X", "r+b")
            self.assertEqual(f.read(3), b"Xne")
        os.chmod(self.p("b"), 0o600)
        self.assertEqual(os.stat(self.p("a")).st_mode & 0o777, 0o600)
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="a")["Metadata"]["mode"],
                         self.s3.head_object(Bucket=self.bucket, Key="b")["Metadata"]["mode"])

    def test_unlink_one_name_keeps_the_other(self):
        h.write_file(self.p("a"), b"data")
        os.link(self.p("a"), self.p("b"))
        os.link(self.p("b"), self.p("c"))
        self.assertEqual(os.stat(self.p("a")).st_nlink, 3)
        os.unlink(self.p("a"))
        self.assertFalse(os.path.exists(self.p("a")))
        self.assertEqual(os.stat(self.p("b")).st_nlink, 2)
        h.write_file(self.p("c"), b"more", "ab")
        self.assertEqual(h.read_file(self.p("b")), b"datamore")
        os.unlink(self.p("c"))
        self.assertEqual(os.stat(self.p("b")).st_nlink, 1)
        self.assertEqual(h.read_file(self.p("b")), b"datamore")
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])]
        self.assertEqual(keys, ["b"])
        self.assertEqual(self.s3_bytes("b"), b"datamore")

    def test_links_survive_drop_caches_and_renames(self):
        h.write_file(self.p("a"), b"1")
        os.mkdir(self.p("d"))
        os.link(self.p("a"), self.p("d/b"))
        ino = os.stat(self.p("a")).st_ino
        os.rename(self.p("d"), self.p("e"))
        os.rename(self.p("e/b"), self.p("e/c"))
        if can_drop_caches():
            drop_caches()
            time.sleep(0.05)
        self.assertEqual(os.stat(self.p("e/c")).st_ino, ino)
        self.assertEqual(os.stat(self.p("a")).st_nlink, 2)
        h.write_file(self.p("e/c"), b"2", "ab")
        self.assertEqual(h.read_file(self.p("a")), b"12")
        self.assertEqual(self.s3_bytes("a"), b"12")
        self.assertEqual(self.s3_bytes("e/c"), b"12")

    def test_errors(self):
        h.write_file(self.p("a"), b"x")
        h.write_file(self.p("taken"), b"y")
        os.mkdir(self.p("dir"))
        self.assertErrno(errno.EEXIST, os.link, self.p("a"), self.p("taken"))
        self.assertErrno(errno.EPERM, os.link, self.p("dir"), self.p("dir2"))
        self.assertErrno(errno.ENOENT, os.link, self.p("missing"), self.p("z"))
        other = self.new_bucket("l")
        self.assertErrno(errno.EXDEV, os.link, self.p("a"), os.path.join(other, "a"))
        self.assertEqual(h.read_file(self.p("taken")), b"y")
        self.assertEqual(os.stat(self.p("a")).st_nlink, 1)

    def test_s3_put_to_one_name_splits_it_off(self):
        h.write_file(self.p("a"), b"shared")
        os.link(self.p("a"), self.p("b"))
        self.s3.put_object(Bucket=self.bucket, Key="b", Body=b"from s3")
        h.wait_for(lambda: os.stat(self.p("a")).st_nlink == 1, 5, what="a's link count to drop")
        h.wait_for(lambda: h.read_file(self.p("b")) == b"from s3", 5, what="b's new bytes")
        h.write_file(self.p("a"), b"!", "ab")
        self.assertEqual(h.read_file(self.p("a")), b"shared!")
        self.assertEqual(self.s3_bytes("b"), b"from s3")
        self.assertEqual(self.s3_bytes("a"), b"shared!")

    def test_tar_with_hard_links_and_xattrs(self):
        if not shutil.which("tar"):
            self.skipTest("needs tar")
        src = tempfile.mkdtemp(prefix="seglake-tar-")
        try:
            os.makedirs(os.path.join(src, "t", "sub"))
            h.write_file(os.path.join(src, "t", "f"), b"hello\n" * 1000)
            try:
                os.setxattr(os.path.join(src, "t", "f"), "user.color", b"blue")
            except OSError:
                self.skipTest("%s has no user xattrs to archive" % src)
            os.link(os.path.join(src, "t", "f"), os.path.join(src, "t", "sub", "g"))
            os.link(os.path.join(src, "t", "f"), os.path.join(src, "t", "h"))
            archive = os.path.join(src, "a.tar")
            subprocess.run(["tar", "--xattrs", "-cf", archive, "-C", src, "t"], check=True)
            p = subprocess.run(["tar", "--xattrs", "--xattrs-include=user.*", "-xf", archive,
                                "-C", self.b], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
        finally:
            shutil.rmtree(src, ignore_errors=True)
        names = [self.p("t/f"), self.p("t/sub/g"), self.p("t/h")]
        stats = [os.stat(n) for n in names]
        self.assertEqual({st.st_ino for st in stats}, {stats[0].st_ino})
        self.assertEqual({st.st_nlink for st in stats}, {3})
        for n in names:
            self.assertEqual(h.read_file(n), b"hello\n" * 1000)
            self.assertEqual(os.getxattr(n, "user.color"), b"blue")
        for key in ("t/f", "t/sub/g", "t/h"):
            self.assertEqual(self.s3_bytes(key), b"hello\n" * 1000)
            self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key=key)["Metadata"]
                             .get("color"), "blue")


if __name__ == "__main__":
    h.main(s3d=True)
