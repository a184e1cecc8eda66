package dev.engram.memorization.analysis;

import dev.engram.memorization.data.RunData;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.RunFolder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The contract every analysis of a trained run implements: typed options in, a typed result out, progress reported
 * while it runs, and its files (results.json, CSV tables, PNG charts) written into its folder
 * {@code analyses/<kind>/}. Run an analysis through {@link Analyses#execute}, which checks the options before any
 * work, refuses to replace earlier results unless asked to, and writes the files.
 *
 * @param <O> the options record
 * @param <R> the result
 */
public interface Analysis<O, R extends Analysis.Result> {
    /** A result: what the CLI, the demo and the report summarise in a few rows ({@link #summaryRows()}). */
    interface Result {
        /** Headline rows, label and formatted value, in display order. */
        List<SummaryRow> summaryRows();
    }

    /** The analysis' folder and title. */
    AnalysisKind kind();

    /**
     * Checks {@code options} against the run before anything is computed or written (a missing checkpoint, an epoch
     * the run does not have, a run without noisy examples...).
     *
     * @throws IllegalArgumentException or {@link dev.engram.memorization.run.RunFolderException} naming the problem
     */
    default void check(RunData data, O options) throws IOException { }

    /** Computes the result; reports progress through {@code progress}. Writes nothing. */
    R run(RunData data, O options, Progress progress) throws IOException;

    /** Writes {@code result}'s files (results.json first among them) into {@code dir}, which exists and is empty. */
    void write(R result, Path dir) throws IOException;

    /**
     * The files or folders of {@code run} that a new result replaces; {@link Analyses#execute} refuses to run when any
     * exists unless told to replace them. Default: the analysis folder, when it holds a results.json.
     */
    default List<Path> previousResults(RunFolder run) {
        return run.hasResults(kind().dirName()) ? List.of(run.analysisPath(kind().dirName())) : List.of();
    }

    /**
     * Called by {@link Analyses} once the result's files are in place: removes what the analysis kept only to survive
     * a crash (e.g. per-level records of a resumable analysis). Default: nothing.
     */
    default void written(RunFolder run) throws IOException {
    }
}
