// seglake status, bucket ..., rebuild-index; and the shared engine helpers.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "cli_commands.h"
#include "cli_output.h"

namespace seglake::cli {

std::unique_ptr<Engine> OpenEngine(const Context& ctx, Access access, int* exit_code) {
  const bool create = access == Access::kCreate;
  std::error_code ec;
  if (!create && !std::filesystem::is_directory(ctx.data_dir, ec)) {
    *exit_code = Fail(ctx.command, kExitCannotRun,
                      "data dir " + ctx.data_dir +
                          " does not exist ('seglake bucket create' initializes a new one)");
    return nullptr;
  }
  // Engine::Open initializes an existing empty directory even without
  // create_if_missing, so check for a data dir here. Segments without meta.db
  // are left to the engine, which points at rebuild-index.
  if (!create && !std::filesystem::exists(ctx.data_dir + "/meta.db", ec) &&
      !std::filesystem::exists(ctx.data_dir + "/segments", ec)) {
    *exit_code = Fail(ctx.command, kExitCannotRun,
                      ctx.data_dir +
                          " is not a seglake data dir (it has no meta.db or segments/; "
                          "'seglake bucket create' initializes one)");
    return nullptr;
  }
  Options options;
  options.data_dir = ctx.data_dir;
  options.create_if_missing = create;
  options.read_only = access == Access::kRead;
  options.background_thread = false;  // a short-lived process: nothing to do in the background
  auto engine = Engine::Open(options);
  if (!engine) {
    *exit_code = Fail(ctx.command, kExitCannotRun,
                      "cannot open data dir " + ctx.data_dir + ": " + engine.error().ToString());
    return nullptr;
  }
  return std::move(*engine);
}

int CloseEngine(const Context& ctx, Engine* engine, int exit_code) {
  Status s = engine->Close();
  if (!s.ok()) {
    Fail(ctx.command, kExitProblem, "closing the data dir: " + s.ToString());
    return exit_code == kExitOk ? kExitProblem : exit_code;
  }
  return exit_code;
}

int FailStatus(const Context& ctx, const Status& s) {
  if (s.IsBusy() && s.detail() == "Maintenance") {
    return Fail(ctx.command, kExitProblem,
                "the data dir " + ctx.data_dir +
                    " is in maintenance mode: it takes no writes until 'seglake maintenance off'");
  }
  return Fail(ctx.command, kExitProblem, s.ToString());
}

int UsageError(const Context& ctx, const std::string& message) {
  Fail(ctx.command, kExitCannotRun, message);
  std::fputs("Try 'seglake --help' for more information.\n", stderr);
  return kExitCannotRun;
}

namespace {

void PrintRows(const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& [name, value] : rows) width = std::max(width, name.size());
  for (const auto& [name, value] : rows) {
    std::cout << name << std::string(width - name.size() + 2, ' ') << value << '\n';
  }
}

std::string WithHuman(uint64_t bytes) {
  return std::to_string(bytes) + " (" + HumanBytes(bytes) + ")";
}

// How fragmented the manifests of the versions are (from EngineStats).
struct Fragmentation {
  uint64_t versions = 0;  // not delete markers
  uint64_t extents = 0;   // in all their manifests (holes included)
  uint64_t over_64 = 0;   // versions whose manifest has more than 64 extents
};

Fragmentation FragmentationOf(const EngineStats& s) {
  return Fragmentation{s.versions, s.extents, s.fragmented_versions};
}

double AverageExtents(const Fragmentation& f) {
  if (f.versions == 0) return 0.0;
  return static_cast<double>(f.extents) / static_cast<double>(f.versions);
}

std::string FragmentationText(const Fragmentation& f) {
  char avg[32];
  std::snprintf(avg, sizeof avg, "%.2f", AverageExtents(f));
  return std::string(avg) + " average, " + std::to_string(f.over_64) +
         (f.over_64 == 1 ? " version" : " versions") + " with > 64 extents";
}

// The last fsck and scrub runs, which the engine records in
// DATA_DIR/maint.json as {"fsck": {"ns": N, "problems": N}, "scrub": {...}}.
// A missing file or entry means never; an unreadable one is reported as such.
struct LastRuns {
  nlohmann::json doc = nlohmann::json::object();
  std::string error;  // the file exists but cannot be read or parsed
};

LastRuns ReadLastRuns(const std::string& data_dir) {
  LastRuns runs;
  const std::string path = data_dir + "/maint.json";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return runs;
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) {
    runs.error = "cannot read " + path;
    return runs;
  }
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    runs.error = path + " is not a JSON object";
    return runs;
  }
  runs.doc = std::move(j);
  return runs;
}

