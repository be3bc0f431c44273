// seglake fsck, scrub, snapshot, mpu-gc, maintenance: the engine's
// maintenance operations. Each works while seglake-s3d or a mount has the data
// dir open. Exit codes: 0 clean, 1 problems found (or the operation failed),
// 2 could not run.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>
#include <string_view>

#include "cli_commands.h"
#include "cli_output.h"
#include "proto/credentials.h"

namespace seglake::cli {
namespace {

constexpr uint64_t kSecond = 1'000'000'000ull;

// "7d", "12h", "30m", "3600s", "2w", or a sequence such as "1h30m", as
// nanoseconds. Every number needs a unit.
std::optional<uint64_t> ParseDuration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    uint64_t n = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (n > (std::numeric_limits<uint64_t>::max() - 9) / 10) return std::nullopt;
      n = n * 10 + static_cast<uint64_t>(s[i] - '0');
    }
    if (i == s.size()) return std::nullopt;  // no unit
    uint64_t unit = 0;
    switch (s[i++]) {
      case 's':
        unit = kSecond;
        break;
      case 'm':
        unit = 60 * kSecond;
        break;
      case 'h':
        unit = 3600 * kSecond;
        break;
      case 'd':
        unit = 86400 * kSecond;
        break;
      case 'w':
        unit = 7 * 86400 * kSecond;
        break;
      default:
        return std::nullopt;
    }
    if (n > (std::numeric_limits<uint64_t>::max() - total) / unit) return std::nullopt;
    total += n * unit;
  }
  return total;
}

std::string Plural(uint64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// Whether problem.version_id names an upload rather than a version: the part
// kinds always do; fsck reports a part's bad manifest under its upload id.
bool IdIsUpload(Engine& engine, const Problem& p) {
  if (p.kind.ends_with("-part")) return true;
  if (p.version_id.empty() || p.version_id == "null") return false;
  auto upload = engine.GetUpload(p.version_id);
  return upload.has_value();
}

// Prints the problems (table: one per line on stdout) and returns them as
// JSON.
nlohmann::json ReportProblems(const Context& ctx, Engine& engine,
                              const std::vector<Problem>& problems) {
  nlohmann::json out = nlohmann::json::array();
  for (const Problem& p : problems) {
    const bool upload = IdIsUpload(engine, p);
    if (ctx.json) {
      out.push_back(ToJson(p, upload));
    } else {
      std::cout << FormatProblem(p, upload) << '\n';
    }
  }
  return out;
}

// A run that could not finish: the data dir could not be read through.
int FailRun(const Context& ctx, const Status& s) {
  return Fail(ctx.command, kExitCannotRun, "could not finish: " + s.ToString());
}

}  // namespace

int CmdFsck(Context& ctx) {
  if (ctx.operand_count() != 0) return UsageError(ctx, "usage: fsck");
  // Read-only: opening for writing would recover (cut and seal) the segments
  // of writers that died, changing what fsck is about to look at.
  return WithEngine(ctx, Access::kRead, [&](Engine& engine) {
    auto report = [&] {
      ProgressBar bar("fsck", ProgressBar::Unit::kCount, "versions and parts");
      return engine.Fsck(bar.Fn());
    }();
    if (!report) return FailRun(ctx, report.error());
    const FsckReport& r = *report;
    nlohmann::json problems = ReportProblems(ctx, engine, r.problems);
    if (ctx.json) {
      PrintJson({{"clean", r.problems.empty()},
                 {"versions", r.versions},
                 {"parts", r.parts},
                 {"extents", r.extents},
                 {"segments", r.segments},
                 {"records_checked", r.records_checked},
                 {"problems", problems}});
    } else {
      std::cout << "fsck: " << Plural(r.versions, "version", "versions") << ", "
                << Plural(r.parts, "part", "parts") << ", "
                << Plural(r.extents, "extent", "extents") << " in "
                << Plural(r.segments, "segment", "segments") << " ("
                << Plural(r.records_checked, "record header", "record headers") << " read): "
                << (r.problems.empty() ? "clean" : Plural(r.problems.size(), "problem", "problems"))
                << '\n';
    }
    return r.problems.empty() ? kExitOk : kExitProblem;
  });
}

