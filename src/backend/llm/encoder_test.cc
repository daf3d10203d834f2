#include "backend/llm/encoder.h"

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "backend/llm/encoder_model.h"
#include "backend/llm/gguf_writer.h"
#include "backend/llm/testing/golden.h"
#include "backend/llm/tokenizer_loader.h"
#include "gtest/gtest.h"

namespace inferd::llm {
namespace {

// One text of a golden file written by scripts/llm/make_encoder_models.py.
struct EncoderGolden {
  std::string text;
  std::vector<int32_t> ids;
  std::vector<float> states;
  std::vector<float> embedding;
};

using testing_util::ReadList;

std::vector<EncoderGolden> ReadGoldens(const std::string& path) {
  std::ifstream file(path);
  std::vector<EncoderGolden> out;
  std::string line;
  while (std::getline(file, line)) {
    std::istringstream in(line);
    std::string tag;
    in >> tag;
    if (tag == "text") {
      std::string hex;
      in >> hex;
      out.emplace_back();
      for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.back().text.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
      }
    } else if (tag == "ids" && !out.empty()) {
      out.back().ids = ReadList<int32_t>(in);
    } else if (tag == "states" && !out.empty()) {
      out.back().states = ReadList<float>(in);
    } else if (tag == "embedding" && !out.empty()) {
      out.back().embedding = ReadList<float>(in);
    }
  }
  return out;
}

std::vector<int32_t> Encode(const EncoderModel& model, const std::string& text) {
  text::EncodeOptions options;
  options.truncation.max_length = static_cast<size_t>(model.config().context_length);
  auto encoding = model.tokenizer()->Encode(text, std::nullopt, options);
  EXPECT_TRUE(encoding.ok()) << encoding.status();
  return encoding.ok() ? encoding->ids : std::vector<int32_t>();
}

struct ModelCase {
  const char* file;
  const char* arch;
  EncoderConfig::Pooling pooling;
  double tolerance;  // max |state - reference|; states are LayerNorm outputs
};

class EncoderGoldenTest : public ::testing::TestWithParam<ModelCase> {
 protected:
  void SetUp() override {
    path_ = std::string("tests/data/llm/") + GetParam().file;
    goldens_ = ReadGoldens(path_ + ".golden");
    ASSERT_GE(goldens_.size(), 5u) << path_;
    auto model = EncoderModel::Load(path_);
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = *std::move(model);
  }

