// The results of a run as a table or as one JSON document.
#pragma once

#include <string>

#include "bench/options.h"
#include "bench/runner.h"

namespace seglake::bench {

std::string FormatTable(const Options& opts, const RunResult& result);
std::string FormatJson(const Options& opts, const RunResult& result);

}  // namespace seglake::bench
