#pragma once

// What a model folder looks like on disk, reduced to digests that change
// when its files do: poll mode (ModelRepository::Poll) compares the stamp of
// the last load with a fresh one to tell whether a model needs a reload, and
// which of its versions.
//
// A file counts by its path, size and modification time (nanoseconds), which
// a `stat` gives without reading it; config.pbtxt also by its content, since
// an edit can keep both its size and, within the file system's timestamp
// resolution, its time. Entries whose name begins with `.` are left out at
// every level, so a version staged under a hidden name (`.incoming/`) and
// renamed into place when complete triggers one reload, not one per file
// copied. Links to folders are followed like the loader follows them (to a
// bounded depth, so a link cycle cannot loop). Nothing here tells a broken
// model from a good one: the load does that.
// Stateless; thread-safe.

#include <cstdint>
#include <map>
#include <string>

namespace inferd {

struct ModelFolderStamp {
  // config.pbtxt, the folder's own resolved path (a retargeted link to the
  // model folder changes it) and every file outside the numeric version
  // folders (labels, tokenizer, warmup data): a change reloads every version.
  uint64_t shared = 0;
  // Each numeric version folder -> a digest of the files below it.
  std::map<int64_t, uint64_t> versions;

  bool operator==(const ModelFolderStamp& other) const {
    return shared == other.shared && versions == other.versions;
  }
  bool operator!=(const ModelFolderStamp& other) const { return !(*this == other); }
};

// Stamps `model_dir`. A folder that cannot be read (removed meanwhile)
// stamps as what could be read of it; never fails.
ModelFolderStamp StampModelFolder(const std::string& model_dir);

}  // namespace inferd
