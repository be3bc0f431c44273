// seglake put, get, head, ls, rm, cp, mv.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <vector>

#include "cli_commands.h"
#include "cli_output.h"

namespace seglake::cli {
namespace {

constexpr size_t kChunk = 1 << 20;  // put and get stream in 1 MiB chunks

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

std::string Errno() { return std::strerror(errno); }

void PrintWritten(const Context& ctx, const ObjectInfo& info) {
  if (ctx.json) {
    PrintJson(ToJson(info));
    return;
  }
  std::cout << "version-id  " << info.version_id << '\n'
            << "etag        " << info.etag << '\n'
            << "size        " << info.size << '\n';
}

}  // namespace

int CmdPut(Context& ctx) {
  if (ctx.operand_count() < 2 || ctx.operand_count() > 3) {
    return UsageError(ctx, "usage: put BUCKET KEY [FILE|-] [--content-type TYPE]");
  }
  const std::string& bucket = ctx.operand(0);
  const std::string& key = ctx.operand(1);
  const std::string source = ctx.operand_count() == 3 ? ctx.operand(2) : "-";
  const bool from_stdin = source == "-";
  FilePtr owned;
  std::FILE* in = stdin;
  if (!from_stdin) {
    owned.reset(std::fopen(source.c_str(), "rb"));
    if (!owned) return Fail(ctx.command, kExitCannotRun, "cannot open " + source + ": " + Errno());
    in = owned.get();
  }
  const std::string source_name = from_stdin ? "standard input" : source;
  PutOptions opts;
  opts.attrs.content_type = ctx.args.Value("content-type").value_or("");
  return WithEngine(ctx, Access::kWrite, [&](Engine& engine) {
    auto writer = engine.BeginPut(bucket, key, opts);
    if (!writer) return FailStatus(ctx, writer.error());
    std::vector<char> buf(kChunk);
    uint64_t total = 0;
    for (;;) {
      size_t n = std::fread(buf.data(), 1, buf.size(), in);
      if (n > 0) {
        Status s = (*writer)->Append(buf.data(), n);
        if (!s.ok()) return FailStatus(ctx, s);
        total += n;
      }
      if (n < buf.size()) {
        if (std::ferror(in)) {
          return Fail(ctx.command, kExitProblem,
                      "reading " + source_name + ": " + Errno() + " (nothing was stored)");
        }
        if (std::feof(in)) break;
      }
    }
    if ((*writer)->size() != total) {
      return Fail(ctx.command, kExitProblem,
                  "the writer counted " + std::to_string((*writer)->size()) + " bytes but " +
                      std::to_string(total) + " were appended (nothing was stored)");
    }
    auto info = (*writer)->Commit();
    if (!info) return FailStatus(ctx, info.error());
    PrintWritten(ctx, *info);
    return kExitOk;
  });
}

int CmdGet(Context& ctx) {
  if (ctx.operand_count() != 2) {
    return UsageError(ctx, "usage: get BUCKET KEY [--version-id V] [-o FILE]");
  }
  const std::string& bucket = ctx.operand(0);
  const std::string& key = ctx.operand(1);
  const std::string version_id = ctx.args.Value("version-id").value_or("");
  const std::string output = ctx.args.Value("output").value_or("-");
  const bool to_stdout = output == "-";
  return WithEngine(ctx, Access::kRead, [&](Engine& engine) {
    auto reader = engine.OpenRead(bucket, key, version_id);
    if (!reader) return FailStatus(ctx, reader.error());
    const ObjectInfo info = (*reader)->info();
    FilePtr owned;
    std::FILE* out = stdout;
    if (!to_stdout) {
      owned.reset(std::fopen(output.c_str(), "wb"));
      if (!owned) {
        return Fail(ctx.command, kExitCannotRun, "cannot create " + output + ": " + Errno());
      }
      out = owned.get();
    }
    // On a failure after the output file was created, remove the partial file.
    auto fail = [&](const std::string& message) {
      if (!to_stdout) {
        owned.reset();
        std::error_code ec;
        std::filesystem::remove(output, ec);
      }
      return Fail(ctx.command, kExitProblem, message);
    };
    std::vector<char> buf(kChunk);
    uint64_t offset = 0;
    while (offset < info.size) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), info.size - offset));
      auto n = (*reader)->ReadAt(offset, buf.data(), want);
      if (!n) return fail(n.error().ToString());
      if (*n == 0 || *n > want) {
        return fail("read of " + std::to_string(want) + " bytes at offset " +
                    std::to_string(offset) + " returned " + std::to_string(*n) +
                    " (the version is " + std::to_string(info.size) + " bytes)");
      }
      if (std::fwrite(buf.data(), 1, *n, out) != *n) {
        return fail("writing " + (to_stdout ? std::string("standard output") : output) + ": " +
                    Errno());
      }
      offset += *n;
    }
    if (std::fflush(out) != 0) return fail("writing " + output + ": " + Errno());
    if (!to_stdout) {
      std::FILE* f = owned.release();
      if (std::fclose(f) != 0) return fail("closing " + output + ": " + Errno());
      if (ctx.json) PrintJson(ToJson(info));
    }
    return kExitOk;
  });
}

