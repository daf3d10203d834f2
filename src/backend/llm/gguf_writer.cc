#include "backend/llm/gguf_writer.h"

#include <cstdio>
#include <memory>
#include <utility>

#include "common/strings.h"

namespace inferd::llm {
namespace {

template <typename T>
void Put(std::string* s, T v) {
  s->append(reinterpret_cast<const char*>(&v), sizeof(v));
}

void PutString(std::string* s, std::string_view v) {
  Put<uint64_t>(s, v.size());
  s->append(v);
}

}  // namespace

void GgufWriter::AddUint32(std::string_view key, uint32_t v) {
  PutString(&kv_, key);
  Put<uint32_t>(&kv_, 4);
  Put(&kv_, v);
  ++n_kv_;
}

void GgufWriter::AddFloat32(std::string_view key, float v) {
  PutString(&kv_, key);
  Put<uint32_t>(&kv_, 6);
  Put(&kv_, v);
  ++n_kv_;
}

void GgufWriter::AddBool(std::string_view key, bool v) {
  PutString(&kv_, key);
  Put<uint32_t>(&kv_, 7);
  Put<uint8_t>(&kv_, v ? 1 : 0);
  ++n_kv_;
}

void GgufWriter::AddString(std::string_view key, std::string_view v) {
  PutString(&kv_, key);
  Put<uint32_t>(&kv_, 8);
  PutString(&kv_, v);
  ++n_kv_;
}

void GgufWriter::AddStringArray(std::string_view key,
                                const std::vector<std::string>& v) {
  PutString(&kv_, key);
  Put<uint32_t>(&kv_, 9);
  Put<uint32_t>(&kv_, 8);
  Put<uint64_t>(&kv_, v.size());
  for (const std::string& s : v) PutString(&kv_, s);
  ++n_kv_;
}

void GgufWriter::AddFloat32Array(std::string_view key,
                                 const std::vector<float>& v) {
  PutString(&kv_, key);
  Put<uint32_t>(&kv_, 9);
  Put<uint32_t>(&kv_, 6);
  Put<uint64_t>(&kv_, v.size());
  for (float x : v) Put(&kv_, x);
  ++n_kv_;
}

void GgufWriter::AddInt32Array(std::string_view key,
                               const std::vector<int32_t>& v) {
  PutString(&kv_, key);
  Put<uint32_t>(&kv_, 9);
  Put<uint32_t>(&kv_, 5);
  Put<uint64_t>(&kv_, v.size());
  for (int32_t x : v) Put(&kv_, x);
  ++n_kv_;
}

void GgufWriter::AddTensor(std::string_view name, GgmlType type,
                           std::vector<int64_t> shape, Producer producer) {
  Tensor t;
  t.name = std::string(name);
  t.type = type;
  int64_t rows = 1;
  for (size_t i = 1; i < shape.size(); ++i) rows *= shape[i];
  t.size = RowBytes(type, shape[0]) * rows;
  t.shape = std::move(shape);
  t.offset = data_size_;
  t.producer = std::move(producer);
  data_size_ += (t.size + alignment_ - 1) / alignment_ * alignment_;
  tensors_.push_back(std::move(t));
}

void GgufWriter::AddTensorBytes(std::string_view name, GgmlType type,
                                std::vector<int64_t> shape, std::string bytes) {
  auto shared = std::make_shared<std::string>(std::move(bytes));
  AddTensor(name, type, std::move(shape),
            [shared](std::string* out) { *out = *shared; });
}

std::string GgufWriter::Header() const {
  std::string h;
  Put<uint32_t>(&h, 0x46554747);
  Put<uint32_t>(&h, 3);
  Put<uint64_t>(&h, tensors_.size());
  Put<uint64_t>(&h, n_kv_ + (alignment_ != 32 ? 1 : 0));
  h += kv_;
  if (alignment_ != 32) {
    PutString(&h, "general.alignment");
    Put<uint32_t>(&h, 4);
    Put<uint32_t>(&h, alignment_);
  }
  for (const Tensor& t : tensors_) {
    PutString(&h, t.name);
    Put<uint32_t>(&h, t.shape.size());
    for (int64_t d : t.shape) Put<uint64_t>(&h, d);
    Put<uint32_t>(&h, static_cast<uint32_t>(t.type));
    Put<uint64_t>(&h, t.offset);
  }
  h.resize((h.size() + alignment_ - 1) / alignment_ * alignment_, '\0');
  return h;
}

std::string GgufWriter::ToBytes() const {
  std::string out = Header();
  std::string buf;
  for (const Tensor& t : tensors_) {
    buf.clear();
    t.producer(&buf);
    buf.resize(t.size, '\0');
    out += buf;
    out.resize((out.size() + alignment_ - 1) / alignment_ * alignment_, '\0');
  }
  return out;
}

absl::Status GgufWriter::WriteFile(const std::string& path) const {
  std::unique_ptr<FILE, int (*)(FILE*)> f(fopen(path.c_str(), "wb"), fclose);
  if (f == nullptr) {
    return absl::InternalError(StrCat("cannot write ", path));
  }
  const std::string header = Header();
  bool ok = fwrite(header.data(), 1, header.size(), f.get()) == header.size();
  std::string buf;
  for (const Tensor& t : tensors_) {
    buf.clear();
    t.producer(&buf);
    buf.resize(t.size, '\0');
    buf.resize((buf.size() + alignment_ - 1) / alignment_ * alignment_, '\0');
    ok = ok && fwrite(buf.data(), 1, buf.size(), f.get()) == buf.size();
  }
  if (!ok) return absl::InternalError(StrCat("short write to ", path));
  return absl::OkStatus();
}

}  // namespace inferd::llm
