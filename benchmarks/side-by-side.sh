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
# WRITE_MD (1: update BENCHMARKS.md; 0: print only), INTERLEAVE (workload: a pair of JVMs per workload
# group, libtorch and Engram back to back; suite: each program runs every workload in one JVM per round),
# ISA (unset: each program's widest vectors;
# avx2: both restricted to AVX2 + FMA, see benchmarks/lib.sh, and the table goes to the separate
# side-by-side-avx2 section of BENCHMARKS.md). The peer's jars come from Maven Central into
# ~/.m2 on the first build (profile -Ppeer of the benchmarks module); at run time nothing is
# downloaded (-Dai.djl.offline=true; libtorch is unpacked from its jar into benchmarks/target/djl.ai).
# Logs go to benchmarks/results/<UTC time>[-avx2]/. The table shows, per program, the largest
# max/median step of any round and lists the Engram workloads above 1.25.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/benchmarks/lib.sh"
COMMAND="$(bench_command benchmarks/side-by-side.sh ISA ROUNDS ONLY ENGRAM_EXTRA THREADS ENGRAM_ARGS PEER_ARGS INTERLEAVE)"
ROUNDS="${ROUNDS:-3}"
ONLY="${ONLY:-sgemm,cnn,resnet9,resnet9paper,mlp,mlp_norms}"
ENGRAM_EXTRA="${ENGRAM_EXTRA:-}"
THREADS="${THREADS:-2}"
ENGRAM_ARGS="${ENGRAM_ARGS:-}"
PEER_ARGS="${PEER_ARGS:-}"
WRITE_MD="${WRITE_MD:-1}"
INTERLEAVE="${INTERLEAVE:-workload}"
[[ "$INTERLEAVE" == workload || "$INTERLEAVE" == suite ]] || { echo "INTERLEAVE must be workload or suite, got '$INTERLEAVE'" >&2; exit 2; }
bench_isa
OUT="$ROOT/benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)$ISA_TAG"
mkdir -p "$OUT"
echo "logs in $OUT"

cd "$ROOT"
mvn -B -q -o -pl benchmarks -am -Ppeer package -DskipTests 2>/dev/null \
  || mvn -B -q -pl benchmarks -am -Ppeer package -DskipTests   # first time: fetches the DJL jars
PEAK_DIR="$ROOT/benchmarks/target/peak"
mkdir -p "$PEAK_DIR"
gcc -O2 -mavx2 -mfma -pthread benchmarks/peak/fma_peak.c -o "$PEAK_DIR/fma_peak256"
rm -f "$PEAK_DIR/fma_peak512"
if grep -qw avx512f /proc/cpuinfo && [[ -z "$ISA_TAG" ]]; then   # in AVX2 mode the 256-bit peak is the reference
  gcc -O2 -mavx512f -DWIDTH=512 -pthread benchmarks/peak/fma_peak.c -o "$PEAK_DIR/fma_peak512"
fi
bench_wait_quiet   # the builds above load the machine by themselves
bench_machine_start "$OUT/machine.txt" "$COMMAND"
{ "$PEAK_DIR/fma_peak256" 1 "$THREADS"; if [[ -x "$PEAK_DIR/fma_peak512" ]]; then "$PEAK_DIR/fma_peak512" 1 "$THREADS"; fi; } \
  | tee "$OUT/peak.log"

PEER_CP="$ROOT/benchmarks/target/peer-classes:$ROOT/benchmarks/target/classes:$(cat "$ROOT/benchmarks/target/peer-classpath.txt")"
run_peer() {  # main class, then its arguments; the peer's environment of every round
  env $PEER_ISA_ENV PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cpu OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS" \
  DJL_CACHE_DIR="$ROOT/benchmarks/target/djl.ai" \
    java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS" -Dai.djl.pytorch.num_interop_threads=1 \
      -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$PEER_CP" "$@"
}
echo "=== the peer's convolutions against a direct loop"
run_peer dev.engram.bench.peer.PeerConvCheck > "$OUT/peercheck.log" 2>&1 || { tail -20 "$OUT/peercheck.log"; exit 1; }
grep -v WARN "$OUT/peercheck.log"
keep_round_log() {  # engram or peer: appends that program's last log to the round's and prints its RESULT lines
  cat "$OUT/$1.tmp.log" >> "$OUT/$1.$r.log"
  grep '^RESULT' "$OUT/$1.tmp.log" || true
}
run_engram() {  # workloads; appends to the round's Engram log
  java --add-modules jdk.incubator.vector -Xmx8g $ENGRAM_ISA_OPTS -cp "$ROOT/benchmarks/target/benchmarks.jar" \
    dev.engram.bench.StepBenchmark --threads "$THREADS" --only "$1" $ENGRAM_ARGS < /dev/null > "$OUT/engram.tmp.log" 2>&1 \
    || { tail -20 "$OUT/engram.tmp.log"; exit 1; }
  if [[ -n "$ISA_TAG" ]] && ! grep -q 'kernel=vector256' "$OUT/engram.tmp.log"; then
    echo "Engram did not run its 256-bit SGEMM kernel in AVX2 mode:"; head -3 "$OUT/engram.tmp.log"; exit 1
  fi
  keep_round_log engram
}
run_peer_steps() {  # workloads; appends to the round's libtorch log
  run_peer dev.engram.bench.peer.DjlStepBenchmark --only "$1" $PEER_ARGS < /dev/null > "$OUT/peer.tmp.log" 2>&1 \
    || { tail -20 "$OUT/peer.tmp.log"; exit 1; }
  keep_round_log peer
}
# One pair of JVMs per workload group (INTERLEAVE=workload, the default): libtorch and Engram run each group
# seconds apart, so a stretch in which the host is slow falls on both; the order within a pair alternates by
# round. INTERLEAVE=suite runs every workload in one JVM per program and round, as before 2026-12-05.
GROUPS_FILE="$OUT/groups.txt"  # a line per group: libtorch's workloads|Engram's
INTERLEAVE="$INTERLEAVE" python3 - "$ONLY" "$ENGRAM_EXTRA" > "$GROUPS_FILE" <<'PY'
import os, sys
only = [w for w in sys.argv[1].split(",") if w]
extra = [w for w in sys.argv[2].split(",") if w]
if os.environ["INTERLEAVE"] == "suite":
    print(",".join(only) + "|" + ",".join(only + extra))
    sys.exit(0)
