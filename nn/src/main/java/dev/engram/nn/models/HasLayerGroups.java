package dev.engram.nn.models;

import java.util.LinkedHashMap;
import java.util.List;

/**
 * A model whose parameters are partitioned into the "layers" (groups) that layer-level
 * memorization experiments act on: gradient accounting, rewinding and retraining.
 */
public interface HasLayerGroups {
    /**
     * Group name to the state-dict names of its parameters, in forward order. Buffers (BN running
     * statistics) belong to no group.
     */
    LinkedHashMap<String, List<String>> layerGroups();
}
