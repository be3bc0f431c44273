// GNU-style long flags shared by seglake-s3d and seglake-bench: `--name VALUE`
// or `--name=VALUE`, switches without a value, and an environment twin per
// flag that the command line overrides. `-h`, `--help` and `--version` end
// parsing with their action. A config file (ParseConfigText) sits below the
// environment: defaults < config file < environment < command line.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace seglake::s3 {

struct FlagSpec {
  std::string_view name;  // without "--"
  std::string_view env;   // environment twin, or empty
  bool takes_value;
};

enum class FlagParse { kOk, kHelp, kVersion, kUsageError };

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
using FlagValues = std::map<std::string, std::string, std::less<>>;

// Fills *values (flag name → value; "1" for a switch) from the environment
// twins, then from args (without the program name). On kUsageError, *error
// names the offending argument.
FlagParse ParseLongFlags(std::span<const FlagSpec> specs, const std::vector<std::string>& args,
                         const EnvLookup& env, FlagValues* values, std::string* error);

// The config file: `key = value` lines whose keys are flag names (without
// "--"), `#` comments, blank lines, and `[program]` sections. Keys before the
// first section are shared by every program: a key this program has no flag
// for is ignored there (it may be another program's). Keys in this program's
// section must be its flags, else an error names the file's line; other
// programs' sections are skipped. A value may be "double-quoted"; a switch
// takes true/false (also yes/no, on/off, 1/0). Later lines win.
bool ParseConfigText(std::string_view text, std::string_view program,
                     std::span<const FlagSpec> specs, FlagValues* values, std::string* error);

using FileReader = std::function<std::optional<std::string>(const std::string& path)>;

// Finds the config file (`--config FILE` in args, else the `config` flag's
// environment twin, else default_path when it exists), reads it into *values
// with ParseConfigText, then applies the environment and args as
// ParseLongFlags does. A file named by flag or environment must exist.
// specs must hold a flag named "config". error is prefixed with the file name
// for a bad line.
FlagParse ParseFlagsAndConfig(std::span<const FlagSpec> specs, const std::vector<std::string>& args,
                              const EnvLookup& env, std::string_view program,
                              const std::string& default_path, const FileReader& read_file,
                              FlagValues* values, std::string* error);

// Reads a whole regular file of at most 1 MiB; nullopt when it cannot.
std::optional<std::string> ReadSmallFile(const std::string& path);

}  // namespace seglake::s3