int CmdHead(Context& ctx) {
  if (ctx.operand_count() != 2) return UsageError(ctx, "usage: head BUCKET KEY [--version-id V]");
  const std::string version_id = ctx.args.Value("version-id").value_or("");
  return WithEngine(ctx, Access::kRead, [&](Engine& engine) {
    auto info = engine.Head(ctx.operand(0), ctx.operand(1), version_id);
    if (!info) return FailStatus(ctx, info.error());
    if (ctx.json) {
      PrintJson(ToJson(*info));
      return kExitOk;
    }
    const ObjectInfo& o = *info;
    std::vector<std::pair<std::string, std::string>> rows = {
        {"bucket", EscapeForTerminal(o.bucket)},
        {"key", EscapeForTerminal(o.key)},
        {"version-id", o.version_id},
        {"size", std::to_string(o.size) + " (" + HumanBytes(o.size) + ")"},
        {"etag", o.etag},
        {"last-modified", FormatTime(o.last_modified_ns)},
        {"latest", o.is_latest ? "yes" : "no"},
        {"delete-marker", o.delete_marker ? "yes" : "no"},
        {"parts", std::to_string(o.parts)},
        {"seq", std::to_string(o.seq)},
    };
    if (!o.attrs.content_type.empty()) rows.emplace_back("content-type", o.attrs.content_type);
    for (const auto& [name, value] : {std::pair{"crc32c", &o.checksums.crc32c},
                                      {"crc32", &o.checksums.crc32},
                                      {"crc64nvme", &o.checksums.crc64nvme},
                                      {"sha1", &o.checksums.sha1},
                                      {"sha256", &o.checksums.sha256}}) {
      if (!value->empty()) rows.emplace_back(std::string("checksum-") + name, *value);
    }
    for (const auto& [name, value] : o.attrs.user_meta) {
      rows.emplace_back("x-amz-meta-" + EscapeForTerminal(name), EscapeForTerminal(value));
    }
    size_t width = 0;
    for (const auto& row : rows) width = std::max(width, row.first.size());
    for (const auto& [name, value] : rows) {
      std::cout << name << std::string(width - name.size() + 2, ' ') << value << '\n';
    }
    return kExitOk;
  });
}

namespace {

void PrintPrefix(const std::string& prefix) {
  std::cout << std::setw(20 + 2 + 12) << "PRE"
            << "  " << EscapeForTerminal(prefix) << '\n';
}

// Prints one page of a listing as a table: the entries and the common
// prefixes (each sorted by key) merged in key order.
template <typename PrintEntry>
void PrintInKeyOrder(const std::vector<ObjectInfo>& entries,
                     const std::vector<std::string>& prefixes, PrintEntry print_entry) {
  size_t p = 0;
  for (const ObjectInfo& o : entries) {
    for (; p < prefixes.size() && prefixes[p] < o.key; ++p) PrintPrefix(prefixes[p]);
    print_entry(o);
  }
  for (; p < prefixes.size(); ++p) PrintPrefix(prefixes[p]);
}

int ListObjects(Context& ctx, Engine& engine, const std::string& bucket, ListOptions opts) {
  nlohmann::json objects = nlohmann::json::array();
  nlohmann::json prefixes = nlohmann::json::array();
  for (;;) {
    auto page = engine.List(bucket, opts);
    if (!page) return FailStatus(ctx, page.error());
    if (ctx.json) {
      for (const ObjectInfo& o : page->objects) objects.push_back(ToJson(o));
      for (const std::string& p : page->common_prefixes) prefixes.push_back(p);
    } else {
      PrintInKeyOrder(page->objects, page->common_prefixes, [](const ObjectInfo& o) {
        std::cout << FormatTime(o.last_modified_ns) << "  " << std::setw(12) << o.size << "  "
                  << EscapeForTerminal(o.key) << '\n';
      });
    }
    if (!page->truncated) break;
    if (page->next_marker.empty() || page->next_marker <= opts.start_after) {
      return Fail(ctx.command, kExitProblem,
                  "the listing did not advance past '" + EscapeForTerminal(opts.start_after) +
                      "' (engine bug)");
    }
    opts.start_after = page->next_marker;
  }
  if (ctx.json) PrintJson({{"objects", objects}, {"common_prefixes", prefixes}});
  return kExitOk;
}

int ListVersions(Context& ctx, Engine& engine, const std::string& bucket,
                 ListVersionsOptions opts) {
  nlohmann::json versions = nlohmann::json::array();
  nlohmann::json prefixes = nlohmann::json::array();
  for (;;) {
    auto page = engine.ListVersions(bucket, opts);
    if (!page) return FailStatus(ctx, page.error());
    if (ctx.json) {
      for (const ObjectInfo& o : page->versions) versions.push_back(ToJson(o));
      for (const std::string& p : page->common_prefixes) prefixes.push_back(p);
    } else {
      PrintInKeyOrder(page->versions, page->common_prefixes, [](const ObjectInfo& o) {
        std::cout << FormatTime(o.last_modified_ns) << "  " << std::setw(12)
                  << (o.delete_marker ? std::string("DEL") : std::to_string(o.size)) << "  "
                  << o.version_id << "  " << (o.is_latest ? "latest" : "      ") << "  "
                  << EscapeForTerminal(o.key) << '\n';
      });
    }
    if (!page->truncated) break;
    if (page->next_key_marker.empty() || (page->next_key_marker == opts.key_marker &&
                                          page->next_version_id_marker == opts.version_id_marker)) {
      return Fail(ctx.command, kExitProblem,
                  "the version listing did not advance past '" +
                      EscapeForTerminal(opts.key_marker) + "' (engine bug)");
    }
    opts.key_marker = page->next_key_marker;
    opts.version_id_marker = page->next_version_id_marker;
  }
  if (ctx.json) PrintJson({{"versions", versions}, {"common_prefixes", prefixes}});
  return kExitOk;
}

}  // namespace

