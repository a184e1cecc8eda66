package dev.engram.memorization.sweep;

import java.util.ArrayList;
import java.util.List;

/**
 * One piece of a sweep run's work, what one task runs. A run whose analyses hold no shard steps is one piece,
 * {@link #RUN} (training and every analysis). A run whose analyses hold shard steps ({@code flip --shard 2/4}) is
 * fanned out: {@link #RUN} trains it and runs its analyses that are neither shards nor merges, each shard step is a
 * piece {@code shard-J} of its own (J numbers the run's shard steps from 1, in listed order) that starts once the run
 * piece is done, and {@link #MERGE} runs the merges ({@code merge --analysis flip}) once every shard is done.
 * {@link #ALL} runs every step of the run one after another in one task.
 *
 * @param index the run's index in the manifest
 * @param stage {@link #RUN}, {@code shard-J}, {@link #MERGE} or {@link #ALL}
 */
public record Piece(int index, String stage) implements Comparable<Piece> {
    /** Training and the analyses that are neither shards nor merges. */
    public static final String RUN = "run";
    /** The merges of the run's sharded analyses. */
    public static final String MERGE = "merge";
    /** Every step of the run, one after another. */
    public static final String ALL = "all";

    /** Checks the stage. */
    public Piece {
        if (!stage.equals(RUN) && !stage.equals(MERGE) && !stage.equals(ALL) && shardNumber(stage) < 1) {
            throw new IllegalArgumentException("stage '" + stage + "' is not run, shard-J (J >= 1), merge or all");
        }
    }

    /** The stage of the run's {@code j}-th shard step. */
    public static String shard(int j) {
        return "shard-" + j;
    }

    /** J of a stage {@code shard-J}; 0 for the other stages. */
    public static int shardNumber(String stage) {
        if (!stage.matches("shard-[1-9]\\d{0,5}")) return 0;
        return Integer.parseInt(stage.substring("shard-".length()));
    }

    /** Whether the analysis command line {@code a} computes one shard ({@code --shard i/n}). */
    public static boolean isShardStep(List<String> a) {
        return a.stream().anyMatch(w -> w.equals("--shard") || w.startsWith("--shard="));
    }

    /** Whether the analysis command line {@code a} merges shards. */
    public static boolean isMergeStep(List<String> a) {
        return a.get(0).equals("merge");
    }

    /** Whether {@code run} is fanned out: it has shard steps. */
    public static boolean fanned(SweepRun run) {
        return run.analyses().stream().anyMatch(Piece::isShardStep);
    }

    /** The pieces of {@code run}: {@link #RUN}, then its shards and {@link #MERGE} when it is fanned out. */
    public static List<Piece> of(SweepRun run) {
        List<Piece> out = new ArrayList<>(List.of(new Piece(run.index(), RUN)));
        int j = 0;
        for (List<String> a : run.analyses()) if (isShardStep(a)) out.add(new Piece(run.index(), shard(++j)));
        if (run.analyses().stream().anyMatch(Piece::isMergeStep) && j > 0) out.add(new Piece(run.index(), MERGE));
        return out;
    }

    /** The analysis command lines of this piece of {@code run}, in listed order. */
    public List<List<String>> analyses(SweepRun run) {
        boolean fanned = fanned(run);
        List<List<String>> out = new ArrayList<>();
        int j = 0;
        for (List<String> a : run.analyses()) {
            boolean shardStep = isShardStep(a);
            if (shardStep) j++;
            boolean mine = switch (stage) {
                case ALL -> true;
                case RUN -> !fanned || (!shardStep && !isMergeStep(a));
                case MERGE -> fanned && isMergeStep(a);
                default -> shardStep && j == shardNumber(stage);
            };
            if (mine) out.add(a);
        }
        return out;
    }

    /** Whether this piece trains its run (when not trained yet). */
    public boolean trains() {
        return stage.equals(RUN) || stage.equals(ALL);
    }

    /** Whether this piece must wait for {@code other} of the same run. */
    public boolean after(Piece other) {
        if (other.index != index || other.equals(this)) return false;
        if (stage.equals(MERGE)) return other.stage.equals(RUN) || shardNumber(other.stage) > 0;
        return shardNumber(stage) > 0 && other.stage.equals(RUN);
    }

    /** What this piece appends to its run's name in log and state file names: "" for the run piece. */
    public String suffix() {
        return stage.equals(RUN) || stage.equals(ALL) ? "" : "." + stage;
    }

    /** Run index, then run, shards in order, merge. */
    @Override
    public int compareTo(Piece o) {
        return index != o.index ? Integer.compare(index, o.index) : Integer.compare(rank(), o.rank());
    }

    private int rank() {
        return stage.equals(RUN) || stage.equals(ALL) ? 0 : stage.equals(MERGE) ? Integer.MAX_VALUE : shardNumber(stage);
    }

    /** {@code I} for a run piece, {@code I/STAGE} otherwise (e.g. {@code 3/shard-2}). */
    @Override
    public String toString() {
        return index + (stage.equals(RUN) ? "" : "/" + stage);
    }
}
