#include "backend/llm/gguf_file.h"

#include <cstring>
#include <string>

#include "backend/llm/gguf_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd::llm {
namespace {

using ::testing::HasSubstr;

std::string FloatBytes(int n, float start) {
  std::string s(n * 4, '\0');
  for (int i = 0; i < n; ++i) {
    float v = start + i;
    std::memcpy(&s[i * 4], &v, 4);
  }
  return s;
}

std::string ValidImage() {
  GgufWriter w;
  w.AddString("general.architecture", "llama");
  w.AddUint32("llama.block_count", 2);
  w.AddFloat32("llama.rope.freq_base", 10000.0f);
  w.AddBool("tokenizer.ggml.add_bos_token", true);
  w.AddStringArray("tokenizer.ggml.tokens", {"a", "b", "cd"});
  w.AddFloat32Array("tokenizer.ggml.scores", {0.5f, -1.0f, 2.0f});
  w.AddTensorBytes("w", GgmlType::kF32, {4, 2}, FloatBytes(8, 1.0f));
  w.AddTensorBytes("v", GgmlType::kF32, {3}, FloatBytes(3, 10.0f));
  return w.ToBytes();
}

absl::Status ParseStatus(std::string bytes) {
  return GgufFile::FromBytes(std::move(bytes)).status();
}

TEST(GgufFileTest, ReadsMetadataAndTensors) {
  auto file = GgufFile::FromBytes(ValidImage());
  ASSERT_TRUE(file.ok()) << file.status();
  const GgufFile& f = **file;
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(*f.GetString("general.architecture"), "llama");
  EXPECT_EQ(*f.GetUint("llama.block_count"), 2u);
  EXPECT_EQ(*f.GetFloat("llama.rope.freq_base"), 10000.0);
  EXPECT_TRUE(*f.GetBool("tokenizer.ggml.add_bos_token"));
  const auto* tokens = *f.GetStringArray("tokenizer.ggml.tokens");
  ASSERT_EQ(tokens->size(), 3u);
  EXPECT_EQ((*tokens)[2], "cd");
  EXPECT_EQ((*f.GetFloatArray("tokenizer.ggml.scores"))[2], 2.0f);
  const GgufTensor* w = f.FindTensor("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->shape, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(w->rows(), 2);
  float last;
  std::memcpy(&last, w->data + 7 * 4, 4);
  EXPECT_EQ(last, 8.0f);
  const GgufTensor* v = f.FindTensor("v");
  EXPECT_EQ(v->offset % 32, 0u);
  float first;
  std::memcpy(&first, v->data, 4);
  EXPECT_EQ(first, 10.0f);
}

TEST(GgufFileTest, TypedGettersNameTheKey) {
  auto file = *GgufFile::FromBytes(ValidImage());
  EXPECT_THAT(file->GetUint("nope").status().message(), HasSubstr("\"nope\""));
  EXPECT_THAT(file->GetUint("general.architecture").status().message(),
              HasSubstr("expected an integer"));
  EXPECT_EQ(*file->GetUintOr("absent", 7), 7u);
}

TEST(GgufFileTest, OpensFromDiskThroughMmap) {
  const std::string path = ::testing::TempDir() + "/ok.gguf";
  GgufWriter w;
  w.AddString("general.architecture", "llama");
  w.AddTensorBytes("t", GgmlType::kF32, {2}, FloatBytes(2, 0.0f));
  ASSERT_TRUE(w.WriteFile(path).ok());
  auto file = GgufFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->tensors().size(), 1u);
}

TEST(GgufFileTest, MissingFileIsNotFound) {
  auto file = GgufFile::Open("/nonexistent/model.gguf");
  EXPECT_EQ(file.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(file.status().message(), HasSubstr("/nonexistent/model.gguf"));
}

struct Corruption {
  const char* name;
  std::function<void(std::string&)> mutate;
  const char* message;
};

class GgufCorruptionTest : public ::testing::TestWithParam<Corruption> {};

// Header layout of ValidImage(): magic @0, version @4, n_tensors @8,
// n_kv @16, first key length @24.
TEST_P(GgufCorruptionTest, RejectedWithMessage) {
  std::string bytes = ValidImage();
  GetParam().mutate(bytes);
  const absl::Status s = ParseStatus(bytes);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr(GetParam().message));
}

void Put64(std::string& b, size_t at, uint64_t v) {
  std::memcpy(&b[at], &v, 8);
}
void Put32(std::string& b, size_t at, uint32_t v) {
  std::memcpy(&b[at], &v, 4);
}

// Offset of the first byte after `needle` (a tensor name) in the header.
size_t After(const std::string& b, const std::string& name) {
  std::string needle(8, '\0');
  uint64_t len = name.size();
  std::memcpy(&needle[0], &len, 8);
  needle += name;
  return b.find(needle) + needle.size();
}

INSTANTIATE_TEST_SUITE_P(
    AllCases, GgufCorruptionTest,
    ::testing::Values(
        Corruption{"Empty", [](std::string& b) { b.clear(); },
                   "shorter than a header"},
        Corruption{"BadMagic", [](std::string& b) { b[0] = 'X'; }, "bad magic"},
        Corruption{"Version1", [](std::string& b) { Put32(b, 4, 1); },
                   "unsupported GGUF version 1"},
        Corruption{"Version9", [](std::string& b) { Put32(b, 4, 9); },
                   "unsupported GGUF version 9"},
        Corruption{"BigEndian", [](std::string& b) { Put32(b, 4, 0x03000000); },
                   "big-endian"},
        Corruption{"HugeTensorCount",
                   [](std::string& b) { Put64(b, 8, 1ull << 60); },
                   "tensor count"},
        Corruption{"HugeKvCount",
                   [](std::string& b) { Put64(b, 16, 1ull << 60); },
                   "metadata count"},
        Corruption{"TruncatedHeader", [](std::string& b) { b.resize(12); },
                   "truncated header"},
        Corruption{"KeyPastEnd",
                   [](std::string& b) { Put64(b, 24, 1ull << 40); },
                   "metadata key 0 runs past the end"},
        Corruption{"UnknownValueType",
                   [](std::string& b) {
                     // type field right after "general.architecture"
                     Put32(b, 24 + 8 + 20, 77);
                   },
                   "unknown value type 77"},
        Corruption{"TruncatedInMetadata", [](std::string& b) { b.resize(100); },
                   "runs past the end"},
        Corruption{"UnknownTensorType",
                   [](std::string& b) { Put32(b, After(b, "w") + 4 + 16, 99); },
                   "tensor \"w\": unknown tensor type 99"},
        Corruption{"TooManyDims",
                   [](std::string& b) { Put32(b, After(b, "w"), 7); },
                   "tensor \"w\": 7 dimensions"},
        Corruption{"ZeroDim",
                   [](std::string& b) { Put64(b, After(b, "w") + 4, 0); },
                   "tensor \"w\": invalid dimension 0"},
        Corruption{"BlockMisfit",
                   [](std::string& b) {
                     Put32(b, After(b, "w") + 4 + 16, 8);  // Q8_0, 4 % 32
                   },
                   "not a multiple of the Q8_0 block size"},
        Corruption{
            "UnalignedOffset",
            [](std::string& b) { Put64(b, After(b, "w") + 4 + 16 + 4, 3); },
            "not aligned"},
        Corruption{"OffsetOutside",
                   [](std::string& b) {
                     Put64(b, After(b, "w") + 4 + 16 + 4, 1 << 20);
                   },
                   "outside the data section"},
        Corruption{"TruncatedData",
                   [](std::string& b) { b.resize(b.size() - 40); },
                   "outside the data section"},
        Corruption{"DuplicateTensor",
                   [](std::string& b) { b[After(b, "v") - 1] = 'w'; },
                   "duplicate tensor name \"w\""}),
    [](const ::testing::TestParamInfo<Corruption>& info) {
      return std::string(info.param.name);
    });

// Every prefix of a valid file is rejected cleanly (never a crash).
TEST(GgufFileTest, EveryTruncationIsRejected) {
  const std::string bytes = ValidImage();
  for (size_t n = 0; n < bytes.size() - 32; ++n) {
    EXPECT_FALSE(ParseStatus(bytes.substr(0, n)).ok()) << n;
  }
}

// Random byte flips must never crash; most are rejected.
TEST(GgufFileTest, ByteFlipsNeverCrash) {
  const std::string bytes = ValidImage();
  uint32_t seed = 12345;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string b = bytes;
    for (int k = 0; k < 3; ++k) {
      seed = seed * 1664525u + 1013904223u;
      b[(seed >> 8) % b.size()] = static_cast<char>(seed >> 24);
    }
    (void)ParseStatus(b);
  }
}

}  // namespace
}  // namespace inferd::llm