int CmdLs(Context& ctx) {
  if (ctx.operand_count() != 1) {
    return UsageError(ctx,
                      "usage: ls BUCKET [--prefix P] [--delimiter D] [--versions] [--page-size N]");
  }
  const std::string& bucket = ctx.operand(0);
  const std::string prefix = ctx.args.Value("prefix").value_or("");
  const std::string delimiter = ctx.args.Value("delimiter").value_or("");
  uint32_t page_size = 1000;
  if (std::optional<std::string> v = ctx.args.Value("page-size")) {
    char* end = nullptr;
    errno = 0;
    unsigned long n = std::strtoul(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || errno != 0 || n < 1 || n > 1000) {
      return UsageError(ctx, "option --page-size needs a number from 1 to 1000, not '" +
                                 EscapeForTerminal(*v) + "'");
    }
    page_size = static_cast<uint32_t>(n);
  }
  return WithEngine(ctx, Access::kRead, [&](Engine& engine) {
    if (ctx.args.Has("versions")) {
      ListVersionsOptions opts;
      opts.prefix = prefix;
      opts.delimiter = delimiter;
      opts.max_keys = page_size;
      return ListVersions(ctx, engine, bucket, opts);
    }
    ListOptions opts;
    opts.prefix = prefix;
    opts.delimiter = delimiter;
    opts.max_keys = page_size;
    return ListObjects(ctx, engine, bucket, opts);
  });
}

int CmdRm(Context& ctx) {
  if (ctx.operand_count() != 2) return UsageError(ctx, "usage: rm BUCKET KEY [--version-id V]");
  const std::string& bucket = ctx.operand(0);
  const std::string& key = ctx.operand(1);
  const std::string version_id = ctx.args.Value("version-id").value_or("");
  return WithEngine(ctx, Access::kWrite, [&](Engine& engine) {
    auto r = engine.Delete(bucket, key, version_id);
    if (!r) return FailStatus(ctx, r.error());
    if (ctx.json) {
      PrintJson({{"bucket", bucket},
                 {"key", key},
                 {"delete_marker", r->delete_marker},
                 {"version_id", r->version_id}});
    } else if (version_id.empty() && r->delete_marker) {
      std::cout << "created delete marker " << r->version_id << '\n';
    } else if (r->delete_marker) {
      std::cout << "removed delete marker " << r->version_id << '\n';
    } else if (!version_id.empty()) {
      std::cout << "removed version " << r->version_id << '\n';
    } else {
      std::cout << "removed " << EscapeForTerminal(key) << '\n';
    }
    return kExitOk;
  });
}

int CmdCp(Context& ctx) {
  if (ctx.operand_count() != 4) {
    return UsageError(ctx, "usage: cp SRCBUCKET SRCKEY DSTBUCKET DSTKEY [--version-id V]");
  }
  CopyOptions opts;
  opts.src_version_id = ctx.args.Value("version-id").value_or("");
  return WithEngine(ctx, Access::kWrite, [&](Engine& engine) {
    auto info = engine.Copy(ctx.operand(0), ctx.operand(1), ctx.operand(2), ctx.operand(3), opts);
    if (!info) return FailStatus(ctx, info.error());
    PrintWritten(ctx, *info);
    return kExitOk;
  });
}

int CmdMv(Context& ctx) {
  if (ctx.operand_count() != 3) {
    return UsageError(ctx, "usage: mv BUCKET FROM TO [--prefix] [--replace]");
  }
  const std::string& bucket = ctx.operand(0);
  const std::string& from = ctx.operand(1);
  const std::string& to = ctx.operand(2);
  const bool prefix = ctx.args.Has("prefix");
  const bool replace = ctx.args.Has("replace");
  return WithEngine(ctx, Access::kWrite, [&](Engine& engine) {
    Status s = engine.Rename(bucket, from, to, prefix, replace);
    if (!s.ok()) return FailStatus(ctx, s);
    if (ctx.json) {
      PrintJson({{"bucket", bucket}, {"from", from}, {"to", to}, {"prefix", prefix}});
    } else {
      std::cout << "renamed " << (prefix ? "prefix " : "") << EscapeForTerminal(from) << " to "
                << EscapeForTerminal(to) << '\n';
    }
    return kExitOk;
  });
}

}  // namespace seglake::cli
