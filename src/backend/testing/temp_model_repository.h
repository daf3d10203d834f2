#pragma once

// A model repository in a fresh temporary folder, removed again when the
// object goes away, for repository and handler tests that drive a
// FakeBackend. Paths are relative to the repository root.
// Not thread-safe; build it before the code under test starts.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace inferd::testing {

class TempModelRepository {
 public:
  TempModelRepository() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "inferd_repo_XXXXXX").string();
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr) << "mkdtemp failed";
    root_ = pattern;
  }
  ~TempModelRepository() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  TempModelRepository(const TempModelRepository&) = delete;
  TempModelRepository& operator=(const TempModelRepository&) = delete;

  const std::string& root() const { return root_; }

  // Writes `content` to root/relative_path, creating folders on the way.
  void WriteFile(std::string_view relative_path, std::string_view content) {
    const std::filesystem::path path = std::filesystem::path(root_) / relative_path;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
  }

  void MakeDir(std::string_view relative_path) {
    std::filesystem::create_directories(std::filesystem::path(root_) / relative_path);
  }

  void Remove(std::string_view relative_path) {
    std::filesystem::remove_all(std::filesystem::path(root_) / relative_path);
  }

  // A model folder: config.pbtxt plus a loadable model.fake in each version.
  void AddModel(std::string_view name, std::string_view config,
                std::initializer_list<int> versions) {
    WriteFile(std::string(name) + "/config.pbtxt", config);
    for (int v : versions) {
      WriteFile(std::string(name) + "/" + std::to_string(v) + "/model.fake", "ok");
    }
  }

 private:
  std::string root_;
};

// The config of Triton's quick-start `simple` model, served by the fake
// backend: two INT32 [16] inputs, their sum and difference, batching up to 8.
inline std::string SimpleModelConfig(std::string_view name = "simple",
                                     std::string_view extra = "") {
  return std::string("name: \"") + std::string(name) + "\"\n" +
         R"pb(backend: "fake"
max_batch_size: 8
input [
  { name: "INPUT0" data_type: TYPE_INT32 dims: [ 16 ] },
  { name: "INPUT1" data_type: TYPE_INT32 dims: [ 16 ] }
]
output [
  { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 16 ] },
  { name: "OUTPUT1" data_type: TYPE_INT32 dims: [ 16 ] }
]
)pb" + std::string(extra);
}

}  // namespace inferd::testing
