#include "cli_args.h"

#include <algorithm>
#include <cctype>

namespace seglake::cli {
namespace {

const FlagSpec* FindLong(std::span<const FlagSpec> specs, std::string_view name) {
  auto it =
      std::find_if(specs.begin(), specs.end(), [&](const FlagSpec& s) { return s.name == name; });
  return it == specs.end() ? nullptr : &*it;
}

const FlagSpec* FindShort(std::span<const FlagSpec> specs, char c) {
  auto it = std::find_if(specs.begin(), specs.end(),
                         [&](const FlagSpec& s) { return s.short_name == c; });
  return it == specs.end() ? nullptr : &*it;
}

// Parses args[0..) into *out. Stops before the first positional when
// stop_at_positional; returns the index reached, or nullopt on a usage error.
std::optional<size_t> Scan(std::span<const std::string> args, std::span<const FlagSpec> specs,
                           bool stop_at_positional, ParsedArgs* out, std::string* error) {
  bool options_done = false;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      if (stop_at_positional) return i;
      out->positionals.push_back(a);
      continue;
    }
    if (a == "--") {
      if (stop_at_positional) return i + 1 < args.size() ? i + 1 : args.size();
      options_done = true;
      continue;
    }
    std::string flag_name;  // as the user wrote it, for messages
    const FlagSpec* spec = nullptr;
    std::optional<std::string> inline_value;
    if (a[1] == '-') {
      std::string_view body = std::string_view(a).substr(2);
      size_t eq = body.find('=');
      std::string_view name = body.substr(0, eq);
      if (eq != std::string_view::npos) inline_value = std::string(body.substr(eq + 1));
      flag_name = "--" + std::string(name);
      spec = FindLong(specs, name);
    } else {
      flag_name = std::string("-") + a[1];
      spec = FindShort(specs, a[1]);
      if (spec != nullptr && a.size() > 2) {
        if (!spec->takes_value) {
          *error = "unexpected text after " + flag_name + " in '" + a + "'";
          return std::nullopt;
        }
        inline_value = a.substr(2);
      }
    }
    if (spec == nullptr) {
      *error = "unknown option " + flag_name;
      return std::nullopt;
    }
    const std::string key(spec->name);
    if (!spec->takes_value) {
      if (inline_value) {
        *error = "option --" + key + " takes no value";
        return std::nullopt;
      }
      out->switches[key] = true;
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) {
        *error = "option " + flag_name + " needs a value";
        return std::nullopt;
      }
      inline_value = args[++i];
    }
    out->values[key] = *inline_value;
  }
  return i;
}

}  // namespace

std::optional<ParsedArgs> ParseArgs(std::span<const std::string> args,
                                    std::span<const FlagSpec> specs, std::string* error) {
  ParsedArgs out;
  if (!Scan(args, specs, /*stop_at_positional=*/false, &out, error)) return std::nullopt;
  return out;
}

std::optional<size_t> FindFirstPositional(std::span<const std::string> args,
                                          std::span<const FlagSpec> specs, std::string* error) {
  ParsedArgs ignored;
  return Scan(args, specs, /*stop_at_positional=*/true, &ignored, error);
}

std::optional<bool> ParseBool(std::string_view s) {
  std::string v(s);
  std::transform(v.begin(), v.end(), v.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (v.empty() || v == "0" || v == "false" || v == "no" || v == "off") return false;
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  return std::nullopt;
}

}  // namespace seglake::cli
