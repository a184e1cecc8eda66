/** The CUDA backend (JCuda, cuBLAS, cuDNN and Engram's own kernels), found through the backend provider service. */
package dev.engram.engine.cuda;
