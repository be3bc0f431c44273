#include "proto/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <random>
#include <sstream>

#include "proto/encoding.h"

namespace seglake::s3d {
namespace {

std::string RandomString(size_t n, std::string_view alphabet) {
  std::random_device rd;
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::string out;
  for (size_t i = 0; i < n; ++i) out += alphabet[pick(rd)];
  return out;
}

Result<Credentials> Parse(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Err(Status::IOError("cannot read " + path));
  Credentials c;
  std::string line;
  while (std::getline(in, line)) {
    std::string_view l = s3::TrimSpaces(line);
    if (l.empty() || l.front() == '#') continue;
    const size_t eq = l.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = s3::TrimSpaces(l.substr(0, eq));
    std::string_view v = s3::TrimSpaces(l.substr(eq + 1));
    if (k == "access_key") c.access_key = std::string(v);
    if (k == "secret_key") c.secret_key = std::string(v);
  }
  if (c.access_key.empty() || c.secret_key.empty()) {
    return Err(Status::Corruption(path + " lacks access_key or secret_key"));
  }
  return c;
}

Status WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::FromErrno(errno, "write credentials");
    off += static_cast<size_t>(n);
  }
  return Status::OK();
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open " + dir);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc == 0 ? Status::OK() : Status::FromErrno(err, "fsync " + dir);
}

}  // namespace

std::string CredentialsPath(const std::string& data_dir) { return data_dir + "/credentials"; }

namespace {

Credentials NewPair() {
  Credentials c;
  c.access_key = "SL" + RandomString(18, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
  c.secret_key =
      RandomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  c.generated = true;
  return c;
}

// Writes the pair to a private temp file beside `path`; returns its name.
Result<std::string> WriteTemp(const std::string& path, const Credentials& c, const char* why) {
  std::ostringstream doc;
  doc << "# seglake-s3d credentials, " << why << ". Keep this file private.\n"
      << "access_key = " << c.access_key << "\n"
      << "secret_key = " << c.secret_key << "\n";
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Err(Status::FromErrno(errno, "create " + tmp));
  Status st = WriteAll(fd, doc.str());
  if (st.ok() && ::fsync(fd) != 0) st = Status::FromErrno(errno, "fsync " + tmp);
  ::close(fd);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return Err(st);
  }
  return tmp;
}

}  // namespace

Result<Credentials> ReadCredentials(const std::string& data_dir) {
  const std::string path = CredentialsPath(data_dir);
  if (::access(path.c_str(), F_OK) != 0) return Err(Status::NotFound("no credentials in " + path));
  return Parse(path);
}

Result<Credentials> LoadOrCreateCredentials(const std::string& data_dir) {
  const std::string path = CredentialsPath(data_dir);
  if (::access(path.c_str(), F_OK) == 0) return Parse(path);
  Credentials c = NewPair();
  auto tmp = WriteTemp(path, c, "generated at first start");
  if (!tmp) return Err(tmp.error());
  Status st;
  if (::link(tmp->c_str(), path.c_str()) != 0) {
    if (errno == EEXIST) {
      ::unlink(tmp->c_str());
      return Parse(path);  // another process published first
    }
    st = Status::FromErrno(errno, "link " + path);
  }
  ::unlink(tmp->c_str());
  if (!st.ok()) return Err(st);
  if (Status d = SyncDir(data_dir); !d.ok()) return Err(d);
  return c;
}

Result<Credentials> RotateCredentials(const std::string& data_dir) {
  const std::string path = CredentialsPath(data_dir);
  Credentials c = NewPair();
  auto tmp = WriteTemp(path, c, "rotated by seglake keys rotate");
  if (!tmp) return Err(tmp.error());
  if (::rename(tmp->c_str(), path.c_str()) != 0) {
    Status st = Status::FromErrno(errno, "rename " + path);
    ::unlink(tmp->c_str());
    return Err(st);
  }
  if (Status d = SyncDir(data_dir); !d.ok()) return Err(d);
  return c;
}

}  // namespace seglake::s3d
