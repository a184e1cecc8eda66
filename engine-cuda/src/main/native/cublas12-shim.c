// Engram's forwarding libcublas.so.12: lets JCublas 12.6's natives (which link libcublas.so.12
// and bind every symbol to that version node) run against cuBLAS 13 (libcublas.so.13).
//
// Every name in cublas12.symbols becomes a one-instruction trampoline `jmp *slot(%rip)`,
// exported under the version node libcublas.so.12 (see build-cublas-shim.sh). A constructor
// opens cuBLAS 13 and fills the slots with dlsym(); a name cuBLAS 13 lacks (none, for 13.1)
// forwards to a stub that returns CUBLAS_STATUS_NOT_SUPPORTED and says so once on stderr.
//
// cuBLAS 13 is found as $ENGRAM_CUBLAS13 (a full path) if set, else by soname: CudaSetup loads
// libcublasLt.so.13 and libcublas.so.13 by absolute path before this library, so the soname
// lookup finds the loaded copy. Built by engine-cuda/build-cublas-shim.sh; x86-64 Linux only.

#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

// The oldest versions of the dl functions, so a shim built on glibc >= 2.34 also loads on older ones.
__asm__(".symver dlopen,dlopen@GLIBC_2.2.5");
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
__asm__(".symver dlerror,dlerror@GLIBC_2.2.5");

#define CUBLAS_STATUS_NOT_SUPPORTED 15

static int engram_missing(void) {
    static int warned;
    if (!warned) {
        warned = 1;
        fprintf(stderr, "engram cublas shim: a cuBLAS 12 function absent from cuBLAS 13 was called; "
                        "returning CUBLAS_STATUS_NOT_SUPPORTED\n");
    }
    return CUBLAS_STATUS_NOT_SUPPORTED;
}

// One hidden slot and one exported trampoline per name.
#define X(name)                                                                                    \
    __attribute__((visibility("hidden"))) void *engram_slot_##name = (void *)engram_missing;     \
    __asm__(".text\n.globl " #name "\n.type " #name ", @function\n" #name ":\n"                    \
            "\tjmp *engram_slot_" #name "(%rip)\n.size " #name ", .-" #name "\n");
#include "cublas12-symbols.inc"
#undef X

// Set when cuBLAS 13 could not be opened; read by engram_cublas_shim_status().
static const char *engram_error;

__attribute__((constructor)) static void engram_bind(void) {
    const char *path = getenv("ENGRAM_CUBLAS13");
    void *lib = dlopen(path != NULL && *path ? path : "libcublas.so.13", RTLD_NOW | RTLD_GLOBAL);
    if (lib == NULL) {
        engram_error = dlerror();
        fprintf(stderr, "engram cublas shim: cannot open cuBLAS 13: %s\n", engram_error);
        return;
    }
    void *f;
#define X(name) if ((f = dlsym(lib, #name)) != NULL) engram_slot_##name = f;
#include "cublas12-symbols.inc"
#undef X
}

// Null when cuBLAS 13 was bound, else dlerror()'s message (for diagnostics and tests).
const char *engram_cublas_shim_status(void) {
    return engram_error;
}
