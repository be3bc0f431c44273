// GNU-style long flags shared by seglake-s3d and seglake-bench: `--name VALUE`
// or `--name=VALUE`, switches without a value, and an environment twin per
// flag that the command line overrides. `-h`, `--help` and `--version` end
// parsing with their action.
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

}  // namespace seglake::s3
