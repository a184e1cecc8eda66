#!/usr/bin/env bash
# Run ON the GPU machine, in the repository root, with .jcuda-bundle and .gpu-run carried:
# unpacks the bundled JRE, points Engram at the CUDA 13 / cuDNN 9 wheel libraries (the jar ships
# the libcublas.so.12 forwarding shim), prints the CUDA doctor report, then runs the native tests
# (JUnit XML reports in $OUT/native-tests). Exit status: the test run's.
# usage: bash .gpu-run/gpu-run.sh [extra ConsoleLauncher args, e.g. --select-class dev.engram.nativetests.KernelParityTest]
set -uo pipefail
bundle=${BUNDLE:-.jcuda-bundle}
run=${RUN:-.gpu-run}
out=${OUT:-/tmp/engram-out}
mkdir -p "$out"
if [ -f "$bundle/jre.tar.xz" ]; then
  mkdir -p /tmp/engram-jre && tar -xJf "$bundle/jre.tar.xz" -C /tmp/engram-jre
  java_home=$(dirname "$(dirname "$(find /tmp/engram-jre -path '*/bin/java' | head -1)")")
  export JAVA_HOME=$java_home PATH=$java_home/bin:$PATH
fi
command -v java >/dev/null || { echo "gpu-run: no java (carry .jcuda-bundle made by make-bundle.sh)"; exit 2; }
roots=$(python3 -c 'import nvidia; print(" ".join(nvidia.__path__))' 2>/dev/null || true)
libdirs=""
for r in $roots; do for d in "$r"/cu13/lib "$r"/cudnn/lib "$r"/cublas/lib; do [ -d "$d" ] && libdirs="$libdirs:$d"; done; done
export ENGRAM_CUDA_LIB_PATH=${libdirs#:}
export LD_LIBRARY_PATH=$ENGRAM_CUDA_LIB_PATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# The Vector API is optional (Engram falls back to scalar code); a jlinked runtime may lack the module.
vector=()
java --list-modules 2>/dev/null | grep -q '^jdk\.incubator\.vector@' && vector=(--add-modules jdk.incubator.vector)
echo "== nvidia-smi"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -2
cp="$run/classes:$(ls "$run"/lib/*.jar | tr '\n' ':')"
echo "== CudaDoctor"
java -Djava.io.tmpdir=/tmp -cp "$cp" dev.engram.engine.cuda.CudaDoctor | tee "$out/doctor.txt"
echo "== native tests"
java -Djava.io.tmpdir=/tmp "${vector[@]}" -Xss8m -Xmx16g \
  -jar "$run"/junit/junit-platform-console-standalone-*.jar execute -cp "$cp" \
  --reports-dir "$out/native-tests" --details=summary --disable-banner \
  ${@:---select-package dev.engram.nativetests}