// One run as JSON ({"ns", "time", "problems"}; null if never) and as text.
nlohmann::json RunToJson(const LastRuns& runs, const char* what) {
  auto it = runs.doc.find(what);
  if (it == runs.doc.end() || !it->is_object()) return nullptr;
  const nlohmann::json& r = *it;
  nlohmann::json out = nlohmann::json::object();
  if (r.contains("ns") && r["ns"].is_number_unsigned()) {
    out["ns"] = r["ns"];
    out["time"] = FormatTime(r["ns"].get<uint64_t>());
  }
  if (r.contains("problems") && r["problems"].is_number_unsigned()) out["problems"] = r["problems"];
  return out;
}

std::string RunToText(const LastRuns& runs, const char* what) {
  if (!runs.error.empty()) return "unknown (" + runs.error + ")";
  nlohmann::json r = RunToJson(runs, what);
  if (r.is_null()) return "never";
  std::string text = r.contains("time") ? r["time"].get<std::string>() : "at an unknown time";
  if (r.contains("problems")) {
    const uint64_t n = r["problems"].get<uint64_t>();
    text += n == 0 ? ", clean" : ", " + std::to_string(n) + (n == 1 ? " problem" : " problems");
  }
  return text;
}

int BucketList(Context& ctx) {
  if (ctx.operand_count() != 0) return UsageError(ctx, "usage: bucket list");
  return WithEngine(ctx, Access::kRead, [&](Engine& engine) {
    auto buckets = engine.ListBuckets();
    if (!buckets) return FailStatus(ctx, buckets.error());
    if (ctx.json) {
      nlohmann::json j = nlohmann::json::array();
      for (const BucketInfo& b : *buckets) j.push_back(ToJson(b));
      PrintJson({{"buckets", j}});
      return kExitOk;
    }
    for (const BucketInfo& b : *buckets) {
      std::cout << FormatTime(b.created_ns) << "  " << VersioningName(b.versioning) << "  "
                << (b.region.empty() ? "-" : b.region) << "  " << EscapeForTerminal(b.name) << '\n';
    }
    return kExitOk;
  });
}

int BucketCreate(Context& ctx) {
  if (ctx.operand_count() != 1) return UsageError(ctx, "usage: bucket create NAME [--region R]");
  const std::string& name = ctx.operand(0);
  std::string region = ctx.args.Value("region").value_or("");
  return WithEngine(ctx, Access::kCreate, [&](Engine& engine) {
    Status s = engine.CreateBucket(name, region);
    if (!s.ok()) return FailStatus(ctx, s);
    if (ctx.json) {
      PrintJson({{"created", name}, {"region", region}});
    } else {
      std::cout << "created bucket " << EscapeForTerminal(name) << '\n';
    }
    return kExitOk;
  });
}

int BucketDelete(Context& ctx) {
  if (ctx.operand_count() != 1) return UsageError(ctx, "usage: bucket delete NAME");
  const std::string& name = ctx.operand(0);
  return WithEngine(ctx, Access::kWrite, [&](Engine& engine) {
    Status s = engine.DeleteBucket(name);
    if (!s.ok()) return FailStatus(ctx, s);
    if (ctx.json) {
      PrintJson({{"deleted", name}});
    } else {
      std::cout << "deleted bucket " << EscapeForTerminal(name) << '\n';
    }
    return kExitOk;
  });
}

int BucketVersioning(Context& ctx) {
  if (ctx.operand_count() < 1 || ctx.operand_count() > 2) {
    return UsageError(ctx, "usage: bucket versioning NAME [enabled|suspended]");
  }
  const std::string& name = ctx.operand(0);
  std::optional<Versioning> target;
  if (ctx.operand_count() == 2) {
    const std::string& state = ctx.operand(1);
    if (state == "enabled") {
      target = Versioning::kEnabled;
    } else if (state == "suspended") {
      target = Versioning::kSuspended;
    } else {
      return UsageError(ctx, "versioning state must be 'enabled' or 'suspended', not '" +
                                 EscapeForTerminal(state) + "'");
    }
  }
  return WithEngine(ctx, target ? Access::kWrite : Access::kRead, [&](Engine& engine) {
    if (target) {
      Status s = engine.SetVersioning(name, *target);
      if (!s.ok()) return FailStatus(ctx, s);
    }
    auto bucket = engine.GetBucket(name);
    if (!bucket) return FailStatus(ctx, bucket.error());
    if (ctx.json) {
      PrintJson({{"bucket", name}, {"versioning", VersioningName(bucket->versioning)}});
    } else {
      std::cout << VersioningName(bucket->versioning) << '\n';
    }
    return kExitOk;
  });
}

}  // namespace

