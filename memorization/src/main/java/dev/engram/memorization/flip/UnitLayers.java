package dev.engram.memorization.flip;

import dev.engram.nn.Module;
import dev.engram.nn.models.HasLayerGroups;
import dev.engram.nn.models.HasTaps;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Names the layers that flipped units come from the way every chart names layers: numbered from 1 in forward order,
 * with the layer group they belong to or follow. A unit layer is a tap ({@code "4.out"}, an activation after a module)
 * or a parameter tensor ({@code "3.weight"}). A parameter belongs to the group that lists it. A tap belongs to the last
 * group whose parameters live inside the tapped module (a residual block's output: its last conv), else to the last
 * group whose module comes before the tap in module order (an MLP's {@code 2.out} follows {@code fc1} at module 1).
 */
public final class UnitLayers {
    private UnitLayers() { }

    /** {@code layers} in {@code model}'s forward order (taps, then parameters, as the model lists them); others last. */
    public static List<String> forwardOrder(Module model, Collection<String> layers) {
        List<String> known = new ArrayList<>();
        if (model instanceof HasTaps t) known.addAll(t.tapNames());
        known.addAll(model.namedParameters().keySet());
        List<String> out = new ArrayList<>();
        for (String k : known) if (layers.contains(k) && !out.contains(k)) out.add(k);
        for (String l : layers) if (!out.contains(l)) out.add(l);
        return out;
    }

    /** {@code "2 fc2 (4.out)"}: position among the model's unit layers of the same kind, group, name. */
    public static String label(Module model, String layer) {
        List<String> kind = model instanceof HasTaps t && t.tapNames().contains(layer) ? t.tapNames()
                : new ArrayList<>(model.namedParameters().keySet());
        int index = kind.indexOf(layer);
        String group = groupOf(model, layer);
        return (index < 0 ? "" : (index + 1) + " ") + (group == null ? layer : group + " (" + layer + ")");
    }

    /** The layer group {@code layer} belongs to or follows (see the class comment), or null when none applies. */
    public static String groupOf(Module model, String layer) {
        if (!(model instanceof HasLayerGroups g)) return null;
        Map<String, List<String>> groups = g.layerGroups();
        for (var e : groups.entrySet()) if (e.getValue().contains(layer)) return e.getKey();
        if (!layer.endsWith(".out")) return null;
        String[] tap = layer.substring(0, layer.length() - ".out".length()).split("\\.");
        String inside = null, before = null;
        for (var e : groups.entrySet()) {
            for (String param : e.getValue()) {
                String[] module = modulePath(param);
                if (startsWith(module, tap)) inside = e.getKey();
                else if (compare(module, tap) < 0) before = e.getKey();
            }
        }
        return inside != null ? inside : before;
    }

    private static String[] modulePath(String param) {
        int dot = param.lastIndexOf('.');
        return dot < 0 ? new String[0] : param.substring(0, dot).split("\\.");
    }

    private static boolean startsWith(String[] path, String[] prefix) {
        if (prefix.length > path.length) return false;
        for (int i = 0; i < prefix.length; i++) if (!path[i].equals(prefix[i])) return false;
        return true;
    }

    /** Component-wise order of module paths, numerically where both components are numbers. */
    private static int compare(String[] a, String[] b) {
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            int c;
            if (a[i].matches("\\d+") && b[i].matches("\\d+")) c = Long.compare(Long.parseLong(a[i]), Long.parseLong(b[i]));
            else c = a[i].compareTo(b[i]);
            if (c != 0) return c;
        }
        return Integer.compare(a.length, b.length);
    }
}
