// DeleteObjects: up to 1,000 keys in one request, each deleted on its own,
// a few at a time so that the engine's group commit batches their syncs.
// The helpers are one small pool for the whole process: a request never
// starts a thread, and many concurrent requests share the same few.
#include <vector>

#include "proto/names.h"
#include "proto/xml_parse.h"
#include "proto/xml_results.h"
#include "server/ops.h"
#include "server/ops_common.h"
#include "server/payload.h"
#include "server/work_pool.h"

namespace seglake::s3d {
namespace {

constexpr size_t kMaxDeleteBody = 4 << 20;
// With the request's own thread, up to 8 deletes of one request in flight.
constexpr size_t kDeleteHelpers = 7;

WorkPool& DeletePool() {
  static WorkPool pool(kDeleteHelpers);
  return pool;
}

struct Outcome {
  bool ok = false;
  DeleteResult result;
  s3::S3Error error;
};

Outcome DeleteOne(Engine& engine, const std::string& bucket, const s3::DeleteObjectXml& obj) {
  Outcome out;
  if (auto st = s3::CheckObjectKey(obj.key); !st) {
    out.error = st.error();
    return out;
  }
  WriteConditions cond;
  cond.if_match = obj.etag;  // <ETag>: a conditional delete of this key
  auto r = engine.Delete(bucket, obj.key, obj.version_id, cond);
  if (!r) {
    out.error = s3::FromStatus(r.error());
    return out;
  }
  out.ok = true;
  out.result = *r;
  return out;
}

}  // namespace

OpResult DeleteObjects(Context& c) {
  Payload body(c);
  auto doc = body.ReadSmall(kMaxDeleteBody);
  if (!doc) return tl::unexpected(doc.error());
  if (auto st = CheckBodyDigests(c, *doc, true); !st) return st;
  auto req = s3::ParseDeleteRequest(*doc);
  if (!req) return tl::unexpected(req.error());
  if (auto b = c.engine.GetBucket(c.bucket()); !b) return Fail(b.error());

  std::vector<Outcome> outcomes(req->objects.size());
  DeletePool().ForEach(outcomes.size(), [&](size_t i) {
    outcomes[i] = DeleteOne(c.engine, c.bucket(), req->objects[i]);
  });

  s3::DeleteResultXml x;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const s3::DeleteObjectXml& obj = req->objects[i];
    const Outcome& o = outcomes[i];
    if (!o.ok) {
      x.errors.push_back(s3::DeleteErrorXml{obj.key, obj.version_id, std::string(o.error.name()),
                                            std::string(o.error.text())});
      continue;
    }
    if (req->quiet) continue;
    s3::DeletedXml d;
    d.key = obj.key;
    d.version_id = obj.version_id;
    if (o.result.delete_marker) {
      d.delete_marker = true;
      d.delete_marker_version_id = obj.version_id.empty() ? o.result.version_id : obj.version_id;
    }
    x.deleted.push_back(std::move(d));
  }
  c.Xml(200, s3::DeleteResultXmlDoc(x));
  return {};
}

}  // namespace seglake::s3d