# Engram-only workloads run beside the one whose figures they are read with (NORMS_OVERHEAD and PERGRAD_BOUND
# need mlp, mlp_norms, mlp_pergrad and copybw in one JVM)
home = {"mlp_norms": "mlp", "mlp_pergrad": "mlp", "copybw": "mlp", "sgemm_kernel": "sgemm",
        "resnet9paper_norms": "resnet9paper"}
groups = []  # (peer workloads, Engram workloads)
def group_of(w):
    base = home.get(w, w)
    for g in groups:
        if base in g[1] or w in g[1]:
            return g
    return None
for w in only:
    g = group_of(w)
    if g is None:
        groups.append(([w], [w]))
    else:
        g[0].append(w); g[1].append(w)
for w in extra:
    g = group_of(w)
    if g is None:
        groups.append(([], [w]))
    else:
        g[1].append(w)
for peer, eng in groups:
    print(",".join(peer) + "|" + ",".join(eng))
PY
for r in $(seq 1 "$ROUNDS"); do
  : > "$OUT/peer.$r.log"
  : > "$OUT/engram.$r.log"
  if (( r % 2 == 1 )); then order="peer engram"; else order="engram peer"; fi
  while IFS='|' read -r peer_only engram_only; do
    for program in $order; do
      if [[ $program == engram ]]; then
        echo "=== round $r/$ROUNDS: Engram $engram_only"; run_engram "$engram_only"
      elif [[ -n "$peer_only" ]]; then
        echo "=== round $r/$ROUNDS: libtorch $peer_only"; run_peer_steps "$peer_only"
      fi
    done
  done < "$GROUPS_FILE"
done
rm -f "$OUT/engram.tmp.log" "$OUT/peer.tmp.log"
bench_machine_end "$OUT/machine.txt"

PYTHONPATH="$ROOT/benchmarks" python3 - "$OUT" "$ROUNDS" "$THREADS" "$WRITE_MD" "$ROOT/BENCHMARKS.md" "side-by-side$ISA_TAG" "$INTERLEAVE" <<'PY'
import re, statistics, sys
from benchlib import (load_banner, machine_line, median_of_medians, read_machine, read_results,
                      worst_max_over_median, write_section)
out, rounds, threads, write_md, md_path, marker, interleave = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                                               sys.argv[4] == "1", sys.argv[5], sys.argv[6], sys.argv[7])
machine = read_machine(out)
avx2 = bool(machine.get("isa_note"))
eng = read_results(f"{out}/engram.{r}.log" for r in range(1, rounds + 1))
peer = read_results(f"{out}/peer.{r}.log" for r in range(1, rounds + 1))
peak = {}
for line in open(f"{out}/peak.log"):
    m = re.match(r"PEAK(\d+)\t(\d+)\t([\d.]+)\t([\d.]+)", line)
    if m: peak[(int(m.group(1)), int(m.group(2)))] = float(m.group(3))
def agg(runs):
    return median_of_medians(runs), min(x[1] for x in runs), runs[0][2]
def steadiness(runs):
    v = worst_max_over_median(runs)
    return "—" if v is None else f"{v:.2f}"
