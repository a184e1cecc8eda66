// Host emulation of the CUDA built-ins kernels.cu uses, so the unmodified kernel source compiles
// with g++ and runs on the CPU (see host_driver.cpp). Blocks run one after another; a block's
// threads run one after another too, except for kernels that call __syncthreads, whose threads
// run as real threads meeting at a std::barrier. __shared__ becomes a function-local static:
// shared by the threads of the one block running at a time.
#pragma once
#include <barrier>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <math.h>

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};

inline thread_local dim3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;
inline std::barrier<>* host_block_barrier = nullptr;  // null while threads run sequentially

inline void __syncthreads() {
    if (host_block_barrier == nullptr) {
        std::fprintf(stderr, "host emulation: __syncthreads in a kernel launched as sequential threads; "
                             "add it to the barrier kernels in host_driver.cpp\n");
        std::abort();
    }
    host_block_barrier->arrive_and_wait();
}

inline unsigned int __umulhi(unsigned int a, unsigned int b) {
    return (unsigned int)(((unsigned long long)a * b) >> 32);
}

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
