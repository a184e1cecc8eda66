package dev.engram.nn;

import dev.engram.engine.Tensor;

/** Children applied in order, named "0", "1", ... as in PyTorch. */
public class Sequential extends Module {
    private int count;

    public Sequential(Module... modules) {
        for (Module m : modules) add(m);
    }

    /** Appends a module under the next index. */
    public final Sequential add(Module m) {
        registerModule(Integer.toString(count++), m);
        return this;
    }

    public int size() {
        return count;
    }

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
