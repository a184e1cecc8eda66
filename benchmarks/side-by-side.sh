#!/usr/bin/env bash
# Engram against DJL + libtorch (CPU), side by side in one sitting: measures the machine's FMA peak
# (benchmarks/peak/fma_peak.c, built with gcc), then runs the peer and Engram's StepBenchmark
# alternately for ROUNDS rounds (separate JVMs), prints one table (median over rounds of each
# round's median step, min over rounds of each round's min step, ratios) and rewrites the section
# between the side-by-side markers of BENCHMARKS.md.
#   benchmarks/side-by-side.sh                       # 3 rounds of sgemm,cnn,resnet9,resnet9paper,mlp,mlp_norms
#   ROUNDS=5 ONLY=sgemm,mlp benchmarks/side-by-side.sh
# Environment: ROUNDS (3), ONLY (workloads both programs run), ENGRAM_EXTRA (Engram-only workloads,
# default none), THREADS (2), ENGRAM_ARGS / PEER_ARGS (extra options, e.g. "--min-sec 6"),
# WRITE_MD (1: update BENCHMARKS.md; 0: print only). The peer's jars come from Maven Central into
# ~/.m2 on the first build (profile -Ppeer of the benchmarks module); at run time nothing is
# downloaded (-Dai.djl.offline=true; libtorch is unpacked from its jar into benchmarks/target/djl.ai).
# Logs go to benchmarks/results/<UTC time>/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
COMMAND="benchmarks/side-by-side.sh"
for v in ROUNDS ONLY ENGRAM_EXTRA THREADS ENGRAM_ARGS PEER_ARGS; do
  if [[ -n "${!v:-}" ]]; then COMMAND="$v=\"${!v}\" $COMMAND"; fi
done
ROUNDS="${ROUNDS:-3}"
ONLY="${ONLY:-sgemm,cnn,resnet9,resnet9paper,mlp,mlp_norms}"
ENGRAM_EXTRA="${ENGRAM_EXTRA:-}"
THREADS="${THREADS:-2}"
ENGRAM_ARGS="${ENGRAM_ARGS:-}"
PEER_ARGS="${PEER_ARGS:-}"
WRITE_MD="${WRITE_MD:-1}"
OUT="$ROOT/benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
echo "logs in $OUT"

cd "$ROOT"
mvn -B -q -o -pl benchmarks -am -Ppeer package -DskipTests 2>/dev/null \
  || mvn -B -q -pl benchmarks -am -Ppeer package -DskipTests   # first time: fetches the DJL jars
PEAK_DIR="$ROOT/benchmarks/target/peak"
mkdir -p "$PEAK_DIR"
gcc -O2 -mavx2 -mfma -pthread benchmarks/peak/fma_peak.c -o "$PEAK_DIR/fma_peak256"
ISA="AVX2+FMA"
if grep -qw avx512f /proc/cpuinfo; then
  gcc -O2 -mavx512f -DWIDTH=512 -pthread benchmarks/peak/fma_peak.c -o "$PEAK_DIR/fma_peak512"
  ISA="AVX-512F (+AVX2, FMA)"
fi
{
  echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs, ISA $ISA"
  echo "java $(java -version 2>&1 | head -1)"
  echo "load_start $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "command $COMMAND"
} > "$OUT/machine.txt"
{ "$PEAK_DIR/fma_peak256" 1 "$THREADS"; [[ -x "$PEAK_DIR/fma_peak512" ]] && "$PEAK_DIR/fma_peak512" 1 "$THREADS"; } \
  | tee "$OUT/peak.log"

PEER_CP="$ROOT/benchmarks/target/peer-classes:$ROOT/benchmarks/target/classes:$(cat "$ROOT/benchmarks/target/peer-classpath.txt")"
for r in $(seq 1 "$ROUNDS"); do
  echo "=== round $r/$ROUNDS: libtorch"
  PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cpu OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS" \
  DJL_CACHE_DIR="$ROOT/benchmarks/target/djl.ai" \
    java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS" -Dai.djl.pytorch.num_interop_threads=1 \
      -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$PEER_CP" dev.engram.bench.peer.DjlStepBenchmark \
      --only "$ONLY" $PEER_ARGS > "$OUT/peer.$r.log" 2>&1 || { tail -20 "$OUT/peer.$r.log"; exit 1; }
  grep '^RESULT' "$OUT/peer.$r.log"
  echo "=== round $r/$ROUNDS: Engram"
  java --add-modules jdk.incubator.vector -Xmx8g -cp "$ROOT/benchmarks/target/benchmarks.jar" \
    dev.engram.bench.StepBenchmark --threads "$THREADS" --only "$ONLY${ENGRAM_EXTRA:+,$ENGRAM_EXTRA}" $ENGRAM_ARGS \
    > "$OUT/engram.$r.log" 2>&1 || { tail -20 "$OUT/engram.$r.log"; exit 1; }
  grep '^RESULT' "$OUT/engram.$r.log"
