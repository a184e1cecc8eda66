#!/usr/bin/env bash
# Builds the forwarding shim libcublas.so.12 -> libcublas.so.13 from src/main/native into
# src/main/resources/dev/engram/engine/cuda/libcublas.so.12 (committed, like kernels.fatbin, so the
# Maven build needs no C compiler). CudaSetup extracts and loads it on machines that have cuBLAS 13
# but no libcublas.so.12.
#
# Usage: engine-cuda/build-cublas-shim.sh [--check | --symbols | --out FILE]
#   --check    build into a temporary folder and compare exported names; write nothing
#   --symbols  regenerate src/main/native/cublas12.symbols from the jcublas-natives jar in the
#              local Maven repository (the names JCublas 12.6's natives import @libcublas.so.12)
#   --out FILE build into FILE instead of the resource (tests use this)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/src/main/native"
res="$here/src/main/resources/dev/engram/engine/cuda/libcublas.so.12"
cc="${CC:-$(command -v cc || command -v gcc || command -v clang || true)}"

if [ "${1:-}" = "--symbols" ]; then
  jar=$(ls "${M2_REPO:-$HOME/.m2/repository}"/org/jcuda/jcublas-natives/*/jcublas-natives-*-linux-x86_64.jar | tail -1)
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && unzip -q "$jar")
  nm -D --undefined-only "$tmp"/lib/*.so | sed -n 's/.* U \(.*\)@libcublas\.so\.12.*/\1/p' | sort -u > "$src/cublas12.symbols"
  echo "build-cublas-shim: $(wc -l < "$src/cublas12.symbols") names from $jar"
  exit 0
fi
[ -n "$cc" ] || { echo "build-cublas-shim: no C compiler (set CC)" >&2; exit 2; }

tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
sed 's/.*/X(&)/' "$src/cublas12.symbols" > "$tmp/cublas12-symbols.inc"
{ echo "libcublas.so.12 {"; echo "  global:"; sed 's/.*/    &;/' "$src/cublas12.symbols"
  echo "    engram_cublas_shim_status;"; echo "  local: *;"; echo "};"; } > "$tmp/version.map"
"$cc" -shared -fPIC -O2 -g0 -o "$tmp/libcublas.so.12" -I"$tmp" "$src/cublas12-shim.c" \
  -Wl,-soname,libcublas.so.12 -Wl,--version-script="$tmp/version.map" -Wl,--build-id=none -ldl

exported() { nm -D --defined-only "$1" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | grep -v '^engram_' | sort -u; }
if ! diff <(exported "$tmp/libcublas.so.12") "$src/cublas12.symbols" > "$tmp/diff"; then
  echo "build-cublas-shim: exported names differ from cublas12.symbols:" >&2; head "$tmp/diff" >&2; exit 1
fi
case "${1:-}" in
  --check) echo "build-cublas-shim: compiled OK, $(wc -l < "$src/cublas12.symbols") names; committed file left unchanged"; exit 0 ;;
  --out) cp "$tmp/libcublas.so.12" "$2"; echo "build-cublas-shim: wrote $2"; exit 0 ;;
esac
cp "$tmp/libcublas.so.12" "$res.tmp" && mv -f "$res.tmp" "$res"
echo "build-cublas-shim: wrote $res ($(stat -c %s "$res") bytes, $("$cc" --version | head -1))"
