#include "proto/cmdline.h"

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

}  // namespace seglake::s3
