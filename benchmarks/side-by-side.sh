#!/usr/bin/env bash
# Runs, in one sitting, the machine's FMA peak, the DJL + libtorch peer and Engram's own
# harness on the same workloads, and prints one table of ratios.
#   benchmarks/side-by-side.sh                 # everything (about 10 minutes on 2 cores)
#   ONLY=sgemm,mlp benchmarks/side-by-side.sh  # a subset (peer and Engram names as in StepBenchmark)
# Needs PEERS=DIR naming an external peer kit (peak/run.sh and djl-bench/run.sh; not part of this
# repository). Logs go to benchmarks/results/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PEERS="${PEERS:?set PEERS to the folder holding the peer tools peak/run.sh and djl-bench/run.sh}"
ONLY="${ONLY:-sgemm,cnn,resnet9,mlp}"
ENGRAM_EXTRA="${ENGRAM_EXTRA:-mlp_norms,mlp_pergrad,resnet9paper,resnet9paper_norms}"
THREADS="${THREADS:-2}"
ENGRAM_ARGS="${ENGRAM_ARGS:-}"   # extra StepBenchmark options, e.g. --min-sec 6
OUT="$ROOT/benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
echo "results in $OUT"
{ date -u; lscpu | grep -E 'Model name|^CPU\(s\)'; uptime; } | tee "$OUT/machine.txt"

(cd "$ROOT" && mvn -B -q -o -pl benchmarks -am package -DskipTests 2>/dev/null || mvn -B -q -pl benchmarks -am package -DskipTests)

if [[ -x "$PEERS/peak/run.sh" ]]; then bash "$PEERS/peak/run.sh" 2>&1 | tee "$OUT/peak.log"; fi
if [[ -x "$PEERS/djl-bench/run.sh" ]]; then
  REPEATS=1 ONLY="$ONLY" THREADS="$THREADS" bash "$PEERS/djl-bench/run.sh" 2>&1 | tee "$OUT/djl.log"
fi
java --add-modules jdk.incubator.vector -Xmx8g -cp "$ROOT/benchmarks/target/benchmarks.jar" \
  dev.engram.bench.StepBenchmark --threads "$THREADS" --only "$ONLY,$ENGRAM_EXTRA" ${ENGRAM_ARGS:-} 2>&1 | tee "$OUT/engram.log"

PEERS="$PEERS" THREADS="$THREADS" python3 - "$OUT" <<'PY'
import re, sys, os
out = sys.argv[1]
def results(path):
    r = {}
    if os.path.exists(path):
        for line in open(path):
            p = line.rstrip("\n").split("\t")
            if p[0] == "RESULT" and len(p) >= 4: r[p[1]] = (float(p[2]), float(p[3]), float(p[4]) if len(p) > 4 else float("nan"))
    return r
djl_tsv = None
if os.path.exists(f"{out}/djl.log"):
    for line in open(f"{out}/djl.log"):
        m = re.match(r"raw: (\S+-clean\.tsv)", line.strip())
        if m: djl_tsv = os.path.join(os.environ.get("PEERS", ""), "djl-bench", m.group(1))
peer, eng = results(djl_tsv) if djl_tsv else {}, results(f"{out}/engram.log")
peak = {}
if os.path.exists(f"{out}/peak.log"):
    for line in open(f"{out}/peak.log"):
        m = re.match(r"PEAK(\d+)\t(\d+)\t([\d.]+)\t([\d.]+)", line)
        if m: peak[(int(m.group(1)), int(m.group(2)))] = float(m.group(3))
print()
print(f"{'workload':30s} {'Engram med ms':>14s} {'min ms':>9s} {'libtorch med':>13s} {'min ms':>9s} {'speed ratio (med)':>18s}")
for name, (med, mn, gf) in eng.items():
    p = peer.get(name)
    ratio = f"{p[0] / med:.3f}x" if p else "-"
    print(f"{name:30s} {med:14.2f} {mn:9.2f} {(p[0] if p else float('nan')):13.2f} {(p[1] if p else float('nan')):9.2f} {ratio:>18s}")
threads = int(os.environ.get('THREADS', '2'))
best = max((v for (isa, t), v in peak.items() if t == threads), default=None)
if best and "sgemm_1024" in eng:
    med, mn, gf = eng["sgemm_1024"]
    print(f"\nSGEMM 1024^3 Engram: {gf / (med / 1e3):.1f} GFLOP/s median, {gf / (mn / 1e3):.1f} best = {100 * gf / (med / 1e3) / best:.1f}% / {100 * gf / (mn / 1e3) / best:.1f}% of the widest-ISA {os.environ.get('THREADS', '2')}-thread peak {best:.1f}")
    if "sgemm_1024" in peer:
        pm, pn, pg = peer["sgemm_1024"]
        print(f"SGEMM 1024^3 libtorch: {pg / (pm / 1e3):.1f} GFLOP/s median = {100 * pg / (pm / 1e3) / best:.1f}% of peak")
PY
