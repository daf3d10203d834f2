#include "backend/llm/kernels.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "backend/llm/kernel_set.h"

namespace inferd::llm {

// Defined by kernels_{scalar,avx2,avxvnni,avx512}.cc and gemm_bf16_kernels.cc;
// all but the first only when the compiler takes their flags (CMake defines
// INFERD_LLM_HAVE_*).
extern const KernelSet kScalarKernelSet;
#if INFERD_LLM_HAVE_AVX2
extern const KernelSet kAvx2KernelSet;
#endif
#if INFERD_LLM_HAVE_AVXVNNI
extern const KernelSet kAvxVnniKernelSet;
#endif
#if INFERD_LLM_HAVE_AVX512
extern const KernelSet kAvx512KernelSet;
#endif
#if INFERD_LLM_HAVE_AVX512BF16
void GemmBf16BlockAvx512(const uint32_t* w, const uint32_t* x,
                         int64_t panel_stride, int64_t kc, int64_t n_panels,
                         float* c, int64_t c_stride);
#endif

namespace {

#if defined(__x86_64__) || defined(__i386__)
// CPUID leaf 1, ECX bit 29. Read directly: clang 14's
// __builtin_cpu_supports does not know "f16c".
bool HasF16c() {
  unsigned eax, ebx, ecx, edx;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
}

// CPUID leaf 7 sub-leaf 1, EAX bit `bit`: 4 is AVX-VNNI (the VEX-encoded,
// 256-bit vpdpbusd), 5 AVX512_BF16. clang 14's __builtin_cpu_supports knows
// neither.
bool HasLeaf7Sub1(int bit) {
  unsigned eax, ebx, ecx, edx;
  return __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) &&
         (eax & (1u << bit)) != 0;
}
#endif

bool CpuRuns(const KernelSet* set) {
  const std::string_view name = set->name;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") &&
                    __builtin_cpu_supports("fma") && HasF16c();
  if (name == "avx2") return avx2;
  if (name == "avxvnni") return avx2 && HasLeaf7Sub1(4);
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") &&
                      __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") &&
                      __builtin_cpu_supports("avx512vnni");
  if (name == "avx512") return avx512;
  if (name == "avx512bf16") return avx512 && HasLeaf7Sub1(5);
#endif
  return name == "scalar";
}

const KernelSet* ChooseKernels() {
  const std::vector<const KernelSet*> sets = AvailableKernelSets();
  const KernelSet* best = sets.back();
  const char* forced = std::getenv("INFERD_KERNELS");
  if (forced == nullptr || *forced == '\0') return best;
  if (const KernelSet* set = FindKernelSet(forced)) return set;
  std::fprintf(stderr,
               "inferd: INFERD_KERNELS=%s is not available on this CPU or "
               "build (scalar, avx2, avxvnni, avx512, avx512bf16); using %s\n",
               forced, best->name);
  return best;
}

#if INFERD_LLM_HAVE_AVX512BF16
// The AVX-512 set with the BF16 GEMM kernel.
const KernelSet* Avx512Bf16() {
  static const KernelSet set = [] {
    KernelSet s = kAvx512KernelSet;
    s.name = "avx512bf16";
    s.label = "AVX-512 VNNI BF16";
    s.gemm_bf16_block = GemmBf16BlockAvx512;
    return s;
  }();
  return &set;
}
#endif

}  // namespace

std::vector<const KernelSet*> AvailableKernelSets() {
  std::vector<const KernelSet*> sets;
  for (const KernelSet* set : {
         &kScalarKernelSet,
#if INFERD_LLM_HAVE_AVX2
             &kAvx2KernelSet,
#endif
#if INFERD_LLM_HAVE_AVXVNNI
             &kAvxVnniKernelSet,
#endif
#if INFERD_LLM_HAVE_AVX512
             &kAvx512KernelSet,
#endif
#if INFERD_LLM_HAVE_AVX512BF16
             Avx512Bf16(),
#endif
       }) {
    if (CpuRuns(set)) sets.push_back(set);
  }
  return sets;
}

const KernelSet* FindKernelSet(std::string_view name) {
  for (const KernelSet* set : AvailableKernelSets()) {
    if (name == set->name) return set;
  }
  return nullptr;
}

const KernelSet& ActiveKernels() {
  static const KernelSet* const active = ChooseKernels();
  return *active;
}

const char* KernelsName() { return ActiveKernels().label; }

bool IsSupportedWeightType(GgmlType type) {
  switch (type) {
    case GgmlType::kF32:
    case GgmlType::kF16:
    case GgmlType::kBF16:
    case GgmlType::kQ8_0:
    case GgmlType::kQ4_0:
    case GgmlType::kQ5_0:
    case GgmlType::kQ5_1:
    case GgmlType::kIQ4_NL:
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K:
    case GgmlType::kQ6_K:
      return true;
    default:
      return false;
  }
}

bool UsesQuantizedActivations(GgmlType type) {
  return IsSupportedWeightType(type) && type != GgmlType::kF32 &&
         type != GgmlType::kF16 && type != GgmlType::kBF16;
}

void QuantizeActivations(const float* x, int64_t n, BlockQ8Act* out) {
  ActiveKernels().quantize_activations(x, n, out);
}

float DotRow(GgmlType type, const void* row, const float* x,
             const BlockQ8Act* xq, int64_t n) {
  return ActiveKernels().dot_row(type, row, x, xq, n);
}

void DotRows(GgmlType type, const void* row, const float* x,
             const BlockQ8Act* xq, int64_t n, int64_t n_tokens, float* out,
             int64_t out_stride) {
  ActiveKernels().dot_rows(type, row, x, xq, n, n_tokens, out, out_stride);
}

void DotWeightRows(GgmlType type, const void* rows, int64_t row_bytes,
                   int64_t n_rows, const float* x, const BlockQ8Act* xq,
                   int64_t n, int64_t n_tokens, float* out, int64_t out_stride,
                   uint64_t xq_id) {
  ActiveKernels().dot_weight_rows(type, rows, row_bytes, n_rows, x, xq, n,
                                  n_tokens, out, out_stride, xq_id);
}

uint64_t NewActivationsId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

void GatedMul(bool gelu_tanh, float* gate, const float* up, int64_t n) {
  ActiveKernels().gated_mul(gelu_tanh, gate, up, n);
}

float ExpSum(float* v, int64_t n, float shift) {
  return ActiveKernels().exp_sum(v, n, shift);
}

void DequantizeRow(GgmlType type, const void* row, int64_t n, float* out) {
  ActiveKernels().dequantize_row(type, row, n, out);
}

float DotF32(const float* a, const float* b, int64_t n) {
  return ActiveKernels().dot_f32(a, b, n);
}

}  // namespace inferd::llm
