package dev.engram.engine;

import dev.engram.engine.spi.BinaryOp;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Per-example gradients or squared gradient norms collected during the backward passes run
 * while this object is open (see {@link PerExample} for the conventions). Results are read after
 * {@link #close()} (or on the first query, which ends the collection).
 *
 * <p>While open it is this thread's {@link Autograd.BackwardListener} (an already installed
 * listener keeps receiving every node). Before each backward pass it walks the graph once to
 * count how often each tracked parameter is used and whether every use has a
 * {@link PerExampleRule}; parameters with an uncovered use are computed by the batch-of-one
 * fallback when the collection ends.
 */
public final class PerExampleGradients implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PerExampleGradients.class.getName());
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private final PerExample.Mode mode;
    private final PerExampleOptions options;
    private final boolean autoParams;
    private final List<Tensor> params = new ArrayList<>();
    private final Set<Tensor> tracked = identitySet();
    private final Autograd.BackwardListener previous;
    private final Listener listener = new Listener();
    private final Sink sink = new Sink();

    private final Set<Node> pending = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Tensor, Integer> uses = new IdentityHashMap<>();
    private final Map<Tensor, String> uncoveredBy = new IdentityHashMap<>();
    private final Map<Tensor, Tensor> grads = new IdentityHashMap<>();
    private final Map<Tensor, double[]> norms = new IdentityHashMap<>();
    private int batch = -1;
    private int passes;
    private boolean finished;
    private RuntimeException failure;
    /** Whether {@link #failure} was already thrown to the caller once (close() then does not throw it again). */
    private boolean failureThrown;

    PerExampleGradients(List<Tensor> parameters, PerExample.Mode mode, PerExampleOptions options) {
        if (mode == null || options == null) throw new IllegalArgumentException("PerExample.collect: null mode or options");
        this.mode = mode;
        this.options = options;
        this.autoParams = parameters == null;
        if (parameters != null) {
            for (Tensor p : parameters) {
                if (p == null) throw new IllegalArgumentException("PerExample.collect: null parameter in the list");
                if (!p.requiresGrad() || !p.isLeaf()) {
                    throw new IllegalArgumentException("PerExample.collect: " + p.describe()
                            + " is not a leaf that requires a gradient (only parameters have per-example gradients)");
                }
                if (tracked.add(p)) params.add(p);
            }
        }
        this.previous = Autograd.setListener(listener);
    }

    // ---- collection ----------------------------------------------------------------------------

    /** This collection's hook on the backward passes of its thread; knows its collection, so a closed one can be skipped. */
    private final class Listener implements Autograd.BackwardListener {
        @Override
        public void onNode(Node node, Tensor gradOutput) {
            PerExampleGradients.this.onNode(node, gradOutput);
        }

        PerExampleGradients owner() {
            return PerExampleGradients.this;
        }
    }

    /**
     * The listener to reinstall or forward to in place of {@code l}: collections closed out of order (an outer one
     * before an inner one) stay in their successors' chain, so they are skipped here rather than left collecting.
     */
    private static Autograd.BackwardListener live(Autograd.BackwardListener l) {
        while (l instanceof Listener x && x.owner().finished) l = x.owner().previous;
        return l;
    }

    private void onNode(Node node, Tensor gradOutput) {
        Autograd.BackwardListener outer = live(previous);
        if (outer != null) outer.onNode(node, gradOutput);
        if (finished || failure != null) return;
        if (!pending.remove(node)) {
            plan(node);
            pending.remove(node);
        }
        PerExampleRule rule = PerExampleRules.find(node.getClass());
        if (rule == null) return;
        boolean any = false;
        for (int k = 0; k < node.inputs.length && !any; k++) {
            any = node.inputs[k] != null && sink.wants(node.inputs[k]) && rule.covers(node, k);
        }
        if (!any) return;
        try (TensorScope scope = Tensors.scope()) {
            rule.apply(node, gradOutput, sink);
        } catch (RuntimeException e) {
            failure = e; // reported when results are read; the ordinary backward goes on
        }
    }

    /** Walks the graph below a new backward root: uses per tracked parameter and rule coverage. */
    private void plan(Node root) {
        passes++;
        if (mode == PerExample.Mode.NORMS && passes > 1) {
            failure = new IllegalStateException("per-example NORMS mode collects one backward pass (norms of summed"
                    + " gradients cannot be accumulated); use Mode.GRADIENTS or one collection per backward pass");
        }
        pending.clear();
        uses.clear();
        ArrayDeque<Node> stack = new ArrayDeque<>();
        stack.push(root);
        pending.add(root);
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            PerExampleRule rule = PerExampleRules.find(n.getClass());
            for (int k = 0; k < n.inputs.length; k++) {
                Tensor in = n.inputs[k];
                if (in == null || !in.requiresGrad()) continue;
                if (in.gradFn != null) {
                    if (pending.add(in.gradFn)) stack.push(in.gradFn);
                    continue;
                }
                if (autoParams && tracked.add(in)) params.add(in);
                if (!tracked.contains(in)) continue;
                uses.merge(in, 1, Integer::sum);
                if (rule == null || !rule.covers(n, k)) uncoveredBy.putIfAbsent(in, n.name());
            }
        }
    }

    private final class Sink implements PerExampleSink {
        @Override
        public boolean wants(Tensor t) {
            return tracked.contains(t) && !uncoveredBy.containsKey(t);
        }

        @Override
        public boolean normsOnly(Tensor param) {
            return mode == PerExample.Mode.NORMS && uses.getOrDefault(param, 0) == 1;
        }

        @Override
        public Tensor gradients(Tensor param, int b, String op) {
            checkBatch(b, op);
            return grads.computeIfAbsent(param, p -> Tensor.zeros(p.device(), withBatch(b, p.shapeRef())).retain());
        }

        @Override
        public Tensor gradientsToOverwrite(Tensor param, int b, String op) {
            checkBatch(b, op);
            if (grads.containsKey(param)) return null;
            Tensor acc = Tensor.emptyForOverwrite(param.device(), DType.FLOAT32, withBatch(b, param.shapeRef())).retain();
            grads.put(param, acc);
            return acc;
        }

        @Override
        public void addSquaredNorms(Tensor param, int first, float[] values, int b, String op) {
            checkBatch(b, op);
            double[] acc = norms.computeIfAbsent(param, p -> new double[b]);
            for (int i = 0; i < values.length; i++) acc[first + i] += values[i];
        }

        @Override
        public void add(Tensor param, Tensor perExample, int b, String op) {
            checkBatch(b, op);
            if (perExample.numel() != b * param.numel()) {
                throw new IllegalArgumentException("per-example " + op + ": contribution " + perExample.describe()
                        + " does not hold " + b + " gradients of " + param.describe());
            }
            if (normsOnly(param)) {
                addSquaredNorms(param, 0, PerExampleKernels.rowSquaredNorms(perExample, b), b, op);
                return;
            }
            Tensor fresh = gradientsToOverwrite(param, b, op);
            if (fresh != null) {
                fresh.backend().copy(perExample.storage(), perExample.offset(), fresh.storage(), 0, fresh.numel());
                return;
            }
            Tensor acc = gradients(param, b, op);
            Tensor src = perExample.offset() == 0 ? perExample : perExample.copy();
            int[] s = acc.shapeRef();
            acc.backend().binary(BinaryOp.ADD, acc.storage(), s, src.storage(), s, acc.storage(), s);
        }

        @Override
        public int chunkSize(long bytesPerExample, int b) {
            long n = options.memoryBudgetBytes() / Math.max(1, bytesPerExample);
            return (int) Math.max(1, Math.min(b, n));
        }

        @Override
        public boolean useGhost(double ghostCost, double materializeCost) {
            return switch (options.normPath()) {
                case GHOST -> true;
                case MATERIALIZE -> false;
                case AUTO -> ghostCost < materializeCost;
            };
        }
    }

    private void checkBatch(int b, String op) {
        if (batch < 0) {
            batch = b;
        } else if (b != batch) {
            throw new IllegalArgumentException("per-example " + op + ": leading dimension " + b + " differs from the batch of "
                    + batch + " examples seen by earlier ops; per-example rules take axis 0 of every activation as the example axis");
        }
    }

    // ---- end of collection ---------------------------------------------------------------------

    /**
     * Ends the collection: uninstalls the listener and runs the batch-of-one fallback if needed. Closing it again does
     * nothing. Collections may be closed in any order; a closed one stops collecting at once. A failure of the collection
     * is thrown here unless a read of the results already threw it.
     */
    @Override
    public void close() {
        if (finished && failureThrown) return;
        finish();
    }

    private void finish() {
        if (finished) {
            if (failure != null) {
                failureThrown = true;
                throw new IllegalStateException("per-example collection failed: " + failure.getMessage(), failure);
            }
            return;
        }
        finished = true;
        // uninstall: if this collection's listener is on top, the live one below it goes back; if a collection opened
        // later is still open, it skips this one from now on (live())
        if (Autograd.currentListener() == listener) Autograd.setListener(live(previous));
        pending.clear();
        try {
            if (failure != null) throw failure;
            List<Tensor> uncovered = new ArrayList<>();
            for (Tensor p : params) if (uncoveredBy.containsKey(p)) uncovered.add(p);
            if (!uncovered.isEmpty() && options.recompute() == null) throw noRule(uncovered);
            if (batch < 0) {
                if (options.batchSize() > 0) batch = options.batchSize();
                else if (params.isEmpty() || !uncovered.isEmpty() || passes > 0) {
                    throw new IllegalStateException("per-example: batch size unknown — no per-example rule ran"
                            + (passes == 0 ? " (no backward pass ran while the collection was open)" : "")
                            + "; pass PerExampleOptions.withBatchSize(B)");
                } else {
                    batch = 0;
                }
            }
            if (!uncovered.isEmpty()) fallback(uncovered);
            for (Tensor p : params) {
                Tensor g = grads.get(p);
                if (mode == PerExample.Mode.NORMS) {
                    double[] acc = norms.computeIfAbsent(p, q -> new double[batch]);
                    if (g != null) {
                        float[] v = PerExampleKernels.rowSquaredNorms(g, batch);
                        for (int i = 0; i < batch; i++) acc[i] += v[i];
                        grads.remove(p);
                        g.free();
                    }
                } else if (g == null) {
                    grads.put(p, Tensor.zeros(p.device(), withBatch(batch, p.shapeRef())).retain());
                }
            }
        } catch (RuntimeException e) {
            failure = e;
            failureThrown = true;
            throw e;
        }
    }

    private IllegalStateException noRule(List<Tensor> uncovered) {
        StringBuilder names = new StringBuilder();
        for (Tensor p : uncovered) {
            if (names.length() > 0) names.append(", ");
            names.append(p.describe()).append(" used by '").append(uncoveredBy.get(p)).append('\'');
        }
        return new IllegalStateException("per-example: no rule covers " + names + "; give the collection a closure that"
                + " recomputes per-example losses (PerExampleOptions.withRecompute) for the batch-of-one fallback,"
                + " or register a rule with PerExampleRules.register");
    }


    /** Batch-of-one passes for parameters some use of which has no rule. */
    private void fallback(List<Tensor> uncovered) {
        Set<String> ops = new java.util.TreeSet<>();
        for (Tensor p : uncovered) ops.add(uncoveredBy.get(p));
        for (String op : ops) {
            if (WARNED.add(op)) {
                LOG.log(System.Logger.Level.WARNING, "op ''{0}'' has no per-example rule; its parameters get per-example"
                        + " gradients from batch-of-one backward passes (slow). Register a rule with PerExampleRules.register.", op);
            }
        }
        Autograd.BackwardListener outer = Autograd.setListener(null);
        try {
            for (int i = 0; i < batch; i++) {
                try (Grad g = Grad.enabled(); TensorScope scope = Tensors.scope()) {
                    Tensor terms = options.recompute().apply(new int[] {i});
                    if (terms == null || terms.numel() != 1) {
                        throw new IllegalStateException("per-example fallback: the recompute closure must return the loss term"
                                + " of the one requested example, got " + (terms == null ? "null" : terms.describe()));
                    }
                    Tensor loss = terms.sum();
                    if (options.reduction() == PerExampleOptions.Reduction.MEAN) loss = loss.mul(1f / batch);
                    Set<Tensor> leaves = leaves(loss);
                    leaves.addAll(uncovered);
                    Map<Tensor, Tensor> saved = new IdentityHashMap<>();
                    for (Tensor leaf : leaves) {
                        saved.put(leaf, leaf.grad());
                        leaf.zeroGrad();
                    }
                    try {
                        if (loss.requiresGrad()) loss.backward();
                        for (Tensor p : uncovered) record(p, i, p.grad());
                    } finally {
                        for (Map.Entry<Tensor, Tensor> e : saved.entrySet()) e.getKey().setGrad(e.getValue());
                    }
                }
            }
        } finally {
            Autograd.setListener(outer);
        }
    }

    private void record(Tensor p, int i, Tensor g) {
        if (g == null) return;
        if (mode == PerExample.Mode.NORMS) {
            double s = 0;
            for (float v : g.toFloatArray()) s += (double) v * v;
            norms.computeIfAbsent(p, q -> new double[batch])[i] += s;
            return;
        }
        Tensor acc = grads.computeIfAbsent(p, q -> Tensor.zeros(q.device(), withBatch(batch, q.shapeRef())).retain());
        long n = p.numel();
        acc.backend().copy(g.storage(), g.offset(), acc.storage(), acc.offset() + i * n, n);
    }

    private static Set<Tensor> leaves(Tensor root) {
        Set<Tensor> out = identitySet();
        if (root.gradFn == null) {
            if (root.requiresGrad()) out.add(root);
            return out;
        }
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Node> stack = new ArrayDeque<>();
        stack.push(root.gradFn);
        seen.add(root.gradFn);
        while (!stack.isEmpty()) {
            for (Tensor in : stack.pop().inputs) {
                if (in == null || !in.requiresGrad()) continue;
                if (in.gradFn == null) out.add(in);
                else if (seen.add(in.gradFn)) stack.push(in.gradFn);
            }
        }
        return out;
    }

    // ---- results -------------------------------------------------------------------------------

    /** What this collection keeps: per-example squared norms only, or full per-example gradients as well. */
    public PerExample.Mode mode() {
        return mode;
    }

    /** The tracked parameters (for an automatic collection: every leaf requiring a gradient that backward reached). */
    public List<Tensor> parameters() {
        finish();
        return Collections.unmodifiableList(params);
    }

    /** Number of examples B. */
    public int batchSize() {
        finishCollected();
        return batch;
    }

    /**
     * Finishes the collection and refuses to hand out results when nothing was collected: closing a collection in which
     * no backward pass ran is allowed (e.g. when the code inside failed), reading its results is not.
     */
    private void finishCollected() {
        finish();
        if (batch == 0 && passes == 0) {
            throw new IllegalStateException("per-example: nothing was collected — no backward pass ran while the"
                    + " collection was open; run backward before closing it");
        }
    }

    /** Per-example gradients {@code [B, ...param shape]} of {@code param} (GRADIENTS mode). */
    public Tensor gradients(Tensor param) {
        finishCollected();
        requireTracked(param);
        if (mode != PerExample.Mode.GRADIENTS) {
            throw new IllegalStateException("per-example gradients of " + param.describe() + " were not kept: the collection ran"
                    + " in NORMS mode; use PerExample.Mode.GRADIENTS");
        }
        return grads.get(param);
    }

    /** Per-example squared L2 norms {@code ||g_i||^2} of {@code param}'s gradient, length B. */
    public float[] squaredNorms(Tensor param) {
        finishCollected();
        requireTracked(param);
        if (mode == PerExample.Mode.NORMS) {
            double[] d = norms.get(param);
            float[] out = new float[batch];
            for (int i = 0; i < batch; i++) out[i] = (float) d[i];
            return out;
        }
        return PerExampleKernels.rowSquaredNorms(grads.get(param), batch);
    }

    /** Squared norms of the per-example gradient of all tracked parameters together. */
    public float[] totalSquaredNorms() {
        return sumOf(parameters(), "all parameters");
    }

    /** Squared norms per named group of parameters (each group's gradients concatenated), in the map's order. */
    public Map<String, float[]> groupSquaredNorms(Map<String, List<Tensor>> groups) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<Tensor>> e : groups.entrySet()) out.put(e.getKey(), sumOf(e.getValue(), e.getKey()));
        return out;
    }

    /**
     * Squared norms per group of parameters selected by glob patterns on their names
     * ({@code *} any run of characters, {@code ?} one character, e.g. {@code "layer2.*"}).
     * A pattern that matches no tracked parameter raises an exception listing the names.
     */
    public Map<String, float[]> groupSquaredNormsByName(Map<String, String> globs) {
        Map<String, List<Tensor>> groups = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : globs.entrySet()) {
            Pattern re = glob(e.getValue());
            List<Tensor> members = new ArrayList<>();
            for (Tensor p : parameters()) if (p.name() != null && re.matcher(p.name()).matches()) members.add(p);
            if (members.isEmpty()) {
                List<String> names = new ArrayList<>();
                for (Tensor p : params) names.add(String.valueOf(p.name()));
                throw new IllegalArgumentException("per-example group '" + e.getKey() + "': pattern '" + e.getValue()
                        + "' matches no tracked parameter; names are " + names);
            }
            groups.put(e.getKey(), members);
        }
        return groupSquaredNorms(groups);
    }

    /**
     * Squared norms per group of parameters given by exact names (for example a model's layer
     * groups, {@code "layer1.0.weight"} style). An unknown name raises an exception naming it.
     */
    public Map<String, float[]> groupSquaredNormsByNames(Map<String, ? extends java.util.Collection<String>> groups) {
        Map<String, Tensor> byName = new java.util.HashMap<>();
        for (Tensor p : parameters()) if (p.name() != null) byName.put(p.name(), p);
        Map<String, List<Tensor>> resolved = new LinkedHashMap<>();
        for (Map.Entry<String, ? extends java.util.Collection<String>> e : groups.entrySet()) {
            List<Tensor> members = new ArrayList<>();
            for (String n : e.getValue()) {
                Tensor p = byName.get(n);
                if (p == null) {
                    throw new IllegalArgumentException("per-example group '" + e.getKey() + "': no tracked parameter named '" + n
                            + "' (tracked: " + new java.util.TreeSet<>(byName.keySet()) + ")");
                }
                members.add(p);
            }
            resolved.put(e.getKey(), members);
        }
        return groupSquaredNorms(resolved);
    }

    /** Frees the kept per-example gradient tensors (device memory); results cannot be read afterwards. */
    public void release() {
        finish();
        for (Tensor g : grads.values()) g.free();
    }

    private float[] sumOf(List<Tensor> group, String what) {
        finishCollected();
        double[] acc = new double[batch];
        for (Tensor p : group) {
            float[] v = squaredNorms(p);
            for (int i = 0; i < batch; i++) acc[i] += v[i];
        }
        float[] out = new float[batch];
        for (int i = 0; i < batch; i++) out[i] = (float) acc[i];
        return out;
    }

    private void requireTracked(Tensor p) {
        if (!tracked.contains(p)) {
            throw new IllegalArgumentException("per-example: " + p.describe() + " is not a tracked parameter of this collection");
        }
    }

    private static Pattern glob(String g) {
        StringBuilder sb = new StringBuilder();
        for (char ch : g.toCharArray()) {
            switch (ch) {
                case '*' -> sb.append(".*");
                case '?' -> sb.append('.');
                default -> sb.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        return Pattern.compile(sb.toString());
    }

    private static int[] withBatch(int b, int[] shape) {
        int[] s = new int[shape.length + 1];
        s[0] = b;
        System.arraycopy(shape, 0, s, 1, shape.length);
        return s;
    }

    private static Set<Tensor> identitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }

    @Override
    public String toString() {
        return "PerExampleGradients(" + mode + ", " + params.size() + " parameters, batch " + batch + ")";
    }
}
