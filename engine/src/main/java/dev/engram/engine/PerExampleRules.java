package dev.engram.engine;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registry of per-example rules by op node class. The engine's parametric ops (linear, conv2d,
 * batch-norm, layer-norm, mask) register theirs here; a new op registers its own with
 * {@link #register}. A parameter used by a node type without a rule is handled by the
 * batch-of-one fallback of {@link PerExample#collect}.
 */
public final class PerExampleRules {
    private static final Map<Class<? extends Node>, PerExampleRule> RULES = new ConcurrentHashMap<>();

    static {
        RULES.put(MatMul.LinearNode.class, MatMul.LinearNode.PER_EXAMPLE);
        RULES.put(ConvOps.Conv2dNode.class, ConvOps.Conv2dNode.PER_EXAMPLE);
        RULES.put(NormOps.BatchNormNode.class, NormOps.BatchNormNode.PER_EXAMPLE);
        RULES.put(NormOps.LayerNormNode.class, NormOps.LayerNormNode.PER_EXAMPLE);
        RULES.put(MaskOps.MaskNode.class, MaskOps.MaskNode.PER_EXAMPLE);
        RULES.put(Elementwise.BinaryNode.class, Elementwise.PER_EXAMPLE);
        RULES.put(ShapeOps.ExpandNode.class, ShapeOps.ExpandNode.PER_EXAMPLE);
    }

    private PerExampleRules() {}

    /** Registers (or replaces) the rule for nodes of exactly class {@code nodeType}. */
    public static void register(Class<? extends Node> nodeType, PerExampleRule rule) {
        if (nodeType == null || rule == null) throw new IllegalArgumentException("PerExampleRules.register: null node type or rule");
        RULES.put(nodeType, rule);
    }

    /** Removes the rule for {@code nodeType}; returns whether there was one. */
    public static boolean unregister(Class<? extends Node> nodeType) {
        return RULES.remove(nodeType) != null;
    }

    /** The rule for {@code nodeType}, or null. */
    public static PerExampleRule find(Class<? extends Node> nodeType) {
        return RULES.get(nodeType);
    }
}
