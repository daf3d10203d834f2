#pragma once

// A fresh data directory under $TMPDIR (or /tmp) for job store tests,
// removed with everything in it when the object goes away.

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace inferd::jobs::testing {

class TempDataDir {
 public:
  TempDataDir() {
    const char* tmp = getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
        "/inferd-jobs-XXXXXX";
    char* made = mkdtemp(pattern.data());
    path_ = made != nullptr ? std::string(made) : std::string();
  }
  ~TempDataDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDataDir(const TempDataDir&) = delete;
  TempDataDir& operator=(const TempDataDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace inferd::jobs::testing
