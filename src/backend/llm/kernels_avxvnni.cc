// The AVX2 kernel set with AVX-VNNI's 256-bit vpdpbusd (kernel_set.h): the
// CPUs with AVX2 and VNNI but no AVX-512 (Intel Alder Lake and later client
// cores, Sierra Forest); the target flags come from CMakeLists.txt.
#define INFERD_KERNEL_SET kAvxVnniKernelSet
#define INFERD_KERNEL_SET_NAME "avxvnni"
#define INFERD_KERNEL_SET_LABEL "AVX2 VNNI"
#include "backend/llm/kernels_impl.inc"
