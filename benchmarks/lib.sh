# Shell helpers shared by benchmarks/side-by-side.sh and benchmarks/order-dependence.sh (sourced, not run):
# the command line as typed, the ISA mode, the machine description and the load at start and end.

# bench_command SCRIPT VAR...: SCRIPT prefixed by every VAR=value that is set, as a reader would retype it.
bench_command() {
  local cmd="$1" v; shift
  for v in "$@"; do
    if [[ -n "${!v:-}" ]]; then cmd="$v=\"${!v}\" $cmd"; fi
  done
  echo "$cmd"
}

# bench_isa: reads ISA (unset: the CPU's widest vectors; avx2: AVX2 + FMA only) and sets
#   ENGRAM_ISA_OPTS  JVM options for Engram (the 256-bit SGEMM kernel; the JIT limited to AVX2 too),
#   PEER_ISA_ENV     environment for libtorch (ATen dispatch, MKL, oneDNN limited to AVX2),
#   ISA_NOTE         the sentence the results state (empty when unrestricted),
#   ISA_TAG          "" or "-avx2": suffix of the log folder and of the BENCHMARKS.md markers.
bench_isa() {
  case "${ISA:-}" in
    "")
      ENGRAM_ISA_OPTS=""; PEER_ISA_ENV=""; ISA_NOTE=""; ISA_TAG="" ;;
    avx2)
      ENGRAM_ISA_OPTS="-Dengram.sgemm.vectorBits=256 -XX:UseAVX=2"
      PEER_ISA_ENV="ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2 DNNL_MAX_CPU_ISA=AVX2"
      ISA_NOTE="ISA restricted to AVX2 (+FMA) in both programs"
      ISA_TAG="-avx2" ;;
    *)
      echo "ISA must be unset or avx2, got '$ISA'" >&2; exit 2 ;;
  esac
}

# bench_cpu_isa: the widest vector ISA the CPU reports.
bench_cpu_isa() {
  if grep -qw avx512f /proc/cpuinfo; then echo "AVX-512F (+AVX2, FMA)"; else echo "AVX2+FMA"; fi
}

# bench_wait_quiet [SECONDS]: waits, up to SECONDS (180), until the 1-minute load average is below 0.8, so that a
# build just before does not count as load on the machine; says how long it waited.
bench_wait_quiet() {
  local limit="${1:-180}" waited=0
  while awk '{exit !($1 >= 0.8)}' /proc/loadavg && (( waited < limit )); do sleep 5; waited=$((waited + 5)); done
  echo "waited ${waited} s for the load to settle: load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_machine_start FILE COMMAND: writes date, cpu, java, load at start, command (and isa_note in a
# restricted ISA mode) to FILE, one "key value" line each, as benchmarks/benchlib.py reads them.
bench_machine_start() {
  {
    echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpu $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs, ISA $(bench_cpu_isa)"
    echo "java $(java -version 2>&1 | head -1)"
    echo "load_start $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "command $2"
    if [[ -n "${ISA_NOTE:-}" ]]; then echo "isa_note $ISA_NOTE"; fi
  } > "$1"
}

# bench_machine_end FILE: appends the load at the end.
bench_machine_end() {
  echo "load_end $(cut -d' ' -f1-3 /proc/loadavg)" >> "$1"
}
