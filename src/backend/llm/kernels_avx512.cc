// The AVX-512 VNNI kernel set (see kernel_set.h); the target flags come from
// CMakeLists.txt.
#define INFERD_KERNEL_SET kAvx512KernelSet
#define INFERD_KERNEL_SET_NAME "avx512"
#define INFERD_KERNEL_SET_LABEL "AVX-512 VNNI"
#include "backend/llm/kernels_impl.inc"
