#!/usr/bin/env bash
# The single-shot GPU check. Run ON the GPU machine in the repository root, with .gpu-run carried
# (made by engine-cuda/gpu-stage.sh): one call of at most 8 minutes, no Java or network needed.
# Unpacks the staged JRE, points Engram at the machine's cuBLAS/cuDNN (PyTorch's nvidia wheels are
# found too; the jar ships the libcublas.so.12 forwarding shim for cuBLAS 13), then leaves every
# result in $OUT/gpu-check: doctor.txt, native-tests/ (JUnit XML), benchmark.txt (StepBenchmark on the GPU),
# pytorch.txt (benchmarks/gpu/resnet9_torch.py, the same ResNet-9 step in PyTorch eager), summary.txt. Each step has its own time limit. Exit status: the native tests'.
# usage: OUT=$OUT bash .gpu-run/gpu-run.sh [ConsoleLauncher selection, e.g. --select-class dev.engram.nativetests.KernelParityTest]
set -uo pipefail
run=${RUN:-.gpu-run}
out=${OUT:-${TMPDIR:-/tmp}/engram-out}/gpu-check
mkdir -p "$out"
summary="$out/summary.txt"
: > "$summary"
. "$(dirname "$0")/gpu-env.sh"
command -v java >/dev/null || { echo "gpu-run: no java (stage with engine-cuda/gpu-stage.sh)" | tee -a "$summary"; exit 2; }
# First runs: synchronous launches, so a failing kernel is named where it fails.
# ENGRAM_JAVA_OPTS: more options for the doctor and the tests, e.g. -Dengram.cuda.deterministic=false
jopts=(-Djava.io.tmpdir="$tmp" -Dengram.cuda.syncLaunches=${SYNC_LAUNCHES:-true} "${vector[@]}" ${ENGRAM_JAVA_OPTS:-})
step() { echo "== $1" | tee -a "$summary"; }

step "nvidia-smi"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -2 | tee -a "$summary"
step "doctor (60 s)"
timeout 60 java "${jopts[@]}" -cp "$cp" dev.engram.engine.cuda.CudaDoctor > "$out/doctor.txt" 2>&1
echo "doctor exit $?: $(tail -1 "$out/doctor.txt")" | tee -a "$summary"
step "native tests (300 s)"
timeout 300 java "${jopts[@]}" -Xss8m -Xmx16g \
  -jar "$run"/junit/junit-platform-console-standalone-*.jar execute -cp "$cp" \
  --reports-dir "$out/native-tests" --details=summary --disable-banner \
  ${@:---select-package dev.engram.nativetests} > "$out/native-tests.txt" 2>&1
tests=$?
grep -E "tests (successful|failed|aborted)" "$out/native-tests.txt" | tee -a "$summary"
echo "native tests exit $tests" | tee -a "$summary"
step "ResNet-9 benchmark: Engram (fp32, TF32, fp32 non-deterministic, per-example norms) and PyTorch eager (fp32, TF32), batch ${BATCH:-512}"
# asynchronous launches here: each step still ends reading its loss back
bopts=(-Djava.io.tmpdir="$tmp" -Xmx16g "${vector[@]}")
bench() { timeout "$1" java "${bopts[@]}" "${@:2}" -cp "$cp" dev.engram.bench.StepBenchmark --device cuda:0 \
  --batch "${BATCH:-512}" --only "${WORKLOAD:-resnet9paper}" >> "$out/benchmark.txt" 2>&1 || echo "exit $? ($*)" >> "$out/benchmark.txt"; }
: > "$out/benchmark.txt"
bench 150 -Dengram.cuda.logAlgorithms=true
bench 150 -Dengram.cuda.tf32=true
# cuDNN's measured-fastest algorithms, as PyTorch's cudnn.benchmark picks them
bench 150 -Dengram.cuda.deterministic=false -Dengram.cuda.logAlgorithms=true
bench 150 -Dengram.cuda.deterministic=false -Dengram.cuda.tf32=true
WORKLOAD=resnet9paper_norms bench 200
grep -E "^RESULT|device memory" "$out/benchmark.txt" | tee -a "$summary"
if [ -f "$run/resnet9_torch.py" ]; then
  timeout 150 python3 "$run/resnet9_torch.py" --batch "${BATCH:-512}" > "$out/pytorch.txt" 2>&1 || echo "exit $?" >> "$out/pytorch.txt"
  grep -E "^RESULT|peak device" "$out/pytorch.txt" | tee -a "$summary"
fi
exit $tests
