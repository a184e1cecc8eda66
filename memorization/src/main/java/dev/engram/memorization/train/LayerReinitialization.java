package dev.engram.memorization.train;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.init.Seeds;
import dev.engram.nn.models.HasLayerGroups;
import dev.engram.nn.optim.Optimizer;
import dev.engram.nn.train.StepListener;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * Layer-wise re-initialization during training (docs/methods.md §10.6): after every {@code every} epochs (up to epoch
 * {@code until}) the chosen layer groups get fresh initial values (from a new model of the same architecture seeded by
 * the run's seed and the epoch) and their optimizer state (momentum, moments) is zeroed; the other layers keep
 * training. With order {@code together} every group is reset each time; with {@code bottom-up} the k-th
 * re-initialization keeps the k lowest listed groups and resets the ones above them, as the staged re-initialization of
 * Alabdulmohsin, Maennel and Keysers (2021; docs/methods.md §8.9) that walks up the network (nothing is reset once k
 * reaches the number of groups). The reset happens at the start of the next epoch, so a run resumed from that epoch's checkpoint does it too.
 */
public final class LayerReinitialization implements StepListener {
    private final List<String> groups;
    private final int every, until;
    private final boolean bottomUp;
    private final long seed;
    private final LongFunction<Module> freshModel;
    private final Optimizer optimizer;
    private final List<Integer> done = new ArrayList<>();

    /**
     * @param groups     layer groups of the model, bottom first
     * @param model      the model being trained (a model with layer groups)
     * @param every      period in epochs, at least 1
     * @param until      last epoch after which to reset (0 = up to the second-to-last of {@code epochs})
     * @param epochs     epochs of the run
     * @param bottomUp   staged: the k-th reset keeps the k lowest groups and resets the rest, instead of all together
     * @param seed       the run's seed
     * @param freshModel a freshly initialised model of the same architecture for a seed
     * @param optimizer  the optimizer whose state of the reset parameters is zeroed
     */
    public LayerReinitialization(Module model, List<String> groups, int every, int until, int epochs, boolean bottomUp,
                                 long seed, LongFunction<Module> freshModel, Optimizer optimizer) {
        if (groups.isEmpty()) throw new IllegalArgumentException("re-initialization: no layer group given");
        if (every < 1) throw new IllegalArgumentException("re-initialization: period must be >= 1 epoch, got " + every);
        if (!(model instanceof HasLayerGroups lg)) throw new IllegalArgumentException("re-initialization: the model has no layer groups");
        for (String g : groups) {
            if (!lg.layerGroups().containsKey(g)) {
                throw new IllegalArgumentException("re-initialization: unknown layer group '" + g + "'; the model has "
                        + lg.layerGroups().keySet());
            }
        }
        this.groups = List.copyOf(groups);
        this.every = every;
        this.until = until > 0 ? Math.min(until, epochs - 1) : epochs - 1;
        this.bottomUp = bottomUp;
        this.seed = seed;
        this.freshModel = freshModel;
        this.optimizer = optimizer;
    }

    /** The groups reset after epoch {@code completed} (empty when none). */
    public List<String> groupsAfter(int completed) {
        if (completed < every || completed > until || completed % every != 0) return List.of();
        if (!bottomUp) return groups;
        int k = completed / every;
        return k >= groups.size() ? List.of() : groups.subList(k, groups.size());
    }

    @Override
    public void beforeEpoch(int epoch, Module model) {
        int completed = epoch - 1;
        List<String> reset = groupsAfter(completed);
        if (reset.isEmpty()) return;
        Module fresh = freshModel.apply(Seeds.mix(seed, 1000 + completed));
        Map<String, Tensor> live = model.namedParameters(), init = fresh.namedParameters();
        Map<String, Tensor> state = optimizer.stateDict();
        for (String g : reset) {
            for (String name : ((HasLayerGroups) model).layerGroups().get(g)) {
                live.get(name).copyFrom(init.get(name));
                state.forEach((k, t) -> {
                    if (k.startsWith(name + ".") && k.indexOf('.', name.length() + 1) < 0
                            && t.dtype() == dev.engram.engine.DType.FLOAT32) {
                        t.fill(0f);
                    }
                });
            }
        }
        done.add(completed);
    }

    /** The epochs after which a reset was done so far in this process. */
    public List<Integer> done() {
        return List.copyOf(done);
    }
}