lines = [machine_line(machine, threads), "",
         "Command:", "", "```", machine["command"], "```", "",
         (f"{rounds} interleaved rounds, each workload group in a fresh JVM per program, libtorch and Engram "
          "back to back (libtorch first in odd rounds, Engram first in even ones)." if interleave == "workload" else
          f"{rounds} interleaved rounds, each program running every workload in one JVM (libtorch first in odd "
          "rounds, Engram first in even ones).")
         + " Per workload: median over the rounds of each round's median step, and the smallest step of any round. "
         "Ratio = libtorch time / Engram time (above 1: Engram is faster): of those medians, of those minima, and "
         "the median over the rounds of each round's ratio (paired: the two programs measured in the same stretch). "
         "max/median: the largest over the rounds of a round's slowest step divided by its median step.", "",
         "| workload | Engram median / min ms | libtorch median / min ms | ratio (median) | ratio (min) "
         "| ratio (paired, median of rounds) | Engram max/median | libtorch max/median |",
         "|---|---|---|---|---|---|---|---|"]
for name, runs in eng.items():
    em, en, gf = agg(runs)
    if name in peer:
        pm, pn, _ = agg(peer[name])
        paired = statistics.median(p[0] / e[0] for p, e in zip(peer[name], runs))
        lines.append(f"| {name} | {em:.2f} / {en:.2f} | {pm:.2f} / {pn:.2f} | {pm / em:.2f} | {pn / en:.2f} "
                     f"| {paired:.2f} | {steadiness(runs)} | {steadiness(peer[name])} |")
    else:
        lines.append(f"| {name} | {em:.2f} / {en:.2f} | — | — | — | — | {steadiness(runs)} | — |")
lines.append("")
# copybw's rows measure the machine's memory, not an Engram step
unsteady = {n: worst_max_over_median(r) for n, r in eng.items() if n not in ("copy_256MB", "fill_256MB")}
if all(v is None for v in unsteady.values()):
    lines.append("max/median not recorded (logs without the max_ms field).")
elif any(v is not None and v > 1.25 for v in unsteady.values()):
    lines.append("Engram workloads with max/median > 1.25: "
                 + ", ".join(f"{n} {v:.2f}" for n, v in unsteady.items() if v is not None and v > 1.25) + ".")
else:
    lines.append("max/median <= 1.25 for every Engram workload.")
lines.append("")
peaks = ", ".join(f"{bits}-bit {t} thread{'s' if t > 1 else ''}: {v:.1f}" for (bits, t), v in sorted(peak.items()))
lines.append(f"FMA peak (benchmarks/peak/fma_peak.c, best of 7 trials, GFLOP/s): {peaks}.")
best = max((v for (bits, t), v in peak.items() if t == threads and (bits == 256 or not avx2)), default=None)
if best and "sgemm_1024" in eng:
    em, en, gf = agg(eng["sgemm_1024"])
    which = "256-bit (AVX2)" if avx2 else "widest-ISA"
    s = (f"SGEMM 1024³: Engram {gf / (em / 1e3):.1f} GFLOP/s median, {gf / (en / 1e3):.1f} best = "
         f"{100 * gf / (em / 1e3) / best:.0f}% / {100 * gf / (en / 1e3) / best:.0f}% of the {which} {threads}-thread peak {best:.1f}")
    if "sgemm_1024" in peer:
        pm, pn, _ = agg(peer["sgemm_1024"])
        s += f"; libtorch {gf / (pm / 1e3):.1f} GFLOP/s median = {100 * gf / (pm / 1e3) / best:.0f}%"
    lines.append(s + ".")
    kernel = f"sgemm_kernel_{threads}t"
    if kernel in eng:
        km, kn, kgf = agg(eng[kernel])
        lines.append(f"The SGEMM micro-kernel alone, operands in cache, on {threads} threads at once ({kernel}): "
                     f"{kgf / (km / 1e3):.1f} GFLOP/s median, {kgf / (kn / 1e3):.1f} best = "
                     f"{100 * kgf / (km / 1e3) / best:.0f}% / {100 * kgf / (kn / 1e3) / best:.0f}% of that peak; "
                     f"SGEMM 1024³ reaches {100 * (gf / (em / 1e3)) / (kgf / (km / 1e3)):.0f}% of it (medians).")
for line in open(f"{out}/peercheck.log"):
    f = line.rstrip("\n").split("\t")
    if f[0] == "PEERCHECK":
        if f[5] == "ok":
            lines.append(f"Peer check (PeerConvCheck in benchmarks/src/peer): libtorch's conv2d forward agrees with a "
                         f"direct double loop on {f[4]} shapes, largest difference {f[2]} (values up to {f[3]}).")
        else:
            wrong = [l.strip() for l in open(f"{out}/peercheck.log") if l.startswith("conv2d") and
                     float(l.split("|difference| ")[1].split(",")[0]) > 1e-4 * max(1.0, float(f[3]))]
            lines.append(f"**Peer check failed** (PeerConvCheck in benchmarks/src/peer): in this environment "
                         f"libtorch's conv2d forward differs from a direct double loop by up to {f[2]} (values up to "
                         f"{f[3]}) on " + "; ".join(wrong) + f". The other {int(f[4]) - len(wrong)} of the {f[4]} shapes agree; the peer's "
                         "convolution timings are of the code that computes these results.")
banner = load_banner(machine)
if banner:
    lines.insert(0, banner)
text = "\n".join(lines) + "\n"
print("\n" + text)
if write_md:
    write_section(md_path, marker, text)
PY
