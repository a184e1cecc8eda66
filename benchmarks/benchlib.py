"""Helpers shared by the Python summaries of benchmarks/side-by-side.sh and benchmarks/order-dependence.sh:
the machine file, RESULT lines, the load banner and the marked sections of BENCHMARKS.md."""
import os
import re
import statistics


def read_machine(out):
    """The "key value" lines of OUT/machine.txt (written by lib.sh) as a dict."""
    return dict(l.rstrip("\n").split(" ", 1) for l in open(f"{out}/machine.txt") if " " in l)


def read_results(paths):
    """name -> list of (median_ms, min_ms, gflop, max_ms or None), one per log, from RESULT lines
    (old logs have 4 fields and no max)."""
    per = {}
    for path in paths:
        for line in open(path):
            p = line.rstrip("\n").split("\t")
            if p[0] == "RESULT":
                mx = float(p[5]) if len(p) > 5 else None
                per.setdefault(p[1], []).append((float(p[2]), float(p[3]), float(p[4]), mx))
    return per


def median_of_medians(runs):
    """The median over runs of each run's median step."""
    return statistics.median(r[0] for r in runs)


def worst_max_over_median(runs):
    """The largest max/median of any run, or None when no run recorded its max."""
    ratios = [r[3] / r[0] for r in runs if r[3] is not None]
    return max(ratios) if ratios else None


def machine_line(machine, threads):
    """Date, CPU, Java, threads, ISA restriction and load at start and end, as one sentence."""
    isa = f" {machine['isa_note']};" if machine.get("isa_note") else ""
    return (f"Date {machine['date']}; CPU {machine['cpu']};{isa} {machine['java']}; {threads} threads; "
            f"load average at start {machine['load_start']}, at end {machine['load_end']}.")


def load_banner(machine, effect="other processes slow the two programs (and the peak tool) unequally"):
    """The "not valid" banner when the 1-minute load at the start exceeded half the CPUs, else None."""
    load1 = float(machine["load_start"].split()[0])
    if load1 <= 0.5 * os.cpu_count():
        return None
    return (f"**Not a valid comparison: the machine was loaded (1-minute load average {load1} on "
            f"{os.cpu_count()} CPUs) while this ran; {effect}. Rerun on a quiet machine.**\n")


def write_section(md_path, marker, text):
    """Replaces what lies between <!-- MARKER:begin ... --> and <!-- MARKER:end --> in md_path."""
    md = open(md_path).read()
    begin = re.search(r"<!-- " + re.escape(marker) + r":begin[^>]*-->\n?", md)
    end = f"<!-- {marker}:end -->"
    if not begin or end not in md[begin.end():]:
        raise SystemExit(f"{md_path} lacks the markers <!-- {marker}:begin ... --> ... {end}; section not written")
    rest = md[begin.end():].split(end, 1)[1]
    tmp = md_path + ".tmp"
    with open(tmp, "w") as f:
        f.write(md[:begin.start()] + begin.group(0).rstrip("\n") + "\n" + text + end + rest)
    os.replace(tmp, md_path)
    print(f"rewrote the {marker} section of {md_path}")
