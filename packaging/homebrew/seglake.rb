# Homebrew formula for seglake, built with CMake from a release tarball.
#
#   brew install --formula ./packaging/homebrew/seglake.rb      # from a checkout
#   brew install --HEAD --formula ./packaging/homebrew/seglake.rb
#
# homepage, url and head are placeholders until the project is published:
# set url to the release tarball and sha256 to its `shasum -a 256`. To build
# an unpublished tree, make a tarball of it and point url at the file:
#   git archive --prefix=seglake-0.1.0/ -o /tmp/seglake-0.1.0.tar.gz HEAD
#   url "file:///tmp/seglake-0.1.0.tar.gz"
# For a tap, copy this file to Formula/seglake.rb. See packaging/README.md.
#
# The dependencies are the Homebrew names of .ci/deps.sh's libraries; Boost
# (Boost.Test), s3cmd and rclone serve the tests only, which are off here.
#
# seglake-mount needs FUSE: libfuse (fuse3) on Linux; on macOS the macFUSE
# cask, which a formula cannot depend on (it is a cask with a kernel or
# FSKit extension, not a formula). Install macFUSE first and the build picks
# it up; without it everything but seglake-mount is built.
class Seglake < Formula
  desc "Storage engine served both over S3 (seglake-s3d) and as a FUSE filesystem"
  homepage "https://github.com/seglake/seglake"
  url "https://github.com/seglake/seglake/archive/refs/tags/v0.1.0.tar.gz"
  sha256 "0000000000000000000000000000000000000000000000000000000000000000"
  license :cannot_represent
  head "https://github.com/seglake/seglake.git", branch: "main"

  depends_on "boost" => :build
  depends_on "cmake" => :build
  depends_on "nlohmann-json" => :build
  depends_on "pkgconf" => :build
  depends_on "tl-expected" => :build
  depends_on "brotli"
  depends_on "cpp-httplib"
  depends_on "isa-l"
  depends_on "openssl@3"
  depends_on "pugixml"
  depends_on "sqlite"

  uses_from_macos "zlib"

  on_linux do
    depends_on "libfuse"
  end

  def install
    args = %W[
      -DSEGLAKE_TESTS=OFF
      -DOPENSSL_ROOT_DIR=#{Formula["openssl@3"].opt_prefix}
    ]
    system "cmake", "-S", ".", "-B", "build", *args, *std_cmake_args
    system "cmake", "--build", "build"
    system "cmake", "--install", "build"
  end

  def caveats
    s = <<~EOS
      Serve a data dir over S3 (prints a generated key pair at the first start):
        seglake-s3d --data-dir #{var}/seglake
    EOS
    if OS.mac?
      s += <<~EOS

        seglake-mount needs macFUSE, installed before seglake:
          brew install --cask macfuse
          brew reinstall seglake
        then allow its system extension (System Settings > Privacy & Security).
        Mount with `seglake mount DATA_DIR MOUNTPOINT`, unmount with `umount MOUNTPOINT`.
      EOS
    end
    s
  end

  service do
    run [opt_bin/"seglake-s3d", "--data-dir", var/"seglake"]
    keep_alive true
    log_path var/"log/seglake-s3d.log"
    error_log_path var/"log/seglake-s3d.log"
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/seglake --version")
    assert_match version.to_s, shell_output("#{bin}/seglake-s3d --version")
    data = testpath/"data"
    system bin/"seglake", "--data-dir", data, "bucket", "create", "demo"
    (testpath/"hello.txt").write "hello seglake\n"
    system bin/"seglake", "--data-dir", data, "put", "demo", "a/hello.txt", testpath/"hello.txt"
    assert_equal "hello seglake\n",
                 shell_output("#{bin}/seglake --data-dir #{data} get demo a/hello.txt")
    assert_match "usage: seglake mount", shell_output("#{bin}/seglake mount --help")
  end
end
