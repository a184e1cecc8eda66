package dev.engram.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reverse-mode differentiation over the recorded graph. */
public final class Autograd {
    private Autograd() {}

    /** Observer of every node's output gradient during a backward pass (per-example rules hook here). */
    public interface BackwardListener {
        /**
         * Called on the thread running backward just before {@code node}'s backward, with the gradient of its output
         * (summed over all its consumers); gradients are disabled during the call.
         */
        void onNode(Node node, Tensor gradOutput);
    }

    private static final ThreadLocal<BackwardListener> LISTENER = new ThreadLocal<>();

    /** Installs a listener for backward passes on this thread; returns the previous one. */
    public static BackwardListener setListener(BackwardListener l) {
        BackwardListener prev = LISTENER.get();
        if (l == null) LISTENER.remove();
        else LISTENER.set(l);
        return prev;
    }

    /** The listener installed on this thread, or null. */
    static BackwardListener currentListener() {
        return LISTENER.get();
    }

    static void backward(Tensor root, Tensor seed, boolean retainGraph) {
        root.checkAlive("backward");
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward: tensor " + root.describe()
                    + " does not require a gradient (no input requires one, or it was computed under Grad.disabled())");
        }
        Shapes.requireSame(root.shapeRef(), seed.shapeRef(), "backward gradient");
        if (seed.dtype() != root.dtype()) {
            throw new IllegalArgumentException("backward gradient: dtype " + seed.dtype().label() + ", expected "
                    + root.dtype().label() + " like " + root.describe());
        }
        if (root.gradFn == null) {
            root.accumulateGrad(seed);
            return;
        }
        List<Node> order = topoOrder(root.gradFn);
        for (Node node : order) {
            if (node.freed) {
                throw new IllegalStateException("backward: the graph of " + root.describe() + " runs through op '" + node.name()
                        + "', which an earlier backward pass already freed; pass retainGraph = true to that earlier"
                        + " backward to run backward through the same graph again");
            }
            node.requireUnmodified();
        }
        Map<Node, Tensor> grads = new IdentityHashMap<>();
        grads.put(root.gradFn, seed);
        BackwardListener listener = LISTENER.get();
        try (Grad g = Grad.disabled()) {
            for (Node node : order) {
                Tensor gOut = grads.remove(node);
                if (gOut == null) continue;
                if (listener != null) listener.onNode(node, gOut);
                Tensor[] gIn = node.backward(gOut);
                for (int k = 0; k < node.inputs.length; k++) {
                    Tensor in = node.inputs[k];
                    if (in == null || !in.requiresGrad() || gIn[k] == null) continue;
                    Tensor gk = gIn[k];
                    if (!java.util.Arrays.equals(gk.shapeRef(), in.shapeRef())) {
                        throw new IllegalStateException("backward of " + node.name() + " produced gradient "
                                + gk.describe() + " for input " + in.describe());
                    }
                    if (in.gradFn == null) {
                        in.accumulateGrad(gk);
                    } else {
                        Tensor prev = grads.get(in.gradFn);
                        grads.put(in.gradFn, prev == null ? gk : prev.add(gk));
                    }
                }
                if (!retainGraph) {
                    node.release();
                    node.freed = true;
                }
            }
        }
    }

    private static List<Node> topoOrder(Node root) {
        List<Node> post = new ArrayList<>();
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        seen.add(root);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Node n = (Node) top[0];
            int i = (Integer) top[1];
            if (i < n.inputs.length) {
                top[1] = i + 1;
                Tensor in = n.inputs[i];
                if (in != null && in.gradFn != null && seen.add(in.gradFn)) stack.push(new Object[] {in.gradFn, 0});
            } else {
                stack.pop();
                post.add(n);
            }
        }
        Collections.reverse(post);
        return post;
    }
}