int CmdScrub(Context& ctx) {
  if (ctx.operand_count() != 0) return UsageError(ctx, "usage: scrub [--no-mark]");
  const bool mark = !ctx.args.Has("no-mark");
  // Marking damaged versions is a write; without it scrub only reads.
  return WithEngine(ctx, mark ? Access::kWrite : Access::kRead, [&](Engine& engine) {
    auto report = [&] {
      ProgressBar bar("scrub", ProgressBar::Unit::kBytes);
      return engine.Scrub(mark, bar.Fn());
    }();
    if (!report) return FailRun(ctx, report.error());
    const ScrubReport& r = *report;
    nlohmann::json problems = ReportProblems(ctx, engine, r.problems);
    if (ctx.json) {
      PrintJson({{"clean", r.problems.empty()},
                 {"segments", r.segments},
                 {"bytes", r.bytes},
                 {"bad_records", r.bad_records},
                 {"damaged_versions", r.damaged_versions},
                 {"marked", mark && r.damaged_versions > 0},
                 {"problems", problems}});
    } else {
      std::cout << "scrub: " << Plural(r.segments, "segment", "segments") << ", " << r.bytes
                << " bytes (" << HumanBytes(r.bytes) << ") verified: ";
      if (r.problems.empty()) {
        std::cout << "clean\n";
      } else {
        std::cout << Plural(r.bad_records, "bad record", "bad records") << ", "
                  << Plural(r.damaged_versions, "damaged version", "damaged versions");
        if (r.damaged_versions > 0) {
          std::cout << (mark ? " (marked: reads of them fail)" : " (not marked: --no-mark)");
        }
        std::cout << '\n';
      }
    }
    return r.problems.empty() ? kExitOk : kExitProblem;
  });
}

int CmdSnapshot(Context& ctx) {
  if (ctx.operand_count() != 1) return UsageError(ctx, "usage: snapshot DEST");
  const std::string& dest = ctx.operand(0);
  std::error_code ec;
  if (std::filesystem::symlink_status(dest, ec).type() != std::filesystem::file_type::not_found) {
    return Fail(ctx.command, kExitCannotRun,
                dest + " exists; a snapshot is written to a new directory");
  }
  std::filesystem::path parent = std::filesystem::path(dest).parent_path();
  if (parent.empty()) parent = ".";
  if (!std::filesystem::is_directory(parent, ec)) {
    return Fail(ctx.command, kExitCannotRun,
                "cannot create " + dest + ": " + parent.string() + " is not a directory");
  }
  return WithEngine(ctx, Access::kRead, [&](Engine& engine) {
    Status s = [&] {
      ProgressBar bar("snapshot", ProgressBar::Unit::kBytes);
      return engine.Snapshot(dest, bar.Fn());
    }();
    if (s.IsAlreadyExists()) {
      return Fail(ctx.command, kExitCannotRun,
                  dest + " exists; a snapshot is written to a new directory");
    }
    if (!s.ok()) {
      // DEST did not exist before: what is there is this run's partial copy.
      std::filesystem::remove_all(dest, ec);
      return Fail(
          ctx.command, kExitProblem,
          "snapshot to " + dest + " failed (the partial copy was removed): " + s.ToString());
    }
    // The copies of segments other processes were writing are open segments
    // whose writers the copy does not have: one open of the copy recovers
    // them (cutting what was committed after the index was copied) and seals
    // them, so the snapshot is complete and checks clean as it stands.
    Options options;
    options.data_dir = dest;
    options.create_if_missing = false;
    options.background_thread = false;
    auto copy = Engine::Open(options);
    if (copy) s = (*copy)->Close();
    if (!copy || !s.ok()) {
      return Fail(ctx.command, kExitProblem,
                  "snapshot written to " + dest +
                      ", but recovering it failed: " + (copy ? s : copy.error()).ToString());
    }
    if (ctx.json) {
      PrintJson({{"snapshot", dest}, {"data_dir", ctx.data_dir}});
    } else {
      std::cout << "snapshot of " << ctx.data_dir << " written to " << dest << '\n';
    }
    return kExitOk;
  });
}

int CmdMpuGc(Context& ctx) {
  if (ctx.operand_count() != 0) return UsageError(ctx, "usage: mpu-gc --older-than DURATION");
  std::optional<std::string> older_than = ctx.args.Value("older-than");
  if (!older_than) {
    return UsageError(ctx, "missing --older-than DURATION (for example 7d, 12h, 30m, 3600s)");
  }
  std::optional<uint64_t> age_ns = ParseDuration(*older_than);
  if (!age_ns) {
    return UsageError(ctx, "option --older-than: '" + EscapeForTerminal(*older_than) +
                               "' is not a duration (a number and a unit: s, m, h, d or w; "
                               "for example 7d, 12h, 30m, 3600s)");
  }
  return WithEngine(ctx, Access::kWrite, [&](Engine& engine) {
    auto aborted = engine.AbortUploadsOlderThan(*age_ns);
    if (!aborted) return FailStatus(ctx, aborted.error());
    if (ctx.json) {
      PrintJson({{"aborted", *aborted}, {"older_than", *older_than}, {"older_than_ns", *age_ns}});
    } else {
      std::cout << "aborted " << Plural(*aborted, "multipart upload", "multipart uploads")
                << " older than " << *older_than << '\n';
    }
    return kExitOk;
  });
}

