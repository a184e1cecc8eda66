package dev.engram.nn;

import java.util.ArrayDeque;

/**
 * The original dataset indices of the examples in the batch being forwarded, for layers that
 * depend on them (example-tied dropout):
 * {@code try (var c = BatchContext.of(ids)) { model.forward(x); }}.
 */
public final class BatchContext implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<BatchContext>> STACK = ThreadLocal.withInitial(ArrayDeque::new);
    private final int[] exampleIds;

    private BatchContext(int[] exampleIds) {
        this.exampleIds = exampleIds.clone();
        STACK.get().push(this);
    }

    /** Makes {@code exampleIds} visible to layers on this thread until closed. */
    public static BatchContext of(int[] exampleIds) {
        return new BatchContext(exampleIds);
    }

    /** The current batch's example ids, or null outside any context. */
    public static int[] current() {
        BatchContext c = STACK.get().peek();
        return c == null ? null : c.exampleIds.clone();
    }

    /** The current ids; throws naming {@code who} when there is no context. */
    public static int[] require(String who) {
        int[] ids = current();
        if (ids == null) {
            throw new IllegalStateException(who + " needs the batch's example ids: wrap the forward pass in BatchContext.of(ids)");
        }
        return ids;
    }

    @Override
    public void close() {
        ArrayDeque<BatchContext> s = STACK.get();
        if (s.peek() != this) throw new IllegalStateException("batch contexts must be closed in reverse order of opening");
        s.pop();
    }
}
