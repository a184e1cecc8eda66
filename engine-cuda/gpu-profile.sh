#!/usr/bin/env bash
# Per-kernel GPU time of Engram's ResNet-9 training step, under Nsight Compute. Run ON the GPU machine in the
# repository root with .gpu-run carried (engine-cuda/gpu-stage.sh). One warm-up and one timed step
# (StepBenchmark --device cuda:0 --batch ${BATCH:-512} --only ${WORKLOAD:-resnet9paper}); every kernel's
# gpu__time_duration goes to $OUT/gpu-profile/kernels.csv, and kernels-by-name.txt sums them by kernel name.
# usage: OUT=$OUT bash .gpu-run/gpu-profile.sh
set -uo pipefail
run=${RUN:-.gpu-run}
out=${OUT:-${TMPDIR:-/tmp}/engram-out}/gpu-profile
mkdir -p "$out"
. "$(dirname "$0")/gpu-env.sh"
ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
[ -n "$ncu" ] || { echo "gpu-profile: no ncu on this machine" | tee "$out/kernels-by-name.txt"; exit 2; }
timeout 400 "$ncu" --clock-control none --metrics gpu__time_duration.sum --csv --log-file "$out/kernels.csv" \
  java -Djava.io.tmpdir="$tmp" -Xmx16g "${vector[@]}" -cp "$cp" dev.engram.bench.StepBenchmark --device cuda:0 \
  --batch "${BATCH:-512}" --only "${WORKLOAD:-resnet9paper}" --warmup 1 --iters 1 --warmup-sec 0 --min-sec 0 \
  > "$out/step.txt" 2>&1
echo "ncu exit $?" >> "$out/step.txt"
python3 - "$out/kernels.csv" > "$out/kernels-by-name.txt" <<'PY'
import csv, collections, sys
rows = [r for r in csv.reader(open(sys.argv[1], errors="replace")) if len(r) > 10]
head = rows[0]
name, unit, value = head.index("Kernel Name"), head.index("Metric Unit"), head.index("Metric Value")
scale = {"ns": 1e-3, "nsecond": 1e-3, "us": 1.0, "usecond": 1.0, "ms": 1e3, "msecond": 1e3, "s": 1e6, "second": 1e6}
total, count = collections.Counter(), collections.Counter()
for r in rows[1:]:
    v = float(r[value].replace(",", "")) * scale.get(r[unit], 1.0)
    total[r[name][:90]] += v
    count[r[name][:90]] += 1
s = sum(total.values())
print(f"{len(rows) - 1} kernel launches, {s / 1e3:.2f} ms of kernel time in all (warm-up and timed step together)")
for k, v in total.most_common(40):
    print(f"{v / 1e3:9.3f} ms {100 * v / s:5.1f}% {count[k]:6d}x  {k}")
PY
cat "$out/kernels-by-name.txt" | head -45
