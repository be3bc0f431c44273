// The mount's key <-> path rule (SEMANTICS.md, "Paths and keys") and the
// checks on names that come from the kernel. Pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace seglake::mount {

// A path component the mount can show: non-empty, not "." or "..", at most
// 255 bytes, no '/' and no NUL.
bool ShowableComponent(std::string_view name);

// Whether every component of `key` is showable (the one trailing '/' of a
// directory marker ignored). The "directory wins over a file of the same
// name" part of the rule needs the listing and is applied by the caller.
bool ShowableKey(std::string_view key);

// A valid S3 bucket name: 3-63 of a-z 0-9 . -, starting and ending with a
// letter or digit, no "..", not an IPv4 address.
bool ValidBucketName(std::string_view name);

// user.* extended attributes travel as x-amz-meta-* headers: the part after
// "user." must be letters, digits, '-', '_' or '.', and the value printable
// UTF-8 without control characters.
bool ValidXattrName(std::string_view name);
bool ValidXattrValue(std::string_view value);
// mode, uid, gid, mtime and rdev are the POSIX attributes' names.
bool ReservedXattrName(std::string_view name);

// S3 carries at most 2 KiB of user metadata (names without x-amz-meta- plus
// values). The POSIX attributes take at most 65 of them (mode, uid and gid
// up to 10 digits, mtime up to 20 characters); the user metadata (user.*
// xattrs and rdev) has the rest.
inline constexpr size_t kUserMetaBudget = 2048 - 65;
// Bytes `meta` takes of kUserMetaBudget.
size_t UserMetaBytes(const std::map<std::string, std::string>& meta);

}  // namespace seglake::mount
