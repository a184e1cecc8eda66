package dev.engram.memorization.run;

import java.time.Instant;
import java.util.List;

/**
 * Where and how a run was produced; stored as {@code provenance.json} so that a result can be traced back to the
 * code, the machine and the command.
 *
 * @param gitCommit     commit of the Engram checkout ({@code git rev-parse HEAD}), or {@code "unknown"}
 * @param engramVersion Engram version from the build ({@code "unknown"} when run from unpackaged classes)
 * @param javaVersion   {@code java.version}
 * @param javaVendor    {@code java.vendor}
 * @param vectorApi     whether {@code jdk.incubator.vector} was active (fast CPU kernels)
 * @param os            operating system name, version and architecture
 * @param cpuModel      CPU model name from {@code /proc/cpuinfo}, or {@code "unknown"}
 * @param cores         logical processors visible to the JVM
 * @param hostname      host name, or {@code "unknown"}
 * @param startTime     ISO-8601 instant the run started
 * @param endTime       ISO-8601 instant the run finished, null while running
 * @param seeds         seeds used by the run
 * @param commandLine   the command line (CLI arguments) that produced the run
 */
public record Provenance(String gitCommit, String engramVersion, String javaVersion, String javaVendor,
                         boolean vectorApi, String os, String cpuModel, int cores, String hostname,
                         String startTime, String endTime, List<Long> seeds, List<String> commandLine) {

    /** Copies the lists. */
    public Provenance {
        seeds = List.copyOf(seeds);
        commandLine = List.copyOf(commandLine);
    }

    /** Describes the current process, started now, with the given seeds and command line. */
    public static Provenance capture(List<String> commandLine, List<Long> seeds) {
        return new Provenance(SystemInfo.gitCommit(), SystemInfo.engramVersion(), System.getProperty("java.version"),
                System.getProperty("java.vendor"), SystemInfo.vectorApiActive(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"),
                SystemInfo.cpuModel(), Runtime.getRuntime().availableProcessors(), SystemInfo.hostname(), Instant.now().toString(), null,
                seeds, commandLine);
    }

    /** Copy with the end time set to now. */
    public Provenance finishedNow() {
        return new Provenance(gitCommit, engramVersion, javaVersion, javaVendor, vectorApi, os, cpuModel, cores,
                hostname, startTime, Instant.now().toString(), seeds, commandLine);
    }

}
