// Applying metadata operations to meta.db. Every change to the namespace is
// an operation (a JSON object) that is applied here inside the commit
// leader's transaction and also written to the segment log. Application is
// deterministic given the prior state and the op's seq, so rebuild-index
// replays the log through the same code. See meta/OPS.md.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "meta/db.h"
#include "seglake/types.h"

namespace seglake::meta {

struct ApplyResult {
  ObjectInfo object;     // put, copy, complete, rename (last destination)
  DeleteResult deleted;  // delete
  uint64_t seq = 0;      // set by the committer: the op's change sequence
};

// REQUIRES: a write transaction is open on db; on error the caller rolls
// back whatever this op wrote (a savepoint).
Result<ApplyResult> Apply(Db* db, uint64_t seq, const nlohmann::json& op);

// Version ids are derived from the op's seq so replay reproduces them.
std::string MakeVersionId(uint64_t seq, uint32_t index);

}  // namespace seglake::meta
