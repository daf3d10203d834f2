#include "backend/torchscript/torchscript_backend.h"

#include <torch/script.h>

#include <cstring>
#include <string>
#include <vector>

#include "backend/testing/temp_model_repository.h"
#include "config/model_config_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// One input "ids" (INT64 [-1]) and one output "out" (FP32 [-1, 2]).
constexpr char kConfig[] = R"pb(
  name: "m"
  platform: "pytorch_libtorch"
  input [ { name: "ids" data_type: TYPE_INT64 dims: [ -1 ] } ]
  output [ { name: "out" data_type: TYPE_FP32 dims: [ -1, 2 ] } ]
)pb";

// A TorchScript module whose forward(self, ids) is `forward_body`, with a
// 10 x 2 attribute `table` holding 0..19, saved as repo/m/1/model.pt and
// loaded through the backend.
class TorchScriptModel {
 public:
  explicit TorchScriptModel(const std::string& forward_body) {
    torch::jit::Module module("__torch__.Test");
    module.register_attribute("table", c10::TensorType::get(),
                              torch::arange(20, torch::kFloat32).reshape({10, 2}), false);
    module.define("def forward(self, ids: Tensor) -> Tensor:\n" + forward_body + "\n");
    repository_.MakeDir("m/1");
    module.save(repository_.root() + "/m/1/model.pt");

    absl::StatusOr<config::ModelConfig> config = ParseModelConfig(kConfig, "test");
    EXPECT_TRUE(config.ok()) << config.status();
    config_ = *config;
    EXPECT_TRUE(CompleteModelConfig("m", config_).ok());
    absl::StatusOr<ModelSignature> signature = ModelSignature::Create(config_);
    EXPECT_TRUE(signature.ok()) << signature.status();
    signature_ = std::make_unique<ModelSignature>(*std::move(signature));

    ModelLoadContext context;
    context.config = &config_;
    context.signature = signature_.get();
    context.version_dir = repository_.root() + "/m/1";
    absl::StatusOr<std::unique_ptr<ModelInstance>> instance =
        TorchScriptBackend().CreateInstance(context);
    EXPECT_TRUE(instance.ok()) << instance.status();
    if (instance.ok()) instance_ = *std::move(instance);
  }

  absl::StatusOr<std::vector<Tensor>> Run(const std::vector<int64_t>& ids) {
    Tensor t;
    t.dtype = DataType::kInt64;
    t.shape = {static_cast<int64_t>(ids.size())};
    t.data.assign(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(int64_t));
    if (instance_ == nullptr) return absl::InternalError("model did not load");
    return instance_->Execute({t});
  }

 private:
  testing::TempModelRepository repository_;
  config::ModelConfig config_;
  std::unique_ptr<ModelSignature> signature_;
  std::unique_ptr<ModelInstance> instance_;
};

std::vector<float> Floats(const Tensor& t) {
  std::vector<float> out(t.data.size() / sizeof(float));
  std::memcpy(out.data(), t.data.data(), t.data.size());
  return out;
}

TEST(TorchScriptBackendTest, IdsPastAnEmbeddingAreRefusedNamingTheInput) {
  TorchScriptModel model("    return torch.embedding(self.table, ids.contiguous())");
  absl::StatusOr<std::vector<Tensor>> ok = model.Run({0, 9});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(Floats((*ok)[0]), (std::vector<float>{0, 1, 18, 19}));

  for (int64_t bad : {10, 5000, -1}) {
    absl::StatusOr<std::vector<Tensor>> refused = model.Run({1, bad, 2});
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(refused.status().message(),
                HasSubstr("input \"ids\": id " + std::to_string(bad) +
                          " is outside [0, 10), the rows of the model's embedding table"));
  }
}

TEST(TorchScriptBackendTest, IdsTheModelMasksBeforeTheLookupAreNotChecked) {
  // The model replaces ids >= 10 before embedding them: the backend must not
  // refuse what the model accepts.
  TorchScriptModel model(
      "    safe = torch.where(ids < 10, ids, torch.zeros_like(ids))\n"
      "    return torch.embedding(self.table, safe)");
  absl::StatusOr<std::vector<Tensor>> ok = model.Run({1, 5000});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(Floats((*ok)[0]), (std::vector<float>{2, 3, 0, 1}));
}

TEST(TorchScriptBackendTest, IndexErrorsInsideTheModelAreTheClients) {
  // The ids reach the lookup through arithmetic the backend does not follow:
  // libtorch's own error decides, its line that names the error is kept.
  TorchScriptModel model("    return torch.embedding(self.table, ids * 2)");
  absl::StatusOr<std::vector<Tensor>> refused = model.Run({1, 7});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(),
              AllOf(HasSubstr("model rejected the input values"),
                    HasSubstr("index out of range in self"),
                    HasSubstr("check the values of input \"ids\""),
                    Not(HasSubstr("TorchScript interpreter"))));
}

TEST(TorchScriptBackendTest, OtherModelErrorsAreInternalAndKeepTheirCause) {
  // A model bug, a 500 (the load-time probe fails too; that only warns).
  TorchScriptModel model(
      "    x = torch.embedding(self.table, ids)\n"
      "    return torch.mm(x, self.table)");
  absl::StatusOr<std::vector<Tensor>> failed = model.Run({1, 2});
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(failed.status().message(),
              AllOf(HasSubstr("model execution failed: RuntimeError: mat1 and mat2 shapes "
                              "cannot be multiplied"),
                    Not(HasSubstr("TorchScript interpreter"))));
}

}  // namespace
}  // namespace inferd