done
echo "load_end $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"

python3 - "$OUT" "$ROUNDS" "$THREADS" "$WRITE_MD" "$ROOT/BENCHMARKS.md" <<'PY'
import os, re, statistics, sys
out, rounds, threads, write_md, md_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5]
machine = dict(l.rstrip("\n").split(" ", 1) for l in open(f"{out}/machine.txt"))
def results(prog):
    per = {}  # name -> list of (median, min, gflop), one per round
    for r in range(1, rounds + 1):
        for line in open(f"{out}/{prog}.{r}.log"):
            p = line.rstrip("\n").split("\t")
            if p[0] == "RESULT":
                per.setdefault(p[1], []).append((float(p[2]), float(p[3]), float(p[4])))
    return per
eng, peer = results("engram"), results("peer")
peak = {}
for line in open(f"{out}/peak.log"):
    m = re.match(r"PEAK(\d+)\t(\d+)\t([\d.]+)\t([\d.]+)", line)
    if m: peak[(int(m.group(1)), int(m.group(2)))] = float(m.group(3))
def agg(runs):
    return statistics.median(x[0] for x in runs), min(x[1] for x in runs), runs[0][2]
lines = [f"Date {machine['date']}; CPU {machine['cpu']}; {machine['java']}; {threads} threads; "
         f"load average at start {machine['load_start']}, at end {machine['load_end']}.", "",
         "Command:", "", "```", machine["command"], "```", "",
         f"{rounds} interleaved rounds (libtorch, then Engram, in separate JVMs). Per workload: median over the "
         "rounds of each round's median step, and the smallest step of any round. Ratio = libtorch time / Engram "
         "time (above 1: Engram is faster).", "",
         "| workload | Engram median / min ms | libtorch median / min ms | ratio (median) | ratio (min) |",
         "|---|---|---|---|---|"]
for name, runs in eng.items():
    em, en, gf = agg(runs)
    if name in peer:
        pm, pn, _ = agg(peer[name])
        lines.append(f"| {name} | {em:.2f} / {en:.2f} | {pm:.2f} / {pn:.2f} | {pm / em:.2f} | {pn / en:.2f} |")
    else:
        lines.append(f"| {name} | {em:.2f} / {en:.2f} | — | — | — |")
lines.append("")
peaks = ", ".join(f"{bits}-bit {t} thread{'s' if t > 1 else ''}: {v:.1f}" for (bits, t), v in sorted(peak.items()))
lines.append(f"FMA peak (benchmarks/peak/fma_peak.c, best of 7 trials, GFLOP/s): {peaks}.")
best = max((v for (bits, t), v in peak.items() if t == threads), default=None)
if best and "sgemm_1024" in eng:
    em, en, gf = agg(eng["sgemm_1024"])
    s = (f"SGEMM 1024³: Engram {gf / (em / 1e3):.1f} GFLOP/s median, {gf / (en / 1e3):.1f} best = "
         f"{100 * gf / (em / 1e3) / best:.0f}% / {100 * gf / (en / 1e3) / best:.0f}% of the widest-ISA {threads}-thread peak {best:.1f}")
    if "sgemm_1024" in peer:
        pm, pn, _ = agg(peer["sgemm_1024"])
        s += f"; libtorch {gf / (pm / 1e3):.1f} GFLOP/s median = {100 * gf / (pm / 1e3) / best:.0f}%"
    lines.append(s + ".")
load1 = float(machine["load_start"].split()[0])
if load1 > 0.5 * os.cpu_count():
    lines.insert(0, f"**Not a valid comparison: the machine was loaded (1-minute load average {load1} on "
                    f"{os.cpu_count()} CPUs) while this ran; other processes slow the two programs (and the "
                    "peak tool) unequally. Rerun on a quiet machine.**\n")
text = "\n".join(lines) + "\n"
print("\n" + text)
if write_md:
    begin, end = "<!-- side-by-side:begin (written by benchmarks/side-by-side.sh) -->", "<!-- side-by-side:end -->"
    md = open(md_path).read()
    if begin not in md or end not in md:
        sys.exit(f"{md_path} lacks the markers {begin} ... {end}; table not written")
    head, rest = md.split(begin, 1)
    tmp = md_path + ".tmp"
    with open(tmp, "w") as f:
        f.write(head + begin + "\n" + text + end + rest.split(end, 1)[1])
    os.replace(tmp, md_path)
    print(f"rewrote the side-by-side section of {md_path}")
PY
