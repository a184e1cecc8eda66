package dev.engram.nn.models;

import java.util.LinkedHashMap;
import java.util.List;

/**
 * A model whose parameters are partitioned into the "layers" (groups) that layer-level
 * memorization experiments act on: gradient accounting (per-group gradient norms of clean and
 * noisy examples), rewinding (one group reset to an earlier checkpoint) and retraining (one group
 * trained on clean examples, the rest frozen). Part of the {@linkplain ModelContract model contract}.
 *
 * <p>A group is usually one layer's weight and bias, or a block's; name groups as a reader of the
 * results would ({@code conv1}, {@code layer2}, {@code fc}). Results list groups in this map's order.
 */
public interface HasLayerGroups {
    /**
     * Group name to the state-dict names of its parameters, in forward order. Buffers (BN running
     * statistics) belong to no group; every name must be a key of
     * {@link dev.engram.nn.Module#namedParameters()} and belong to one group only. Parameters in no
     * group are never rewound or retrained on their own.
     *
     * @return the groups, in forward order
     */
    LinkedHashMap<String, List<String>> layerGroups();
}