int CmdMaintenance(Context& ctx) {
  if (ctx.operand_count() != 1) return UsageError(ctx, "usage: maintenance on|off|status");
  const std::string& sub = ctx.operand(0);
  if (sub != "on" && sub != "off" && sub != "status") {
    return UsageError(ctx, "expected on, off or status, not '" + EscapeForTerminal(sub) + "'");
  }
  const bool set = sub != "status";
  return WithEngine(ctx, set ? Access::kWrite : Access::kRead, [&](Engine& engine) {
    if (set) {
      Status s = engine.SetMaintenance(sub == "on");
      if (!s.ok()) return FailStatus(ctx, s);
    }
    auto on = engine.Maintenance();
    if (!on) return FailStatus(ctx, on.error());
    if (ctx.json) {
      PrintJson({{"maintenance", *on}});
    } else if (!set) {
      std::cout << (*on ? "on" : "off") << '\n';
    } else if (*on) {
      std::cout << "maintenance mode on: every write to " << ctx.data_dir
                << " fails until 'seglake maintenance off'\n";
    } else {
      std::cout << "maintenance mode off\n";
    }
    return kExitOk;
  });
}

namespace {

std::atomic<bool> g_stop{false};
extern "C" void OnInterrupt(int) { g_stop = true; }

// Ctrl-C (or SIGTERM) stops a long run at the next step, cleanly.
struct StopOnSignal {
  StopOnSignal() {
    std::signal(SIGINT, OnInterrupt);
    std::signal(SIGTERM, OnInterrupt);
  }
  ~StopOnSignal() {
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
  }
};

ProgressFn Stoppable(ProgressFn bar) {
  return [bar](uint64_t done, uint64_t total) {
    if (bar) bar(done, total);
    return !g_stop.load();
  };
}

}  // namespace

int CmdGc(Context& ctx) {
  if (ctx.operand_count() != 1 || (ctx.operand(0) != "plan" && ctx.operand(0) != "run"))
    return UsageError(ctx, "usage: gc plan|run [--grace DURATION]");
  const bool run = ctx.operand(0) == "run";
  uint64_t grace = 300 * kSecond;
  if (auto g = ctx.args.Value("grace")) {
    auto parsed = ParseDuration(*g);
    if (!parsed) {
      return UsageError(ctx, "option --grace: '" + EscapeForTerminal(*g) +
                                 "' is not a duration (for example 0s, 5m, 1h)");
    }
    grace = *parsed;
  }
  return WithEngine(ctx, run ? Access::kWrite : Access::kRead, [&](Engine& engine) {
    auto r = engine.CollectGarbage(!run, grace);
    if (!r) return FailStatus(ctx, r.error());
    GcReport rep = *r;
    if (run && grace == 0 && rep.condemned > 0) {
      // Nothing to wait for: delete what was just condemned, unless a
      // reader somewhere still holds it.
      auto again = engine.CollectGarbage(false, 0);
      if (!again) return FailStatus(ctx, again.error());
      rep.deleted += again->deleted;
      rep.bytes_freed += again->bytes_freed;
      rep.waiting = again->waiting;
      rep.waiting_bytes = again->waiting_bytes;
    }
    if (ctx.json) {
      PrintJson({{"run", run},
                 {"candidates", rep.candidates},
                 {"condemned", rep.condemned},
                 {"deleted", rep.deleted},
                 {"bytes_freed", rep.bytes_freed},
                 {"waiting", rep.waiting},
                 {"waiting_bytes", rep.waiting_bytes}});
    } else if (!run) {
      std::cout << "gc plan: " << Plural(rep.candidates, "segment", "segments")
                << " no version, part or upload references; "
                << Plural(rep.waiting, "condemned segment", "condemned segments") << " ("
                << HumanBytes(rep.waiting_bytes) << ") waiting for readers or the grace period\n";
    } else {
      std::cout << "gc: condemned " << rep.condemned << ", deleted "
                << Plural(rep.deleted, "segment", "segments") << " (" << HumanBytes(rep.bytes_freed)
                << " freed); " << rep.waiting << " waiting (" << HumanBytes(rep.waiting_bytes)
                << ")\n";
    }
    return kExitOk;
  });
}

