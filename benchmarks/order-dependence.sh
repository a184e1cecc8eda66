#!/usr/bin/env bash
# Does a workload's step time depend on what ran before it in the same JVM? For ROUNDS rounds, in
# fresh JVMs one after another, runs Engram's StepBenchmark with --only mlp, then --ordered --only
# resnet9,mlp, then the same pair for cnn; prints per workload the median over rounds of each
# run's median step alone and after a ResNet-9, their ratio (after / alone), flags a ratio outside
# [0.9, 1.1], and rewrites the section between the order-dependence markers of BENCHMARKS.md.
#   benchmarks/order-dependence.sh                   # 3 rounds
#   ROUNDS=5 ENGRAM_ARGS="--min-sec 4" benchmarks/order-dependence.sh
# Environment: ROUNDS (3), THREADS (2), ENGRAM_ARGS (extra StepBenchmark options), ISA (unset or
# avx2, as in side-by-side.sh), WRITE_MD (1: update BENCHMARKS.md; 0: print only).
# Logs go to benchmarks/results/order-<UTC time>[-avx2]/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/benchmarks/lib.sh"
COMMAND="$(bench_command benchmarks/order-dependence.sh ISA ROUNDS THREADS ENGRAM_ARGS)"
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-2}"
ENGRAM_ARGS="${ENGRAM_ARGS:-}"
WRITE_MD="${WRITE_MD:-1}"
WORKLOADS="mlp cnn"
bench_isa
OUT="$ROOT/benchmarks/results/order-$(date -u +%Y%m%dT%H%M%SZ)$ISA_TAG"
mkdir -p "$OUT"
echo "logs in $OUT"

cd "$ROOT"
mvn -B -q -o -pl benchmarks -am package -DskipTests
bench_machine_start "$OUT/machine.txt" "$COMMAND"
engram() {  # engram LOG StepBenchmark-options...
  local log="$1"; shift
  java --add-modules jdk.incubator.vector -Xmx8g $ENGRAM_ISA_OPTS -cp "$ROOT/benchmarks/target/benchmarks.jar" \
    dev.engram.bench.StepBenchmark --threads "$THREADS" "$@" $ENGRAM_ARGS > "$log" 2>&1 || { tail -20 "$log"; exit 1; }
  grep '^RESULT' "$log"
}
for r in $(seq 1 "$ROUNDS"); do
  for w in $WORKLOADS; do
    echo "=== round $r/$ROUNDS: $w alone"
    engram "$OUT/alone.$w.$r.log" --only "$w"
    echo "=== round $r/$ROUNDS: $w after resnet9"
    engram "$OUT/after.$w.$r.log" --ordered --only "resnet9,$w"
  done
done
bench_machine_end "$OUT/machine.txt"

PYTHONPATH="$ROOT/benchmarks" python3 - "$OUT" "$ROUNDS" "$THREADS" "$WRITE_MD" "$ROOT/BENCHMARKS.md" $WORKLOADS <<'PY'
import sys
from benchlib import load_banner, machine_line, median_of_medians, read_machine, read_results, write_section
out, rounds, threads, write_md, md_path, workloads = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                                      sys.argv[4] == "1", sys.argv[5], sys.argv[6:])
machine = read_machine(out)
lines = [machine_line(machine, threads), "", "Command:", "", "```", machine["command"], "```", "",
         f"{rounds} rounds; per round and workload two fresh JVMs, the workload alone (`--only W`), then after "
         "a ResNet-9 b64 (`--ordered --only resnet9,W`). Per workload: median over the rounds of each run's median "
         "step; ratio = after / alone, flagged outside [0.9, 1.1].", "",
         "| workload | alone ms | after resnet9 ms | ratio | outside [0.9, 1.1] |", "|---|---|---|---|---|"]
flagged = []
for w in workloads:
    alone = read_results(f"{out}/alone.{w}.{r}.log" for r in range(1, rounds + 1))
    after = read_results(f"{out}/after.{w}.{r}.log" for r in range(1, rounds + 1))
    for name, runs in alone.items():
        a, b = median_of_medians(runs), median_of_medians(after[name])
        off = not 0.9 <= b / a <= 1.1
        if off: flagged.append(name)
        lines.append(f"| {name} | {a:.2f} | {b:.2f} | {b / a:.2f} | {'**yes**' if off else 'no'} |")
lines += ["", f"Outside [0.9, 1.1]: {', '.join(flagged)}." if flagged else "Every ratio within [0.9, 1.1]."]
banner = load_banner(machine, "other processes slow the runs unequally")
if banner:
    lines.insert(0, banner)
text = "\n".join(lines) + "\n"
print("\n" + text)
if write_md:
    write_section(md_path, "order-dependence", text)
PY
