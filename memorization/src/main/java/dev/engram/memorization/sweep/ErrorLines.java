package dev.engram.memorization.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The lines of a failed task's output that say why it failed, so that a failure line and {@code engram sweep status}
 * show them rather than whatever the output ends with (after a usage error, the end of the command's usage help):
 * <ul>
 *   <li>the errors of Engram's commands: {@code engram flip: error: …};</li>
 *   <li>a usage error's message as picocli prints it before the usage help ({@code Invalid value for option
 *       '--noisy': 'abc' is not an int}, {@code Unknown option: '--nosy'} with its suggestions …): the lines just
 *       before a line {@code Usage: …};</li>
 *   <li>Slurm's: {@code slurmstepd: error: *** JOB … CANCELLED … DUE TO TIME LIMIT ***}.</li>
 * </ul>
 */
final class ErrorLines {
    /** {@code engram CMD: error: …}, {@code slurmstepd: error: …}. */
    private static final Pattern ERROR = Pattern.compile("^(engram( [\\w.-]+)*|slurmstepd(-[\\w.-]+)?): error\\b");
    /** The first line of picocli's usage help. */
    private static final String USAGE = "Usage: ";

    private ErrorLines() { }

    /** The error lines of {@code lines}, in order (empty when none is recognised). */
    static List<String> of(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (ERROR.matcher(l).find()) {
                out.add(l);
            } else if (l.startsWith(USAGE)) { // picocli's message of a usage error is right before the usage help
                int from = i;
                while (from > 0 && message(lines.get(from - 1))) from--;
                for (String m : lines.subList(from, i)) if (!out.contains(m)) out.add(m);
            }
        }
        return out;
    }

    /** The error lines of the text {@code s}. */
    static List<String> of(String s) {
        return of(s.lines().toList());
    }

    /** Whether {@code l} can belong to a usage error's message: not blank, no log header, command line or error. */
    private static boolean message(String l) {
        return !l.isBlank() && !l.startsWith("== ") && !l.startsWith("$ ") && !ERROR.matcher(l).find();
    }

    /** The lines of a task log written by the last task ({@code == … task …} header onwards; all without one). */
    static List<String> lastTask(List<String> log) {
        for (int i = log.size() - 1; i >= 0; i--) {
            if (log.get(i).startsWith("== ") && log.get(i).contains(" task ")) return log.subList(i, log.size());
        }
        return log;
    }
}
