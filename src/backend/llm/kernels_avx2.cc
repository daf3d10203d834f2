// The AVX2 kernel set (see kernel_set.h); the target flags come from
// CMakeLists.txt.
#define INFERD_KERNEL_SET kAvx2KernelSet
#define INFERD_KERNEL_SET_NAME "avx2"
#define INFERD_KERNEL_SET_LABEL "AVX2"
#include "backend/llm/kernels_impl.inc"
