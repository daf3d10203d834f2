#pragma once

// Checks made on a model folder before anything in it is read: that its name
// is one a folder of the repository may have, and that nothing in it leads
// outside the repository through a symbolic link.
//
// A model name arrives in URLs (/v2/repository/models/{m}/load) and request
// bodies; it is joined to the repository root, so a name with `/`, `..` or a
// NUL byte (which the C file API silently cuts at) would name some other
// folder. Symbolic links are followed only while their target stays inside
// the repository root, so a `config.pbtxt -> /etc/passwd` is refused without
// being opened; the server's --allow-symlinks-outside-repository skips that
// walk. No library fits: std::filesystem resolves links but has no notion of
// a root they must stay under. Stateless; thread-safe.

#include <filesystem>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace inferd {

// The longest model name: NAME_MAX, what one folder name may hold on Linux.
inline constexpr size_t kMaxModelNameBytes = 255;

// OK for a name a model folder may have: 1..255 bytes, no `/`, `\`, NUL or
// other control characters, not starting with `.` (hidden folders are never
// models; this also refuses `.` and `..`). InvalidArgument naming the model
// name (control bytes escaped) otherwise.
absl::Status ValidateModelName(std::string_view name);

// Walks `model_dir` (a folder of the repository whose canonical path is
// `canonical_root`) and every folder below it, following symbolic links to
// folders. FailedPrecondition naming the first path (relative to the root)
// whose link target is outside the root, and that target; OK when everything
// stays inside. Reads no file contents.
absl::Status CheckModelFolderStaysInside(const std::filesystem::path& canonical_root,
                                         const std::string& model_dir);

}  // namespace inferd
