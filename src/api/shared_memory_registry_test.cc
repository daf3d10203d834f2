#include "api/shared_memory_registry.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::HasSubstr;

// A POSIX shared memory object of `size` bytes holding 0, 1, 2, ...;
// unlinked when the test ends.
class SharedMemoryRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = "/inferd-unit-" + std::to_string(getpid());
    const int fd = shm_open(key_.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, 64), 0);
    void* address = mmap(nullptr, 64, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ASSERT_NE(address, MAP_FAILED);
    close(fd);
    bytes_ = static_cast<char*>(address);
    for (int i = 0; i < 64; ++i) bytes_[i] = static_cast<char>(i);
  }
  void TearDown() override {
    munmap(bytes_, 64);
    shm_unlink(key_.c_str());
  }

  std::string key_;
  char* bytes_ = nullptr;
  SharedMemoryRegistry registry_;
};

TEST_F(SharedMemoryRegistryTest, ReadsAndWritesInsideTheWindow) {
  ASSERT_TRUE(registry_.Register("r", key_, 16, 32).ok());
  absl::StatusOr<std::string> read = registry_.Read({"r", 4, 2}, "input \"x\"");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, std::string("\x12\x13\x14\x15", 4));  // object bytes 18..21
  ASSERT_TRUE(registry_.Write({"r", 4, 28}, "abcd", "output \"y\"").ok());
  EXPECT_EQ(std::string(bytes_ + 44, 4), "abcd");
  EXPECT_EQ(bytes_[48], 48);  // nothing past the slice
}

TEST_F(SharedMemoryRegistryTest, SlicesOutsideTheWindowAreRefused) {
  ASSERT_TRUE(registry_.Register("r", key_, 16, 32).ok());
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  for (const SharedMemoryRef& ref : {SharedMemoryRef{"r", 4, 29}, SharedMemoryRef{"r", 33, 0},
                                     SharedMemoryRef{"r", 1, max}, SharedMemoryRef{"r", max, 1}}) {
    absl::StatusOr<std::string> read = registry_.Read(ref, "input \"x\"");
    EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(read.status().message()), HasSubstr("outside region 'r'"));
    EXPECT_FALSE(registry_.Write(ref, "", "output \"y\"").ok());
  }
  absl::Status too_big = registry_.Write({"r", 2, 0}, "abc", "output \"y\"");
  EXPECT_THAT(std::string(too_big.message()), HasSubstr("needs 3 bytes"));
  EXPECT_THAT(std::string(registry_.Read({"q", 1, 0}, "input \"x\"").status().message()),
              HasSubstr("'q'"));
}

TEST_F(SharedMemoryRegistryTest, RegisterChecksTheObjectAndTheName) {
  EXPECT_THAT(std::string(registry_.Register("r", key_, 60, 8).message()),
              HasSubstr("passes the end"));
  EXPECT_THAT(std::string(registry_.Register("r", key_, 0, 65).message()),
              HasSubstr("passes the end"));
  EXPECT_THAT(std::string(registry_.Register("r", "/inferd-unit-missing", 0, 1).message()),
              HasSubstr("Unable to open"));
  ASSERT_TRUE(registry_.Register("r", key_, 0, 64).ok());
  EXPECT_THAT(std::string(registry_.Register("r", key_, 0, 8).message()),
              HasSubstr("already in manager"));
  absl::StatusOr<std::vector<SharedMemoryRegistry::RegionStatus>> all = registry_.Status("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].key, key_);
  registry_.Unregister("r");
  EXPECT_FALSE(registry_.Status("r").ok());
  EXPECT_TRUE(registry_.Status("")->empty());
}

}  // namespace
}  // namespace inferd
