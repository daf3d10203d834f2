#include "repository/model_folder_check.h"

#include <algorithm>
#include <set>

#include "absl/strings/escaping.h"
#include "common/strings.h"

namespace inferd {
namespace fs = std::filesystem;
namespace {

// Folders nest this deep at most in a model (NAME/1/assets/...): a deeper
// walk is a link loop the visited set did not catch or a folder that is no
// model.
constexpr int kMaxDepth = 16;

bool IsInside(const fs::path& canonical_root, const fs::path& canonical) {
  auto [root_end, unused] = std::mismatch(canonical_root.begin(), canonical_root.end(),
                                          canonical.begin(), canonical.end());
  return root_end == canonical_root.end();
}

absl::Status Outside(const std::string& shown, const fs::path& target) {
  return absl::FailedPreconditionError(StrCat(
      "\"", shown, "\" is a symbolic link to \"", target.string(),
      "\", outside the model repository (start the server with "
      "--allow-symlinks-outside-repository to follow it)"));
}

// Resolves `path`; a dangling link resolves to where it points, as far as
// that exists (a target created later must not slip past the check).
fs::path Resolve(const fs::path& path) {
  std::error_code ec;
  fs::path resolved = fs::canonical(path, ec);
  if (!ec) return resolved;
  fs::path target = fs::read_symlink(path, ec);
  if (ec) return path;
  if (target.is_relative()) target = path.parent_path() / target;
  resolved = fs::weakly_canonical(target, ec);
  return ec ? target.lexically_normal() : resolved;
}

// `dir` is canonical and inside the root; `shown` is how a user reaches it.
absl::Status Walk(const fs::path& canonical_root, const fs::path& dir, const std::string& shown,
                  int depth, std::set<fs::path>& visited) {
  if (!visited.insert(dir).second) return absl::OkStatus();
  if (depth > kMaxDepth) {
    return absl::FailedPreconditionError(
        StrCat("\"", shown, "\" nests folders more than ", kMaxDepth, " deep"));
  }
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    const std::string entry_shown = StrCat(shown, "/", entry.path().filename().string());
    std::error_code status_ec;
    const bool link = entry.is_symlink(status_ec);
    fs::path target = entry.path();
    if (link) {
      target = Resolve(entry.path());
      if (!IsInside(canonical_root, target)) return Outside(entry_shown, target);
    }
    if (fs::is_directory(target, status_ec)) {
      if (absl::Status inside = Walk(canonical_root, target, entry_shown, depth + 1, visited);
          !inside.ok()) {
        return inside;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateModelName(std::string_view name) {
  // Shown escaped (a NUL reads \000) and cut short: the name is the client's.
  constexpr size_t kShown = 64;
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("model name \"",
                                             absl::CEscape(ToAbsl(name.substr(0, kShown))),
                                             name.size() > kShown ? "..." : "", "\" ", why));
  };
  if (name.empty()) return absl::InvalidArgumentError("model name must not be empty");
  if (name.size() > kMaxModelNameBytes) {
    return invalid(StrCat("is ", name.size(), " bytes long, more than the ",
                          kMaxModelNameBytes, " a folder name may have"));
  }
  if (name.front() == '.') {
    return invalid("must not start with '.' (hidden folders and '..' are not models)");
  }
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\') return invalid("must not contain '/' or '\\'");
    if (byte < 0x20 || byte == 0x7f) {
      return invalid("must not contain NUL or other control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckModelFolderStaysInside(const fs::path& canonical_root,
                                         const std::string& model_dir) {
  const std::string shown = fs::path(model_dir).filename().string();
  const fs::path folder = Resolve(model_dir);
  if (!IsInside(canonical_root, folder)) return Outside(shown, folder);
  std::set<fs::path> visited;
  return Walk(canonical_root, folder, shown, 0, visited);
}

}  // namespace inferd