int CmdStatus(Context& ctx) {
  if (ctx.operand_count() != 0) return UsageError(ctx, "usage: status");
  return WithEngine(ctx, Access::kRead, [&](Engine& engine) {
    auto stats = engine.Stats();
    if (!stats) return FailStatus(ctx, stats.error());
    auto maintenance = engine.Maintenance();
    if (!maintenance) return FailStatus(ctx, maintenance.error());
    const EngineStats& s = *stats;
    const Fragmentation frag = FragmentationOf(s);
    // The last runs are an extra: without them status still reports the rest.
    const LastRuns runs = ReadLastRuns(ctx.data_dir);
    if (ctx.json) {
      nlohmann::json j = ToJson(s);
      j["data_dir"] = ctx.data_dir;
      j["maintenance"] = *maintenance;
      j["fragmentation"] = {{"versions", frag.versions},
                            {"extents", frag.extents},
                            {"avg_extents_per_version", AverageExtents(frag)},
                            {"versions_over_64_extents", frag.over_64}};
      j["last_fsck"] = RunToJson(runs, "fsck");
      j["last_scrub"] = RunToJson(runs, "scrub");
      if (!runs.error.empty()) j["last_runs_error"] = runs.error;
      PrintJson(j);
      return kExitOk;
    }
    PrintRows({
        {"data dir", ctx.data_dir},
        {"buckets", std::to_string(s.buckets)},
        {"objects", std::to_string(s.objects)},
        {"versions", std::to_string(s.versions)},
        {"delete markers", std::to_string(s.delete_markers)},
        {"open uploads", std::to_string(s.uploads)},
        {"segments open", std::to_string(s.segments_open)},
        {"segments sealed", std::to_string(s.segments_sealed)},
        {"segment bytes", WithHuman(s.segment_bytes)},
        {"live bytes", WithHuman(s.live_bytes)},
        {"dead bytes", WithHuman(DeadBytes(s))},
        {"extents/version", FragmentationText(frag)},
        {"maintenance", *maintenance ? "on" : "off"},
        {"last fsck", RunToText(runs, "fsck")},
        {"last scrub", RunToText(runs, "scrub")},
        {"last seq", std::to_string(s.last_seq)},
    });
    return kExitOk;
  });
}

int CmdBucket(Context& ctx) {
  if (ctx.args.positionals.size() < 2) {
    return UsageError(ctx, "missing subcommand: list, create, delete or versioning");
  }
  const std::string sub = ctx.args.positionals[1];
  ctx.command = "bucket " + sub;
  ctx.first_operand = 2;
  if (ctx.args.Has("region") && sub != "create") {
    return UsageError(ctx, "option --region is only for 'bucket create'");
  }
  if (sub == "list") return BucketList(ctx);
  if (sub == "create") return BucketCreate(ctx);
  if (sub == "delete") return BucketDelete(ctx);
  if (sub == "versioning") return BucketVersioning(ctx);
  ctx.command = "bucket";
  return UsageError(ctx, "unknown subcommand '" + EscapeForTerminal(sub) +
                             "' (expected list, create, delete or versioning)");
}

int CmdRebuildIndex(Context& ctx) {
  if (ctx.operand_count() != 0) return UsageError(ctx, "usage: rebuild-index");
  std::error_code ec;
  if (!std::filesystem::is_directory(ctx.data_dir, ec)) {
    return Fail(ctx.command, kExitCannotRun, "data dir " + ctx.data_dir + " does not exist");
  }
  const bool had_index = std::filesystem::exists(ctx.data_dir + "/meta.db", ec);
  Status s = RebuildIndex(ctx.data_dir);
  if (s.IsBusy()) {
    return Fail(ctx.command, kExitCannotRun,
                "refusing to rebuild: the data dir " + ctx.data_dir +
                    " is in use by another process (stop seglake-s3d and unmount "
                    "seglake-mount first): " +
                    s.ToString());
  }
  if (!s.ok()) return FailStatus(ctx, s);
  if (ctx.json) {
    PrintJson({{"rebuilt", ctx.data_dir + "/meta.db"}});
  } else {
    std::cout << "rebuilt " << ctx.data_dir << "/meta.db from the segment logs"
              << (had_index ? "; the old index was kept as meta.db.old-*" : "") << '\n';
  }
  return kExitOk;
}

}  // namespace seglake::cli
