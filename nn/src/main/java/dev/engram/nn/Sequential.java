package dev.engram.nn;

import dev.engram.engine.Tensor;

/** Children applied in order, named "0", "1", ... as in PyTorch. */
public class Sequential extends Module {
    private int count;

    /** Registers {@code modules} in order as children "0", "1", ...; more can follow with {@link #add(Module)}. */
    public Sequential(Module... modules) {
        for (Module m : modules) add(m);
    }

    /** Appends a module under the next index. */
    public final Sequential add(Module m) {
        registerModule(Integer.toString(count++), m);
        return this;
    }

    /** Number of children. */
    public int size() {
        return count;
    }

    /** The child at index {@code i}; an index without a child throws {@link IndexOutOfBoundsException}. */
    public Module get(int i) {
        Module m = children().get(Integer.toString(i));
        if (m == null) throw new IndexOutOfBoundsException("Sequential has " + count + " modules, asked for " + i);
        return m;
    }

    @Override
    public Tensor forward(Tensor x) {
        for (Module m : children().values()) x = m.forward(x);
        return x;
    }
}
