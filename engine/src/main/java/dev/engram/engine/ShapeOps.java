package dev.engram.engine;

import dev.engram.engine.spi.BinaryOp;

import java.util.Arrays;

/** Reshape, permute, slice, concatenate, index-select, expand and copies, forward and backward. */
final class ShapeOps {
    private ShapeOps() {}

    static Tensor reshape(Tensor x, int[] newShape) {
        x.checkAlive("reshape");
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int k = 0; k < s.length; k++) {
            if (s[k] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshape: more than one -1 in " + Shapes.str(newShape));
                infer = k;
            } else if (s[k] < 0) {
                throw new IllegalArgumentException("reshape: negative dimension in " + Shapes.str(newShape));
            } else {
                known *= s[k];
            }
        }
        if (infer >= 0) {
            if (known == 0 || x.numel() % known != 0) {
                throw new IllegalArgumentException("reshape: cannot infer -1 reshaping " + Shapes.str(x.shapeRef())
                        + " to " + Shapes.str(newShape));
            }
            s[infer] = (int) (x.numel() / known);
        }
        if (Shapes.numel(s) != x.numel()) {
            throw new IllegalArgumentException("reshape: " + Shapes.str(x.shapeRef()) + " (" + x.numel()
                    + " elements) cannot become " + Shapes.str(newShape));
        }
        if (Arrays.equals(s, x.shapeRef())) return x;
        Tensor out = x.view(x.offset(), s);
        int[] orig = x.shapeRef();
        return Tensor.record(out, new Node(x) {
            @Override
            protected Tensor[] backward(Tensor dy) {
                return new Tensor[] {dy.reshape(orig)};
            }

            @Override
            public String name() {
                return "reshape";
            }

            @Override
            protected boolean readsValues() {
                return false;
            }
        });
    }

    static Tensor flatten(Tensor x, int start) {
        int[] s = x.shapeRef();
        int a = Shapes.axis(start, s.length, "flatten");
        int[] o = Arrays.copyOf(s, a + 1);
        o[a] = Shapes.prod(s, a, s.length);
        return reshape(x, o);
    }

    static Tensor unsqueeze(Tensor x, int axis) {
        int[] s = x.shapeRef();
        int a = axis < 0 ? axis + s.length + 1 : axis;
        if (a < 0 || a > s.length) throw new IllegalArgumentException("unsqueeze: axis " + axis + " for rank " + s.length);
        int[] o = new int[s.length + 1];
        for (int k = 0, j = 0; k < o.length; k++) o[k] = k == a ? 1 : s[j++];
        return reshape(x, o);
    }

    static Tensor permute(Tensor x, int[] perm) {
        x.checkAlive("permute");
        int[] s = x.shapeRef();
        if (perm.length != s.length) {
            throw new IllegalArgumentException("permute: " + perm.length + " axes given for rank " + s.length);
        }
        boolean[] used = new boolean[s.length];
        int[] p = new int[perm.length];
        for (int k = 0; k < perm.length; k++) {
            p[k] = Shapes.axis(perm[k], s.length, "permute");
            if (used[p[k]]) throw new IllegalArgumentException("permute: axis repeated in " + Arrays.toString(perm));
            used[p[k]] = true;
        }
        int[] o = new int[s.length];
        int[] inv = new int[s.length];
        for (int k = 0; k < s.length; k++) {
            o[k] = s[p[k]];
            inv[p[k]] = k;
        }
        Tensor out = Tensor.empty(x.device(), x.dtype(), o);
        x.backend().permute(x.storage(), s, p, out.storage());
        return Tensor.record(out, new Node(x) {
            @Override
            protected Tensor[] backward(Tensor dy) {
                return new Tensor[] {dy.permute(inv)};
            }

            @Override
            public String name() {
                return "permute";
            }

            @Override
            protected boolean readsValues() {
                return false;
            }
        });
    }

    static Tensor transpose(Tensor x, int a, int b) {
        int r = x.rank();
        int[] p = new int[r];
        for (int k = 0; k < r; k++) p[k] = k;
        int aa = Shapes.axis(a, r, "transpose"), bb = Shapes.axis(b, r, "transpose");
        p[aa] = bb;
        p[bb] = aa;
        return permute(x, p);
    }

    static Tensor slice(Tensor x, int axis, int start, int end) {
        x.checkAlive("slice");
        int[] s = x.shapeRef();
        int ax = Shapes.axis(axis, s.length, "slice");
        if (start < 0 || end > s[ax] || start > end) {
            throw new IllegalArgumentException("slice: range [" + start + ", " + end + ") outside axis " + ax
                    + " of size " + s[ax] + " in " + Shapes.str(s));
        }
        int[] o = s.clone();
        o[ax] = end - start;
        int outer = Shapes.prod(s, 0, ax), inner = Shapes.prod(s, ax + 1, s.length);
        Tensor out = Tensor.empty(x.device(), x.dtype(), o);
        x.backend().copyBlocks(x.storage(), (long) start * inner, (long) s[ax] * inner, out.storage(), 0,
                (long) o[ax] * inner, outer, o[ax] * inner);
        return Tensor.record(out, new Node(x) {
            @Override
            protected Tensor[] backward(Tensor dy) {
                Tensor dx = Tensor.zeros(x.device(), s);
                x.backend().copyBlocks(dy.storage(), 0, (long) o[ax] * inner, dx.storage(), (long) start * inner,
                        (long) s[ax] * inner, outer, o[ax] * inner);
                return new Tensor[] {dx};
            }

            @Override
            public String name() {
                return "slice";
            }

            @Override
            protected boolean readsValues() {
                return false;
            }
        });
    }

    static Tensor cat(int axis, Tensor... ts) {
        if (ts.length == 0) throw new IllegalArgumentException("cat: no tensors");
        int[] s0 = ts[0].shapeRef();
        int ax = Shapes.axis(axis, s0.length, "cat");
        int total = 0;
        for (Tensor t : ts) {
            t.checkAlive("cat");
            Elementwise.sameDevice("cat", ts[0], t);
            int[] s = t.shapeRef();
            boolean ok = s.length == s0.length;
            for (int k = 0; ok && k < s.length; k++) ok = k == ax || s[k] == s0[k];
            if (!ok) throw new IllegalArgumentException("cat: shapes " + Tensor.shapes(ts) + " differ outside axis " + ax);
            total += s[ax];
        }
        int[] o = s0.clone();
        o[ax] = total;
        int outer = Shapes.prod(s0, 0, ax), inner = Shapes.prod(s0, ax + 1, s0.length);
        Tensor out = Tensor.empty(ts[0].device(), ts[0].dtype(), o);
        int[] starts = new int[ts.length];
        int pos = 0;
        for (int k = 0; k < ts.length; k++) {
            starts[k] = pos;
            int len = ts[k].shapeRef()[ax];
            ts[k].backend().copyBlocks(ts[k].storage(), 0, (long) len * inner, out.storage(), (long) pos * inner,
                    (long) total * inner, outer, len * inner);
            pos += len;
        }
        return Tensor.record(out, new Node(ts) {
            @Override
            protected Tensor[] backward(Tensor dy) {
                Tensor[] g = new Tensor[ts.length];
                for (int k = 0; k < ts.length; k++) {
                    if (needsGrad(k)) g[k] = dy.slice(ax, starts[k], starts[k] + ts[k].shapeRef()[ax]);
                }
                return g;
            }

            @Override
            public String name() {
                return "cat";
            }

            @Override
            protected boolean readsValues() {
                return false;
            }
        });
    }

    static Tensor indexSelect(Tensor x, Tensor idx) {
        x.checkAlive("index_select");
        if (idx.dtype() != DType.INT32 || idx.rank() != 1) {
            throw new IllegalArgumentException("index_select: indices must be a 1-D int32 tensor, got " + idx.describe());
        }
        if (x.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException("index_select: selects rows of a float32 tensor, got " + x.describe()
                    + (x.dtype() == DType.INT32 ? "; select int labels on the host (toIntArray) instead" : ""));
        }
        int[] s = x.shapeRef();
        if (s.length == 0) throw new IllegalArgumentException("index_select on a scalar");
        int rows = s[0], cols = Shapes.prod(s, 1, s.length), count = idx.shapeRef()[0];
        int[] o = s.clone();
        o[0] = count;
        Tensor out = Tensor.empty(x.device(), x.dtype(), o);
        x.backend().indexSelect(x.storage(), rows, cols, idx.storage(), out.storage(), count);
        return Tensor.record(out, new Node(x) {
            @Override
            protected Tensor[] backward(Tensor dy) {
                Tensor dx = Tensor.zeros(x.device(), s);
                x.backend().indexAdd(dy.storage(), cols, idx.storage(), dx.storage(), rows, count);
                return new Tensor[] {dx};
            }

            @Override
            public String name() {
                return "index_select";
            }

            @Override
            protected boolean readsValues() {
                return false;
            }
        });
    }

    static Tensor expand(Tensor x, int[] target) {
        x.checkAlive("expand");
        int[] s = x.shapeRef();
        int[] b = Shapes.broadcast(s, target, "expand");
        if (!Arrays.equals(b, target)) {
            throw new IllegalArgumentException("expand: " + Shapes.str(s) + " cannot expand to " + Shapes.str(target));
        }
        if (Arrays.equals(s, target)) return x;
        Tensor zero = Tensor.zeros(x.device(), 1);
        Tensor out = Tensor.empty(x.device(), DType.FLOAT32, target);
        x.backend().binary(BinaryOp.ADD, x.storage(), s, zero.storage(), new int[] {1}, out.storage(), target);
        return Tensor.record(out, new ExpandNode(x, s, target.clone()));
    }

    /** Backward of {@link #expand}, with the per-example rule for a parameter broadcast over the batch (class tokens). */
    static final class ExpandNode extends Node {
        private final int[] inputShape, outputShape;

        ExpandNode(Tensor x, int[] inputShape, int[] outputShape) {
            super(x);
            this.inputShape = inputShape;
            this.outputShape = outputShape;
        }

        @Override
        protected Tensor[] backward(Tensor dy) {
            return new Tensor[] {Elementwise.sumTo(dy, inputShape)};
        }

        @Override
        public String name() {
            return "expand";
        }

        @Override
        protected boolean readsValues() {
            return false;
        }

        /** Example b's share of an expanded parameter without an example axis: dy[b] summed to its shape. */
        static final PerExampleRule PER_EXAMPLE = new PerExampleRule() {
            @Override
            public boolean covers(Node node, int inputIndex) {
                ExpandNode e = (ExpandNode) node;
                return inputIndex == 0 && e.inputShape.length == e.outputShape.length && e.inputShape.length >= 2
                        && e.inputShape[0] == 1;
            }

            @Override
            public void apply(Node node, Tensor dy, PerExampleSink sink) {
                Tensor p = node.inputs[0];
                if (!sink.wants(p) || !covers(node, 0)) return;
                sink.add(p, Elementwise.perExampleSumTo(dy, p.shapeRef()), dy.shapeRef()[0], "expand");
            }
        };
    }

    static Tensor copy(Tensor x) {
        x.checkAlive("copy");
        Tensor out = Tensor.emptyForOverwrite(x.device(), x.dtype(), x.shapeRef());
        x.backend().copy(x.storage(), x.offset(), out.storage(), 0, x.numel());
        return Tensor.record(out, new Node(x) {
            @Override
            protected Tensor[] backward(Tensor dy) {
                return new Tensor[] {dy};
            }

            @Override
            public String name() {
                return "copy";
            }

            @Override
            protected boolean readsValues() {
                return false;
            }
        });
    }

    static Tensor toDevice(Tensor x, Device device) {
        x.checkAlive("to");
        int n = Math.toIntExact(x.numel());
        Tensor out;
        if (x.dtype() == DType.INT32) {
            out = Tensor.ofInts(device, x.toIntArray(), x.shapeRef());
        } else {
            float[] host = new float[n];
            x.backend().readFloats(x.storage(), x.offset(), host, 0, n);
            out = Tensor.of(device, host, x.shapeRef());
        }
        Device from = x.device();
        return Tensor.record(out, new Node(x) {
            @Override
            protected Tensor[] backward(Tensor dy) {
                return new Tensor[] {dy.to(from)};
            }

            @Override
            public String name() {
                return "to";
            }

            @Override
            protected boolean readsValues() {
                return false;
            }
        });
    }
}