  std::string path_;
  std::vector<EncoderGolden> goldens_;
  std::unique_ptr<EncoderModel> model_;
};

TEST_P(EncoderGoldenTest, ReadsArchitectureAndPooling) {
  EXPECT_EQ(model_->config().arch, GetParam().arch);
  EXPECT_EQ(model_->config().pooling, GetParam().pooling);
}

TEST_P(EncoderGoldenTest, TokenizesLikeTheReference) {
  for (const EncoderGolden& g : goldens_) {
    EXPECT_EQ(Encode(*model_, g.text), g.ids) << g.text;
  }
}

TEST_P(EncoderGoldenTest, StatesMatchFloat64Reference) {
  ThreadPool pool(1);
  Encoder encoder(model_.get(), &pool);
  const int64_t dim = model_->config().dim;
  for (const EncoderGolden& g : goldens_) {
    std::vector<float> states(g.ids.size() * dim);
    std::vector<absl::Span<const int32_t>> texts = {g.ids};
    ASSERT_TRUE(encoder.Forward(texts, states.data()).ok());
    ASSERT_EQ(states.size(), g.states.size());
    double worst = 0;
    for (size_t i = 0; i < states.size(); ++i) {
      worst = std::max(worst, std::abs(static_cast<double>(states[i]) - g.states[i]));
    }
    EXPECT_LT(worst, GetParam().tolerance) << g.text;
  }
}

TEST_P(EncoderGoldenTest, BatchGivesTheVectorsOfSingleTexts) {
  ThreadPool pool(1);
  Encoder encoder(model_.get(), &pool);
  const int64_t dim = model_->config().dim;
  std::vector<absl::Span<const int32_t>> all;
  size_t total = 0;
  for (const EncoderGolden& g : goldens_) {
    all.emplace_back(g.ids);
    total += g.ids.size();
  }
  std::vector<float> batch(total * dim);
  ASSERT_TRUE(encoder.Forward(all, batch.data()).ok());
  size_t offset = 0;
  for (const EncoderGolden& g : goldens_) {
    std::vector<float> alone(g.ids.size() * dim);
    std::vector<absl::Span<const int32_t>> one = {g.ids};
    ASSERT_TRUE(encoder.Forward(one, alone.data()).ok());
    for (size_t i = 0; i < alone.size(); ++i) {
      ASSERT_NEAR(batch[offset + i], alone[i], 1e-5) << g.text << " value " << i;
    }
    offset += alone.size();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Models, EncoderGoldenTest,
    ::testing::Values(
        ModelCase{"tiny-bert-f32.gguf", "bert", EncoderConfig::Pooling::kCls, 2e-5},
        ModelCase{"tiny-bert-q8_0.gguf", "bert", EncoderConfig::Pooling::kCls, 2e-5},
        ModelCase{"tiny-nomic-bert-f32.gguf", "nomic-bert", EncoderConfig::Pooling::kMean,
                  2e-5}),
    [](const ::testing::TestParamInfo<ModelCase>& info) {
      std::string name = info.param.file;
      for (char& ch : name) {
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

TEST(EncoderTest, RefusesEmptyAndTooLongTextsAndUnknownIds) {
  auto model = EncoderModel::Load("tests/data/llm/tiny-bert-f32.gguf");
  ASSERT_TRUE(model.ok()) << model.status();
  ThreadPool pool(0);
  Encoder encoder(model->get(), &pool);
  const EncoderConfig& c = (*model)->config();
  std::vector<float> out((c.context_length + 1) * c.dim);
  std::vector<int32_t> empty;
  std::vector<int32_t> too_long(c.context_length + 1, 5);
  std::vector<int32_t> unknown = {2, static_cast<int32_t>(c.n_vocab), 3};
  for (const std::vector<int32_t>* ids : {&empty, &too_long, &unknown}) {
    std::vector<absl::Span<const int32_t>> texts = {*ids};
    absl::Status s = encoder.Forward(texts, out.data());
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  }
}

TEST(EncoderTest, RefusesABlockCountBeyondTheFilesTensors) {
  GgufWriter w;
  w.AddString("general.architecture", "bert");
  for (const char* key : {"bert.embedding_length", "bert.feed_forward_length"}) {
    w.AddUint32(key, 32);
  }
  w.AddUint32("bert.attention.head_count", 4);
  w.AddUint32("bert.context_length", 8);
  w.AddUint32("bert.block_count", 1000000);
  auto file = GgufFile::FromBytes(w.ToBytes());
  ASSERT_TRUE(file.ok()) << file.status();
  auto model = EncoderModel::FromFile(*std::move(file));
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("block_count"), std::string::npos) << model.status();
}

// A tiny "bert" vocabulary in llama.cpp's spelling (U+2581 word starts).
std::string BertVocabFile(const std::vector<std::string>& tokens, bool types = true) {
  GgufWriter w;
  w.AddString("general.architecture", "bert");
  w.AddString("tokenizer.ggml.model", "bert");
  w.AddStringArray("tokenizer.ggml.tokens", tokens);
  if (types) {
    std::vector<int32_t> token_types(tokens.size(), 1);
    for (int i = 0; i < 5; ++i) token_types[i] = 3;
    w.AddInt32Array("tokenizer.ggml.token_type", token_types);
  }
  return w.ToBytes();
}

std::vector<int32_t> EncodeWith(const std::vector<std::string>& tokens, const std::string& text,
                                bool types = true) {
  auto file = GgufFile::FromBytes(BertVocabFile(tokens, types));
  EXPECT_TRUE(file.ok()) << file.status();
  auto tokenizer = LoadWordPieceTokenizer(**file);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status();
  if (!tokenizer.ok()) return {};
  auto encoding = (*tokenizer)->Encode(text);
  EXPECT_TRUE(encoding.ok()) << encoding.status();
  return encoding->ids;
}

const char kWordStart[] = "\xe2\x96\x81";

TEST(WordPieceTokenizerTest, UncasedVocabularyLowercasesAndStripsAccents) {
  const std::vector<std::string> tokens = {
      "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
      std::string(kWordStart) + "cafe", std::string(kWordStart) + "run", "ning",
      std::string(kWordStart) + "!"};
  // [CLS] and [SEP] are found by their text when the ids are not in the
  // metadata; "##ning" continues a word; unknown words are [UNK]; special
  // tokens in the text are matched.
  EXPECT_EQ(EncodeWith(tokens, "Café RUNNING! xyz [SEP]"),
            (std::vector<int32_t>{2, 5, 6, 7, 8, 1, 3, 3}));
}

TEST(WordPieceTokenizerTest, BracketedTokensDoNotMakeAVocabularyCased) {
  // Without token types, [PAD] and [MASK] are ordinary tokens: their capitals
  // must not turn lowercasing off.
  const std::vector<std::string> tokens = {
      "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", std::string(kWordStart) + "paris"};
  EXPECT_EQ(EncodeWith(tokens, "PARIS", /*types=*/false), (std::vector<int32_t>{2, 5, 3}));
}

TEST(WordPieceTokenizerTest, CasedVocabularyKeepsCase) {
  const std::vector<std::string> tokens = {
      "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
      std::string(kWordStart) + "Paris", std::string(kWordStart) + "paris"};
  EXPECT_EQ(EncodeWith(tokens, "Paris paris"), (std::vector<int32_t>{2, 5, 6, 3}));
}

TEST(WordPieceTokenizerTest, RefusesOtherVocabularies) {
  GgufWriter w;
  w.AddString("tokenizer.ggml.model", "llama");
  w.AddStringArray("tokenizer.ggml.tokens", {"a"});
  auto file = GgufFile::FromBytes(w.ToBytes());
  ASSERT_TRUE(file.ok());
  auto tokenizer = LoadWordPieceTokenizer(**file);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_NE(tokenizer.status().message().find("tokenizer.ggml.model"), std::string::npos);
}

}  // namespace
}  // namespace inferd::llm
