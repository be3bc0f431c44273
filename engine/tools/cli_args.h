// GNU-style command-line parsing for the seglake admin command: long options
// (`--name VALUE`, `--name=VALUE`), short options (`-o VALUE`, `-oVALUE`),
// options anywhere among the positionals, `--` ends options, and a lone `-`
// is a positional (stdin/stdout). Each command parses with its own flag list,
// so the same name may be a value flag in one command and a switch in another.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace seglake::cli {

struct FlagSpec {
  std::string_view name;     // long name without "--"
  char short_name = '\0';    // '\0': none
  bool takes_value = false;  // false: a switch
};

struct ParsedArgs {
  std::map<std::string, std::string, std::less<>> values;  // value flags (last one wins)
  std::map<std::string, bool, std::less<>> switches;       // switches present
  std::vector<std::string> positionals;

  bool Has(std::string_view name) const { return switches.contains(name) || values.contains(name); }
  std::optional<std::string> Value(std::string_view name) const {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
};

// Parses all of `args` (argv without the program name) against `specs`.
// On a usage error returns std::nullopt and sets *error to a message that
// names the offending flag.
std::optional<ParsedArgs> ParseArgs(std::span<const std::string> args,
                                    std::span<const FlagSpec> specs, std::string* error);

// Scans `args` with `specs` only up to the first positional and returns its
// index (args.size() if there is none). Used to find the command word before
// the command's own flags are known. Unknown options before the command are
// reported as usage errors; *error is set and std::nullopt returned.
std::optional<size_t> FindFirstPositional(std::span<const std::string> args,
                                          std::span<const FlagSpec> specs, std::string* error);

// Interprets a boolean environment variable ("1", "true", "yes", "on" and
// "0", "false", "no", "off", ""). std::nullopt for anything else.
std::optional<bool> ParseBool(std::string_view s);

}  // namespace seglake::cli
