#!/usr/bin/env bash
# Regenerates src/main/resources/dev/engram/engine/cuda/kernels.fatbin from src/main/cuda/kernels.cu.
# The fatbin is committed, so the Maven build needs no nvcc; run this after editing a .cu file.
#
# Targets: SASS for sm_80 (A100; also runs on sm_86/sm_89) and sm_90 (H100/H200), plus
# compute_90 PTX that newer GPUs JIT-compile. -fmad=false keeps a*b+c unfused so the kernels
# round exactly like the Java reference backend.
#
# Usage: engine-cuda/build-kernels.sh [--check]   (--check: compile and compare, write nothing)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/src/main/cuda/kernels.cu"
out="$here/src/main/resources/dev/engram/engine/cuda/kernels.fatbin"
nvcc="${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}"
if [ ! -x "$nvcc" ]; then
  echo "build-kernels: nvcc not found (set NVCC=/path/to/nvcc)" >&2
  exit 2
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$nvcc" --fatbin -O3 -std=c++17 -fmad=false \
  -gencode arch=compute_80,code=sm_80 \
  -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_90,code=compute_90 \
  -o "$tmp/kernels.fatbin" "$src"
echo "build-kernels: $("$nvcc" --version | tail -1)"
if [ "${1:-}" = "--check" ]; then
  echo "build-kernels: compiled OK ($(stat -c %s "$tmp/kernels.fatbin") bytes); committed file left unchanged"
  exit 0
fi
mv "$tmp/kernels.fatbin" "$out.tmp"
sync "$out.tmp" 2>/dev/null || true
mv -f "$out.tmp" "$out"
echo "build-kernels: wrote $out ($(stat -c %s "$out") bytes)"
