#include "proto/cmdline.h"

#include <fstream>
#include <sstream>

namespace seglake::s3 {

FlagParse ParseLongFlags(std::span<const FlagSpec> specs, const std::vector<std::string>& args,
                         const EnvLookup& env, FlagValues* values, std::string* error) {
  if (env) {
    for (const FlagSpec& f : specs) {
      if (f.env.empty()) continue;
      if (auto v = env(std::string(f.env))) (*values)[std::string(f.name)] = *v;
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h") return FlagParse::kHelp;
    if (!a.starts_with("--") || a == "--") {
      *error = "unexpected argument '" + a + "'";
      return FlagParse::kUsageError;
    }
    std::string_view body = std::string_view(a).substr(2);
    const size_t eq = body.find('=');
    std::string_view name = body.substr(0, eq);
    const FlagSpec* f = nullptr;
    for (const FlagSpec& s : specs) {
      if (s.name == name) f = &s;
    }
    if (!f) {
      *error = "unknown flag --" + std::string(name);
      return FlagParse::kUsageError;
    }
    if (!f->takes_value) {
      if (eq != std::string_view::npos) {
        *error = "flag --" + std::string(name) + " takes no value";
        return FlagParse::kUsageError;
      }
      if (name == "help") return FlagParse::kHelp;
      if (name == "version") return FlagParse::kVersion;
      (*values)[std::string(name)] = "1";
      continue;
    }
    if (eq != std::string_view::npos) {
      (*values)[std::string(name)] = std::string(body.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      (*values)[std::string(name)] = args[++i];
    } else {
      *error = "flag --" + std::string(name) + " needs a value";
      return FlagParse::kUsageError;
    }
  }
  return FlagParse::kOk;
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::optional<bool> ParseSwitch(std::string_view v) {
  for (std::string_view t : {"true", "yes", "on", "1"}) {
    if (v == t) return true;
  }
  for (std::string_view f : {"false", "no", "off", "0"}) {
    if (v == f) return false;
  }
  return std::nullopt;
}

}  // namespace

bool ParseConfigText(std::string_view text, std::string_view program,
                     std::span<const FlagSpec> specs, FlagValues* values, std::string* error) {
  enum class Section { kShared, kMine, kOther } section = Section::kShared;
  size_t line_no = 0;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    const std::string where = "line " + std::to_string(line_no) + ": ";
    line = Trim(line);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    for (char c : line) {
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
        *error = where + "a control character";
        return false;
      }
    }
    if (line.front() == '[') {
      if (line.back() != ']' || line.size() < 3) {
        *error = where + "a section is [program]";
        return false;
      }
      section = Trim(line.substr(1, line.size() - 2)) == program ? Section::kMine : Section::kOther;
      continue;
    }
    if (section == Section::kOther) continue;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      *error = where + "expected key = value";
      return false;
    }
    std::string_view key = Trim(line.substr(0, eq));
    std::string_view value = Trim(line.substr(eq + 1));
    if (key.starts_with("--")) key.remove_prefix(2);
    if (key.empty()) {
      *error = where + "the key is empty";
      return false;
    }
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    const FlagSpec* f = nullptr;
    for (const FlagSpec& s : specs) {
      if (s.name == key) f = &s;
    }
    if (f == nullptr || key == "help" || key == "version" || key == "config") {
      if (section == Section::kShared && f == nullptr) continue;
      *error = where + "'" + std::string(key) + "' is not a setting of " + std::string(program);
      return false;
    }
    if (!f->takes_value) {
      auto on = ParseSwitch(value);
      if (!on) {
        *error = where + "'" + std::string(key) + "' takes true or false, not '" +
                 std::string(value) + "'";
        return false;
      }
      if (*on) {
        (*values)[std::string(key)] = "1";
      } else {
        values->erase(std::string(key));
      }
      continue;
    }
    (*values)[std::string(key)] = std::string(value);
  }
  return true;
}

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > (1u << 20)) return std::nullopt;
  }
  if (in.bad()) return std::nullopt;
  return text;
}

FlagParse ParseFlagsAndConfig(std::span<const FlagSpec> specs, const std::vector<std::string>& args,
                              const EnvLookup& env, std::string_view program,
                              const std::string& default_path, const FileReader& read_file,
                              FlagValues* values, std::string* error) {
  std::string env_name;
  for (const FlagSpec& s : specs) {
    if (s.name == "config") env_name = std::string(s.env);
  }
  std::optional<std::string> path;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) path = args[i + 1];
    if (args[i].starts_with("--config=")) path = args[i].substr(9);
  }
  if (!path && env && !env_name.empty()) path = env(env_name);
  const bool named = path.has_value();
  if (!path && !default_path.empty()) path = default_path;
  if (path && !path->empty()) {
    std::optional<std::string> text = read_file(*path);
    if (!text && named) {
      *error = "flag --config: cannot read '" + *path + "' (a regular file of at most 1 MiB)";
      return FlagParse::kUsageError;
    }
    if (text && !ParseConfigText(*text, program, specs, values, error)) {
      *error = "config file " + *path + ", " + *error;
      return FlagParse::kUsageError;
    }
  }
  return ParseLongFlags(specs, args, env, values, error);
}

}  // namespace seglake::s3
