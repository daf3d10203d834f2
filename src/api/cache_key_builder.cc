#include "api/cache_key_builder.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "common/field_hasher.h"
#include "common/strings.h"
#include "tensor/data_type.h"


namespace inferd::cache {
namespace {

constexpr std::string_view kFormatTag = "inferd-cache-key-v1";

template <typename T, typename NameOf>
absl::Status CheckUniqueSorted(const std::vector<T>& items, NameOf name_of,
                               std::string_view what) {
  for (size_t i = 1; i < items.size(); ++i) {
    if (name_of(items[i - 1]) == name_of(items[i])) {
      return absl::InvalidArgumentError(
          ToAbsl(StrCat(what, " \"", name_of(items[i]), "\" appears twice")));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string CacheKey::ToHex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[15 - i] = kDigits[(high >> (4 * i)) & 0xf];
    out[31 - i] = kDigits[(low >> (4 * i)) & 0xf];
  }
  return out;
}

CacheKeyBuilder::CacheKeyBuilder(std::string_view route,
                                 std::string_view model,
                                 std::string_view version)
    : route_(route), model_(model), version_(version) {}

absl::StatusOr<CacheKey> CacheKeyBuilder::ForInferRequest(
    std::string_view route, std::string_view model, std::string_view version,
    const InferenceRequest& request) {
  CacheKeyBuilder builder(route, model, version);
  for (const NamedTensor& input : request.inputs) builder.AddInput(input);
  builder.SetBinaryDataOutputDefault(request.binary_data_output);
  for (const RequestedOutput& output : request.outputs) {
    builder.AddRequestedOutput(
        output.name, output.binary_data.value_or(request.binary_data_output));
  }
  builder.SetRequestId(request.id);
  return builder.Build();
}

CacheKeyBuilder& CacheKeyBuilder::AddInput(const NamedTensor& input) {
  inputs_.push_back(&input);
  return *this;
}

CacheKeyBuilder& CacheKeyBuilder::AddRequestedOutput(std::string_view name,
                                                     bool binary) {
  outputs_.emplace_back(std::string(name), binary);
  return *this;
}

CacheKeyBuilder& CacheKeyBuilder::SetBinaryDataOutputDefault(bool binary) {
  binary_default_ = binary;
  return *this;
}

CacheKeyBuilder& CacheKeyBuilder::AddParameter(std::string_view name,
                                               std::string_view value) {
  parameters_.emplace_back(std::string(name), std::string(value));
  return *this;
}

CacheKeyBuilder& CacheKeyBuilder::SetRequestId(std::string_view id) {
  request_id_ = std::string(id);
  return *this;
}

absl::StatusOr<CacheKey> CacheKeyBuilder::Build() const {
  std::vector<const NamedTensor*> inputs = inputs_;
  std::sort(inputs.begin(), inputs.end(),
            [](const NamedTensor* a, const NamedTensor* b) {
              return a->name < b->name;
            });
  auto outputs = outputs_;
  std::sort(outputs.begin(), outputs.end());
  auto parameters = parameters_;
  std::sort(parameters.begin(), parameters.end());

  absl::Status status = CheckUniqueSorted(
      inputs, [](const NamedTensor* t) -> const std::string& { return t->name; },
      "input");
  if (!status.ok()) return status;
  status = CheckUniqueSorted(
      outputs, [](const auto& o) -> const std::string& { return o.first; },
      "output");
  if (!status.ok()) return status;
  status = CheckUniqueSorted(
      parameters, [](const auto& p) -> const std::string& { return p.first; },
      "parameter");
  if (!status.ok()) return status;

  FieldHasher h;
  h.Field(kFormatTag);
  h.Field(route_);
  h.Field(model_);
  h.Field(version_);

  h.Tag('I');
  h.U64(inputs.size());
  for (const NamedTensor* input : inputs) {
    const Tensor& t = input->tensor;
    h.Field(input->name);
    h.Field(DataTypeName(t.dtype));
    h.U64(t.shape.size());
    for (int64_t dim : t.shape) h.U64(static_cast<uint64_t>(dim));
    if (t.dtype == DataType::kBytes) {
      h.U64(t.strings.size());
      for (const std::string& element : t.strings) h.Field(element);
    } else {
      h.Field(t.data);
    }
  }

  h.Tag('O');
  h.U64(binary_default_ ? 1 : 0);
  h.U64(outputs.size());
  for (const auto& [name, binary] : outputs) {
    h.Field(name);
    h.U64(binary ? 1 : 0);
  }

  h.Tag('P');
  h.U64(parameters.size());
  for (const auto& [name, value] : parameters) {
    h.Field(name);
    h.Field(value);
  }

  h.Tag('R');
  h.Field(request_id_);
  const FieldHasher::Digest digest = h.Finish();
  return CacheKey{digest.high, digest.low};
}

}  // namespace inferd::cache
