// The scalar kernel set (see kernel_set.h); the target flags come from
// CMakeLists.txt.
#define INFERD_KERNEL_SET kScalarKernelSet
#define INFERD_KERNEL_SET_NAME "scalar"
#define INFERD_KERNEL_SET_LABEL "scalar"
#include "backend/llm/kernels_impl.inc"
