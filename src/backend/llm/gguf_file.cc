#include "backend/llm/gguf_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "common/strings.h"

namespace inferd::llm {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
constexpr uint64_t kMaxDims = 4;
// Bounds that no real model reaches; they stop absurd counts from a corrupt
// header before any allocation sized by them.
constexpr uint64_t kMaxArrayDepth = 1;
constexpr uint64_t kMaxStringBytes = 1ull << 30;

int64_t ScalarSize(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kBool:
      return 1;
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
      return 2;
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kFloat32:
      return 4;
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
    case GgufValueType::kFloat64:
      return 8;
    default:
      return 0;
  }
}

bool IsInteger(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
      return true;
    default:
      return false;
  }
}

bool IsSigned(GgufValueType t) {
  return t == GgufValueType::kInt8 || t == GgufValueType::kInt16 ||
         t == GgufValueType::kInt32 || t == GgufValueType::kInt64;
}

// Bounds-checked little-endian cursor over the file image.
class Reader {
 public:
  Reader(const uint8_t* base, uint64_t size) : base_(base), size_(size) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  template <typename T>
  bool Read(T* out) {
    if (remaining() < sizeof(T)) return false;
    std::memcpy(out, base_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool ReadString(std::string_view* out) {
    uint64_t len;
    if (!Read(&len)) return false;
    if (len > remaining() || len > kMaxStringBytes) return false;
    *out = std::string_view(reinterpret_cast<const char*>(base_ + pos_), len);
    pos_ += len;
    return true;
  }
  bool Skip(uint64_t n) {
    if (n > remaining()) return false;
    pos_ += n;
    return true;
  }
  const uint8_t* here() const { return base_ + pos_; }

 private:
  const uint8_t* base_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

absl::Status Corrupt(std::string_view what) {
  return absl::InvalidArgumentError(ToAbsl(what));
}

absl::Status ReadScalar(Reader& r, GgufValueType t, GgufValue* v) {
  v->type = t;
  bool ok = true;
  switch (t) {
    case GgufValueType::kUint8: {
      uint8_t x = 0;
      ok = r.Read(&x);
      v->u = x;
      v->i = x;
      break;
    }
    case GgufValueType::kInt8: {
      int8_t x = 0;
      ok = r.Read(&x);
      v->i = x;
      v->u = static_cast<uint64_t>(x);
      break;
    }
    case GgufValueType::kUint16: {
      uint16_t x = 0;
      ok = r.Read(&x);
      v->u = x;
      v->i = x;
      break;
    }
    case GgufValueType::kInt16: {
      int16_t x = 0;
      ok = r.Read(&x);
      v->i = x;
      v->u = static_cast<uint64_t>(x);
      break;
    }
    case GgufValueType::kUint32: {
      uint32_t x = 0;
      ok = r.Read(&x);
      v->u = x;
      v->i = x;
      break;
    }
    case GgufValueType::kInt32: {
      int32_t x = 0;
      ok = r.Read(&x);
      v->i = x;
      v->u = static_cast<uint64_t>(x);
      break;
    }
    case GgufValueType::kUint64: {
      uint64_t x = 0;
      ok = r.Read(&x);
      v->u = x;
      v->i = static_cast<int64_t>(x);
      break;
    }
    case GgufValueType::kInt64: {
      int64_t x = 0;
      ok = r.Read(&x);
      v->i = x;
      v->u = static_cast<uint64_t>(x);
      break;
    }
    case GgufValueType::kFloat32: {
      float x = 0;
      ok = r.Read(&x);
      v->f = x;
      break;
    }
    case GgufValueType::kFloat64: {
      double x = 0;
      ok = r.Read(&x);
      v->f = x;
      break;
    }
    case GgufValueType::kBool: {
      uint8_t x = 0;
      ok = r.Read(&x);
      if (ok && x > 1) return Corrupt("bool value is not 0 or 1");
      v->b = x != 0;
      break;
    }
    case GgufValueType::kString:
      ok = r.ReadString(&v->str);
      break;
    default:
      return Corrupt(StrCat("unknown value type ", static_cast<uint32_t>(t)));
  }
  if (!ok) return Corrupt("value runs past the end of the file");
  return absl::OkStatus();
}

absl::Status ReadValue(Reader& r, GgufValue* v, uint64_t depth) {
  uint32_t raw_type;
  if (!r.Read(&raw_type)) return Corrupt("value type runs past end of file");
  const auto t = static_cast<GgufValueType>(raw_type);
  if (t != GgufValueType::kArray) return ReadScalar(r, t, v);
  if (depth >= kMaxArrayDepth)
    return Corrupt("nested arrays are not supported");
  v->type = t;
  uint32_t raw_elem;
  if (!r.Read(&raw_elem) || !r.Read(&v->count)) {
    return Corrupt("array header runs past the end of the file");
  }
  v->elem_type = static_cast<GgufValueType>(raw_elem);
  if (v->elem_type == GgufValueType::kString) {
    // Every string takes at least its 8-byte length.
    if (v->count > r.remaining() / 8) {
      return Corrupt(StrCat("string array of ", v->count,
                         " elements runs past the end of the file"));
    }
    v->strings.reserve(v->count);
    for (uint64_t k = 0; k < v->count; ++k) {
      std::string_view s;
      if (!r.ReadString(&s)) {
        return Corrupt(
            StrCat("string ", k, " of array runs past the end of the file"));
      }
      v->strings.push_back(s);
    }
    return absl::OkStatus();
  }
  const int64_t es = ScalarSize(v->elem_type);
  if (es == 0) {
    return Corrupt(StrCat("unknown array element type ", raw_elem));
  }
  if (v->count > r.remaining() / es) {
    return Corrupt(
        StrCat("array of ", v->count, " elements runs past the end of the file"));
  }
  v->elems = r.here();
  r.Skip(v->count * es);
  return absl::OkStatus();
}

template <typename T>
T LoadAt(const uint8_t* p) {
  T x;
  std::memcpy(&x, p, sizeof(T));
  return x;
}

double ElementAsDouble(const GgufValue& v, uint64_t k) {
  const uint8_t* p = v.elems + k * ScalarSize(v.elem_type);
  switch (v.elem_type) {
    case GgufValueType::kUint8:
      return LoadAt<uint8_t>(p);
    case GgufValueType::kInt8:
      return LoadAt<int8_t>(p);
    case GgufValueType::kUint16:
      return LoadAt<uint16_t>(p);
    case GgufValueType::kInt16:
      return LoadAt<int16_t>(p);
    case GgufValueType::kUint32:
      return LoadAt<uint32_t>(p);
    case GgufValueType::kInt32:
      return LoadAt<int32_t>(p);
    case GgufValueType::kUint64:
      return static_cast<double>(LoadAt<uint64_t>(p));
    case GgufValueType::kInt64:
      return static_cast<double>(LoadAt<int64_t>(p));
    case GgufValueType::kFloat32:
      return LoadAt<float>(p);
    case GgufValueType::kFloat64:
      return LoadAt<double>(p);
    case GgufValueType::kBool:
      return LoadAt<uint8_t>(p);
    default:
      return 0;
  }
}

}  // namespace

std::string_view GgufValueTypeName(GgufValueType type) {
  static constexpr std::string_view kNames[] = {
      "uint8", "int8",   "uint16", "int16",  "uint32", "int32",  "float32",
      "bool",  "string", "array",  "uint64", "int64",  "float64"};
  const auto i = static_cast<uint32_t>(type);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

int64_t GgufTensor::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t GgufTensor::rows() const {
  int64_t n = 1;
  for (size_t i = 1; i < shape.size(); ++i) n *= shape[i];
  return n;
}

absl::StatusOr<std::unique_ptr<GgufFile>> GgufFile::Open(
    const std::string& path) {
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(
        StrCat("cannot open model file ", path, ": ", strerror(errno)));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(
        StrCat("model file ", path, " is not a regular file"));
  }
  file->size_ = static_cast<uint64_t>(st.st_size);
  if (file->size_ > 0) {
    void* m = mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return absl::InternalError(
          StrCat("cannot map model file ", path, ": ", strerror(err)));
    }
    file->map_ = m;
    file->base_ = static_cast<const uint8_t*>(m);
  }
  ::close(fd);
  if (absl::Status s = file->Parse(); !s.ok()) {
    return absl::InvalidArgumentError(
        StrCat("GGUF file ", path, ": ", s.message()));
  }
  return file;
}

absl::StatusOr<std::unique_ptr<GgufFile>> GgufFile::FromBytes(
    std::string bytes) {
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->path_ = "<memory>";
  file->owned_ = std::move(bytes);
  file->base_ = reinterpret_cast<const uint8_t*>(file->owned_.data());
  file->size_ = file->owned_.size();
  if (absl::Status s = file->Parse(); !s.ok()) {
    return absl::InvalidArgumentError(StrCat("GGUF: ", s.message()));
  }
  return file;
}

GgufFile::~GgufFile() {
  if (map_ != nullptr) munmap(map_, size_);
}

absl::Status GgufFile::Parse() {
  Reader r(base_, size_);
  uint32_t magic;
  if (!r.Read(&magic)) return Corrupt("file is empty or shorter than a header");
  if (magic != kMagic) return Corrupt("bad magic: not a GGUF file");
  if (!r.Read(&version_)) return Corrupt("truncated header (version)");
  if (version_ == 0x02000000 || version_ == 0x03000000) {
    return Corrupt("big-endian GGUF files are not supported");
  }
  if (version_ != 2 && version_ != 3) {
    return Corrupt(
        StrCat("unsupported GGUF version ", version_, " (supported: 2, 3)"));
  }
  uint64_t n_tensors, n_kv;
  if (!r.Read(&n_tensors) || !r.Read(&n_kv)) {
    return Corrupt("truncated header (counts)");
  }
  // A key/value pair takes at least 12 bytes and a tensor entry at least 24.
  if (n_kv > r.remaining() / 12) {
    return Corrupt(
        StrCat("metadata count ", n_kv, " is larger than the file can hold"));
  }
  if (n_tensors > r.remaining() / 24) {
    return Corrupt(
        StrCat("tensor count ", n_tensors, " is larger than the file can hold"));
  }
  keys_.reserve(n_kv);
  for (uint64_t k = 0; k < n_kv; ++k) {
    std::string_view key;
    if (!r.ReadString(&key)) {
      return Corrupt(StrCat("metadata key ", k, " runs past the end of the file"));
    }
    GgufValue value;
    if (absl::Status s = ReadValue(r, &value, 0); !s.ok()) {
      return Corrupt(StrCat("metadata \"", key, "\": ", s.message()));
    }
    std::string key_str(key);
    if (values_.contains(key_str)) {
      return Corrupt(StrCat("duplicate metadata key \"", key, "\""));
    }
    keys_.push_back(key_str);
    values_.emplace(std::move(key_str), std::move(value));
  }
  if (const GgufValue* a = Find("general.alignment"); a != nullptr) {
    if (!IsInteger(a->type) || a->u == 0 || a->u > 65536 ||
        (a->u & (a->u - 1)) != 0) {
      return Corrupt("general.alignment must be a power of two <= 65536");
    }
    alignment_ = a->u;
  }
  tensors_.reserve(n_tensors);
  for (uint64_t k = 0; k < n_tensors; ++k) {
    GgufTensor t;
    std::string_view name;
    if (!r.ReadString(&name)) {
      return Corrupt(StrCat("tensor ", k, " name runs past the end of the file"));
    }
    t.name = std::string(name);
    const std::string where = StrCat("tensor \"", t.name, "\": ");
    uint32_t n_dims;
    if (!r.Read(&n_dims)) return Corrupt(where + "truncated entry");
    if (n_dims == 0 || n_dims > kMaxDims) {
      return Corrupt(StrCat(where, n_dims, " dimensions (1 to 4 allowed)"));
    }
    uint64_t n = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t dim;
      if (!r.Read(&dim)) return Corrupt(where + "truncated entry");
      if (dim == 0 || dim > (1ull << 40) ||
          n > std::numeric_limits<int64_t>::max() / dim) {
        return Corrupt(StrCat(where, "invalid dimension ", dim));
      }
      n *= dim;
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    uint32_t raw_type;
    if (!r.Read(&raw_type) || !r.Read(&t.offset)) {
      return Corrupt(where + "truncated entry");
    }
    const GgmlTypeInfo* info = FindGgmlType(raw_type);
    if (info == nullptr) {
      return Corrupt(StrCat(where, "unknown tensor type ", raw_type));
    }
    t.type = static_cast<GgmlType>(raw_type);
    if (t.shape[0] % info->block_size != 0) {
      return Corrupt(StrCat(where, "row length ", t.shape[0],
                         " is not a multiple of the ", info->name,
                         " block size ", info->block_size));
    }
    t.size_bytes = n / info->block_size * info->type_size;
    if (t.offset % alignment_ != 0) {
      return Corrupt(StrCat(where, "data offset ", t.offset, " is not aligned to ",
                         alignment_));
    }
    if (tensor_index_.contains(t.name)) {
      return Corrupt(StrCat("duplicate tensor name \"", t.name, "\""));
    }
    tensor_index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
  }
  const uint64_t data_start =
      (r.pos() + alignment_ - 1) / alignment_ * alignment_;
  if (n_tensors > 0 && data_start > size_) {
    return Corrupt("file ends before the tensor data section");
  }
  const uint64_t data_size = n_tensors > 0 ? size_ - data_start : 0;
  for (GgufTensor& t : tensors_) {
    if (t.offset > data_size || t.size_bytes > data_size - t.offset) {
      return Corrupt(StrCat("tensor \"", t.name, "\": data [", t.offset, ", ",
                         t.offset + t.size_bytes,
                         ") lies outside the data section of ", data_size,
                         " bytes (truncated file?)"));
    }
    t.data = base_ + data_start + t.offset;
  }
  return absl::OkStatus();
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  auto it = values_.find(ToAbsl(key));
  return it == values_.end() ? nullptr : &it->second;
}

const GgufTensor* GgufFile::FindTensor(std::string_view name) const {
  auto it = tensor_index_.find(ToAbsl(name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

absl::StatusOr<uint64_t> GgufFile::GetUint(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) {
    return absl::NotFoundError(StrCat("missing metadata \"", key, "\""));
  }
  if (!IsInteger(v->type)) {
    return absl::InvalidArgumentError(StrCat("metadata \"", key, "\" is ",
                                          GgufValueTypeName(v->type),
                                          ", expected an integer"));
  }
  if (IsSigned(v->type) && v->i < 0) {
    return absl::InvalidArgumentError(
        StrCat("metadata \"", key, "\" is negative (", v->i, ")"));
  }
  return v->u;
}

absl::StatusOr<uint64_t> GgufFile::GetUintOr(std::string_view key,
                                             uint64_t fallback) const {
  if (Find(key) == nullptr) return fallback;
  return GetUint(key);
}

absl::StatusOr<double> GgufFile::GetFloat(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) {
    return absl::NotFoundError(StrCat("missing metadata \"", key, "\""));
  }
  if (v->type == GgufValueType::kFloat32 ||
      v->type == GgufValueType::kFloat64) {
    return v->f;
  }
  if (IsInteger(v->type)) {
    return IsSigned(v->type) ? static_cast<double>(v->i)
                             : static_cast<double>(v->u);
  }
  return absl::InvalidArgumentError(StrCat("metadata \"", key, "\" is ",
                                        GgufValueTypeName(v->type),
                                        ", expected a number"));
}

absl::StatusOr<double> GgufFile::GetFloatOr(std::string_view key,
                                            double fallback) const {
  if (Find(key) == nullptr) return fallback;
  return GetFloat(key);
}

absl::StatusOr<std::string_view> GgufFile::GetString(
    std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) {
    return absl::NotFoundError(StrCat("missing metadata \"", key, "\""));
  }
  if (v->type != GgufValueType::kString) {
    return absl::InvalidArgumentError(StrCat("metadata \"", key, "\" is ",
                                          GgufValueTypeName(v->type),
                                          ", expected a string"));
  }
  return v->str;
}

absl::StatusOr<bool> GgufFile::GetBool(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) {
    return absl::NotFoundError(StrCat("missing metadata \"", key, "\""));
  }
  if (v->type != GgufValueType::kBool) {
    return absl::InvalidArgumentError(StrCat("metadata \"", key, "\" is ",
                                          GgufValueTypeName(v->type),
                                          ", expected a bool"));
  }
  return v->b;
}

