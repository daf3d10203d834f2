#include "repository/model_folder_stamp.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string_view>

#include "absl/strings/numbers.h"
#include "common/strings.h"

namespace inferd {
namespace fs = std::filesystem;

namespace {

// Deeper than any model folder the loader would read; it also ends a walk
// around a cycle of links.
constexpr int kMaxDepth = 16;
// Larger configs count by size and time only.
constexpr uintmax_t kMaxConfigBytes = 1 << 20;

uint64_t Digest(std::string_view listing) { return std::hash<std::string_view>{}(listing); }

// The entries of `dir` but the hidden ones, in name order, so a listing does
// not depend on the order the directory yields them.
std::map<std::string, fs::path> VisibleEntries(const fs::path& dir) {
  std::map<std::string, fs::path> entries;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] != '.') entries.emplace(std::move(name), it->path());
  }
  return entries;
}

// One line for a file: its path as shown, size and modification time.
std::string FileLine(const std::string& shown, const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return StrCat(shown, "\tunreadable\n");
  const auto time = fs::last_write_time(path, ec);
  return StrCat(shown, "\t", size, "\t", ec ? 0 : time.time_since_epoch().count(), "\n");
}

// Appends a line for every folder and file below `dir` to `listing`; paths
// are shown below `shown`.
void ListFiles(const fs::path& dir, const std::string& shown, int depth, std::string& listing) {
  if (depth > kMaxDepth) return;
  for (const auto& [name, path] : VisibleEntries(dir)) {
    const std::string child = shown.empty() ? name : StrCat(shown, "/", name);
    std::error_code ec;
    if (fs::is_directory(path, ec)) {  // follows links, as loading does
      listing += StrCat(child, "/\n");
      ListFiles(path, child, depth + 1, listing);
    } else {
      listing += FileLine(child, path);
    }
  }
}

}  // namespace

ModelFolderStamp StampModelFolder(const std::string& model_dir) {
  ModelFolderStamp stamp;
  std::error_code ec;
  std::string shared = fs::weakly_canonical(model_dir, ec).string() + "\n";
  // The content only of a plain file of a config's size: a link is left to
  // the loader's checks (its target may be outside the repository) and a
  // FIFO would block the read.
  const fs::path config_path = fs::path(model_dir) / "config.pbtxt";
  const fs::file_status config_status = fs::symlink_status(config_path, ec);
  if (!ec && fs::is_regular_file(config_status) &&
      fs::file_size(config_path, ec) <= kMaxConfigBytes && !ec) {
    std::ifstream config(config_path, std::ios::binary);
    std::stringstream content;
    content << config.rdbuf();
    shared += StrCat("config.pbtxt content ", Digest(content.str()), "\n");
  }
  for (const auto& [name, path] : VisibleEntries(model_dir)) {
    std::error_code status_ec;
    const bool folder = fs::is_directory(path, status_ec);
    int64_t version;
    if (folder && absl::SimpleAtoi(name, &version) && version >= 0) {
      std::string listing;
      ListFiles(path, "", 0, listing);
      stamp.versions[version] = Digest(listing);
    } else if (folder) {
      shared += StrCat(name, "/\n");
      ListFiles(path, name, 1, shared);
    } else {
      shared += FileLine(name, path);
    }
  }
  stamp.shared = Digest(shared);
  return stamp;
}

}  // namespace inferd
