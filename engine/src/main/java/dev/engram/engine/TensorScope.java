package dev.engram.engine;

import dev.engram.engine.spi.Storage;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * A region whose tensors are freed deterministically on {@link #close()}. Every storage
 * allocated while a scope is open belongs to the innermost scope; on close it is freed unless
 * it escaped through {@link Tensor#retain()} or {@link #keep(Tensor...)}. Parameter gradients
 * and optimizer state are retained automatically. On the CPU freeing only drops the array
 * (and makes later use an error); on a GPU it returns memory to the allocator.
 */
public final class TensorScope implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<TensorScope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final Set<Storage> owned = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean closed;

    TensorScope() {
        STACK.get().push(this);
    }

    static void register(Storage s) {
        TensorScope top = STACK.get().peek();
        if (top != null) top.owned.add(s);
    }

    static void escape(Storage s) {
        for (TensorScope scope : STACK.get()) scope.owned.remove(s);
    }

    /** Keeps the given tensors alive after this scope (and every enclosing scope) closes. */
    public TensorScope keep(Tensor... tensors) {
        for (Tensor t : tensors) t.retain();
        return this;
    }

    /** Number of storages this scope would free now. */
    public int ownedCount() {
        return owned.size();
    }

    /**
     * Frees what this scope owns. Closing it again does nothing.
     *
     * @throws IllegalStateException when scopes opened inside this one are still open (they are closed first, innermost
     *                               first, so nothing stays registered to a closed scope), or when this scope was opened
     *                               on another thread (nothing is freed then)
     */
    @Override
    public void close() {
        if (closed) return;
        ArrayDeque<TensorScope> stack = STACK.get();
        if (!stack.contains(this)) {
            throw new IllegalStateException("tensor scope closed on a thread other than the one that opened it; close it"
                    + " on its own thread");
        }
        int inner = 0;
        while (stack.peek() != this) {
            stack.peek().free(stack);
            inner++;
        }
        free(stack);
        if (inner > 0) {
            throw new IllegalStateException("tensor scopes must be closed in reverse order of opening: " + inner
                    + " scope(s) opened inside this one were still open and have been closed with it");
        }
    }

    private void free(ArrayDeque<TensorScope> stack) {
        closed = true;
        stack.pop();
        for (Storage s : owned) s.free();
        owned.clear();
    }
}
