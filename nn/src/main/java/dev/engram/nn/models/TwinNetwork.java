package dev.engram.nn.models;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

import java.util.LinkedHashMap;
import java.util.List;

/**
 * Two networks trained together (JoCoR, {@link dev.engram.nn.train.JoCoRLoss}): parameters {@code net1.*} and
 * {@code net2.*}. In training mode the output is both networks' logits side by side, {@code [B, 2C]}; in evaluation mode
 * it is network 1's {@code [B, C]}, so evaluation, accuracy and checkpoints treat the pair as one classifier. Layer
 * groups are those of both networks, prefixed.
 */
public final class TwinNetwork extends Module implements HasLayerGroups {
    private final Module first, second;

    /** The two networks (same architecture, usually different initialisations); both need layer groups. */
    public TwinNetwork(Module first, Module second) {
        if (!(first instanceof HasLayerGroups) || !(second instanceof HasLayerGroups)) {
            throw new IllegalArgumentException("TwinNetwork: both networks need layer groups, got "
                    + first.getClass().getSimpleName() + " and " + second.getClass().getSimpleName());
        }
        this.first = registerModule("net1", first);
        this.second = registerModule("net2", second);
    }

    @Override
    public Tensor forward(Tensor x) {
        if (!isTraining()) return first.forward(x);
        return Functional.cat(1, first.forward(x), second.forward(x));
    }

    /** Network 1 (the one evaluated). */
    public Module first() {
        return first;
    }

    /** Network 2. */
    public Module second() {
        return second;
    }

    @Override
    public LinkedHashMap<String, List<String>> layerGroups() {
        LinkedHashMap<String, List<String>> g = new LinkedHashMap<>();
        for (String net : List.of("net1", "net2")) {
            Module m = net.equals("net1") ? first : second;
            ((HasLayerGroups) m).layerGroups().forEach((name, params) ->
                    g.put(net + "." + name, params.stream().map(p -> net + "." + p).toList()));
        }
        return g;
    }
}
