package dev.engram.memorization.analysis;

import dev.engram.memorization.data.RunData;

import java.io.IOException;
import java.lang.reflect.Type;
import java.util.List;

/**
 * An analysis whose per-example work splits into {@link Shard}s: each shard computes a part (written by
 * {@link Analyses#executeShard} into {@code analyses/<kind>.shard-i-of-n/part.json}, each under its own lock, so
 * shards run at the same time, e.g. as a Slurm array), and {@link Analyses#merge} combines the parts into the result
 * an unsharded run gives. The unsharded run itself is the merge of the one part of {@link Shard#WHOLE}, so both go
 * through the same code.
 *
 * @param <O> the options record (stored with each part; all parts of a merge must have equal options)
 * @param <R> the result
 * @param <P> a shard's part: plain data that Gson writes and reads back exactly
 */
public interface ShardedAnalysis<O, R extends Analysis.Result, P> extends Analysis<O, R> {
    /** Computes the part of {@code shard}. Writes nothing. */
    P runShard(RunData data, O options, Shard shard, Progress progress) throws IOException;

    /** Combines {@code parts}, in shard order, into the result of the whole work. */
    R merge(RunData data, O options, List<P> parts, Progress progress) throws IOException;

    /** The part's type, to read part files back. */
    Type partType();

    /** The options' type, to read them back from part files. */
    Type optionsType();

    /** The unsharded run: the merge of the whole work's one part. */
    @Override
    default R run(RunData data, O options, Progress progress) throws IOException {
        return merge(data, options, List.of(runShard(data, options, Shard.WHOLE, progress)), progress);
    }
}
