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

    /** The part's type {@code P}, to read part files back: the type argument this class declares. */
    default Type partType() {
        return typeArgument(2);
    }

    /** The options' type {@code O}, to read them back from part files: the type argument this class declares. */
    default Type optionsType() {
        return typeArgument(0);
    }

    /** Type argument {@code i} of the {@code ShardedAnalysis<O, R, P>} this class implements directly. */
    private Type typeArgument(int i) {
        for (Type t : getClass().getGenericInterfaces()) {
            if (t instanceof java.lang.reflect.ParameterizedType p && p.getRawType() == ShardedAnalysis.class) {
                return p.getActualTypeArguments()[i];
            }
        }
        throw new IllegalStateException(getClass().getName() + " does not implement ShardedAnalysis<O, R, P> directly"
                + " with concrete types; override partType() and optionsType()");
    }

    /** The unsharded run: the merge of the whole work's one part. */
    @Override
    default R run(RunData data, O options, Progress progress) throws IOException {
        return merge(data, options, List.of(runShard(data, options, Shard.WHOLE, progress)), progress);
    }
}