absl::StatusOr<bool> GgufFile::GetBoolOr(std::string_view key,
                                         bool fallback) const {
  if (Find(key) == nullptr) return fallback;
  return GetBool(key);
}

absl::StatusOr<const std::vector<std::string_view>*> GgufFile::GetStringArray(
    std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) {
    return absl::NotFoundError(StrCat("missing metadata \"", key, "\""));
  }
  if (v->type != GgufValueType::kArray ||
      v->elem_type != GgufValueType::kString) {
    return absl::InvalidArgumentError(
        StrCat("metadata \"", key, "\" is not an array of strings"));
  }
  return &v->strings;
}

absl::StatusOr<std::vector<float>> GgufFile::GetFloatArray(
    std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) {
    return absl::NotFoundError(StrCat("missing metadata \"", key, "\""));
  }
  if (v->type != GgufValueType::kArray || ScalarSize(v->elem_type) == 0) {
    return absl::InvalidArgumentError(
        StrCat("metadata \"", key, "\" is not an array of numbers"));
  }
  std::vector<float> out(v->count);
  for (uint64_t k = 0; k < v->count; ++k) {
    out[k] = static_cast<float>(ElementAsDouble(*v, k));
  }
  return out;
}

absl::StatusOr<std::vector<int32_t>> GgufFile::GetIntArray(
    std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) {
    return absl::NotFoundError(StrCat("missing metadata \"", key, "\""));
  }
  if (v->type != GgufValueType::kArray || !IsInteger(v->elem_type)) {
    return absl::InvalidArgumentError(
        StrCat("metadata \"", key, "\" is not an array of integers"));
  }
  std::vector<int32_t> out(v->count);
  for (uint64_t k = 0; k < v->count; ++k) {
    out[k] = static_cast<int32_t>(ElementAsDouble(*v, k));
  }
  return out;
}

}  // namespace inferd::llm