int CmdCompact(Context& ctx) {
  if (ctx.operand_count() != 1 || (ctx.operand(0) != "plan" && ctx.operand(0) != "run"))
    return UsageError(ctx,
                      "usage: compact plan|run [--max-live RATIO] [--rate MBPS] [--no-defrag]");
  CompactOptions o;
  o.dry_run = ctx.operand(0) == "plan";
  if (auto v = ctx.args.Value("max-live")) {
    char* end = nullptr;
    double d = std::strtod(v->c_str(), &end);
    if (v->empty() || *end != '\0' || !(d >= 0 && d <= 1))
      return UsageError(
          ctx, "option --max-live: '" + EscapeForTerminal(*v) + "' is not a ratio between 0 and 1");
    o.max_live_ratio = d;
  }
  if (auto v = ctx.args.Value("rate")) {
    char* end = nullptr;
    double d = std::strtod(v->c_str(), &end);
    if (v->empty() || *end != '\0' || !(d > 0))
      return UsageError(
          ctx, "option --rate: '" + EscapeForTerminal(*v) + "' is not a positive number of MB/s");
    o.max_bytes_per_sec = static_cast<uint64_t>(d * 1e6);
  }
  if (ctx.args.Has("no-defrag")) o.defrag_min_extents = 0;
  StopOnSignal stop;
  return WithEngine(ctx, o.dry_run ? Access::kRead : Access::kWrite, [&](Engine& engine) {
    Result<CompactReport> r = [&] {
      ProgressBar bar("compact", ProgressBar::Unit::kBytes);
      return engine.Compact(o, Stoppable(bar.Fn()));
    }();
    if (!r) return FailStatus(ctx, r.error());
    const CompactReport& c = *r;
    double secs = static_cast<double>(c.elapsed_ns) / 1e9;
    if (ctx.json) {
      PrintJson({{"run", !o.dry_run},
                 {"stopped", g_stop.load()},
                 {"segments", c.segments},
                 {"segment_bytes", c.segment_bytes},
                 {"versions", c.versions},
                 {"fragmented", c.fragmented},
                 {"bytes", c.bytes},
                 {"skipped", c.skipped},
                 {"seconds", secs}});
    } else if (o.dry_run) {
      std::cout << "compact plan: " << Plural(c.segments, "segment", "segments") << " ("
                << HumanBytes(c.segment_bytes) << ") under " << o.max_live_ratio * 100 << "% live; "
                << Plural(c.versions, "version", "versions") << " to rewrite (" << c.fragmented
                << " fragmented), " << HumanBytes(c.bytes) << '\n';
    } else {
      std::cout << "compact: rewrote " << Plural(c.versions, "version", "versions") << ", "
                << HumanBytes(c.bytes) << " in " << secs << " s";
      if (secs > 0) std::cout << " (" << static_cast<double>(c.bytes) / 1e6 / secs << " MB/s)";
      std::cout << "; " << c.skipped << " changed meanwhile and left for the next run"
                << (g_stop ? "; stopped early: run it again to go on" : "") << '\n';
      std::cout << "the old segments go with the next 'seglake gc run'\n";
    }
    return kExitOk;
  });
}

int CmdKeys(Context& ctx) {
  if (ctx.operand_count() != 1 || (ctx.operand(0) != "show" && ctx.operand(0) != "rotate"))
    return UsageError(ctx, "usage: keys show [--secret] | keys rotate");
  const bool rotate = ctx.operand(0) == "rotate";
  if (!std::filesystem::is_directory(ctx.data_dir))
    return Fail(ctx.command, kExitCannotRun, "no data dir at " + ctx.data_dir);
  auto c = rotate ? s3d::RotateCredentials(ctx.data_dir) : s3d::ReadCredentials(ctx.data_dir);
  if (!c) {
    return Fail(
        ctx.command, c.error().IsNotFound() ? kExitCannotRun : kExitProblem,
        c.error().message() +
            (c.error().IsNotFound() ? " (seglake-s3d creates them at its first start)" : ""));
  }
  const bool secret = rotate || ctx.args.Has("secret");
  if (ctx.json) {
    nlohmann::json j = {{"access_key", c->access_key},
                        {"file", s3d::CredentialsPath(ctx.data_dir)}};
    if (secret) j["secret_key"] = c->secret_key;
    j["rotated"] = rotate;
    PrintJson(j);
  } else {
    std::cout << "access key  " << c->access_key << '\n';
    if (secret) std::cout << "secret key  " << c->secret_key << '\n';
    if (rotate)
      std::cout << "the new pair is in " << s3d::CredentialsPath(ctx.data_dir)
                << "; restart seglake-s3d to use it\n";
  }
  return kExitOk;
}

}  // namespace seglake::cli
